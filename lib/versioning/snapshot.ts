import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitShow, gitShowBytes, prefetch } from '../io/git.ts';
import type { SampleMeta } from '../provenance/meta.ts';
import type { ManifestLine } from '../sampling/dataset.ts';
import { InvalidInputError } from '../errors.ts';

/** What the bump rules compare: a dataset's examples (its manifest) and its schema. */
export interface DatasetSnapshot {
  name: string;
  taxonomyVersion: string;
  /** The strata the dataset draws from (those with a positive target share). */
  strata: string[];
  columns: Record<string, string>;
  /** The manifest's lines as written (canonical JSON, sorted by id): equal lines are unchanged examples. */
  manifestLines: readonly string[];
  /** The manifest's bytes, where the snapshot was read from git or a file: the diff compares these without decoding them. */
  readonly manifestBytes?: Buffer;
  meta: SampleMeta;
}

/** One manifest line, parsed: its id and the fields the bump rules compare. */
export interface ManifestEntry {
  id: string;
  entry: Omit<ManifestLine, 'id'>;
}

/**
 * Parse one manifest line; a malformed line is an InvalidInputError naming file and line.
 * `lineNumber` counts from 1; a function is asked only for an error (counting lines can cost a scan).
 */
export function parseManifestLine(line: string, file: string, lineNumber: number | (() => number)): ManifestEntry {
  try {
    const { id, stratum, content_hash, label_hash, row_hash } = JSON.parse(line) as ManifestLine;
    if (typeof id !== 'string') throw new TypeError('no id');
    // row_hash is absent from manifests written before it existed: they still parse.
    return { id, entry: row_hash === undefined ? { stratum, content_hash, label_hash } : { stratum, content_hash, label_hash, row_hash } };
  } catch {
    throw new InvalidInputError([{ file, line: typeof lineNumber === 'number' ? lineNumber : lineNumber(), message: 'malformed manifest line' }]);
  }
}

export function parseManifest(text: string | readonly string[], file: string): Map<string, Omit<ManifestLine, 'id'>> {
  const entries = new Map<string, Omit<ManifestLine, 'id'>>();
  (typeof text === 'string' ? text.split('\n') : text).forEach((line, i) => {
    if (!line.trim()) return;
    const { id, entry } = parseManifestLine(line, file, i + 1);
    entries.set(id, entry);
  });
  return entries;
}

/**
 * A snapshot from meta.json's text and the manifest, as text or as the bytes git gave. From bytes,
 * the diff compares the bytes (manifestWalk.ts), and they are decoded only if a reader asks for
 * `manifestLines`.
 */
export function snapshotOf(name: string, metaText: string, manifest: string | Buffer, where: string): DatasetSnapshot {
  let meta: SampleMeta;
  try {
    meta = JSON.parse(metaText) as SampleMeta;
  } catch {
    throw new InvalidInputError([{ file: `${where}evalsets/${name}/meta.json`, message: 'malformed JSON' }]);
  }
  const fields = { name, taxonomyVersion: meta.taxonomy_version, strata: meta.strata.map((s) => s.stratum), columns: meta.columns ?? {} };
  if (typeof manifest === 'string') return { ...fields, manifestLines: manifest.split('\n').filter((line) => line.trim() !== ''), meta };
  let lines: string[] | undefined;
  const snapshot: DatasetSnapshot = {
    ...fields,
    get manifestLines() {
      return (lines ??= manifest
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== ''));
    },
    meta,
  };
  // Not enumerable: a copy made with other lines (`{ ...snapshot, manifestLines }`) must not keep these bytes.
  Object.defineProperty(snapshot, 'manifestBytes', { value: manifest, enumerable: false });
  return snapshot;
}

/** Where a snapshot is read from: the working tree, the index (staged), or a git revision such as a tag. */
export type SnapshotSource = { kind: 'worktree' } | { kind: 'index' } | { kind: 'rev'; rev: string };

/** Read a committed file of the repository from a source; null where it does not exist. */
export function readAt(root: string, source: SnapshotSource, path: string): string | null {
  if (source.kind === 'worktree') return existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : null;
  return gitShow(root, source.kind === 'index' ? '' : source.rev, path);
}

/** readAt without the decoding. */
export function readBytesAt(root: string, source: SnapshotSource, path: string): Buffer | null {
  if (source.kind === 'worktree') return existsSync(join(root, path)) ? readFileSync(join(root, path)) : null;
  return gitShowBytes(root, source.kind === 'index' ? '' : source.rev, path);
}

/** The dataset's snapshot at a source, or null when it has no manifest or meta.json there. */
export function readSnapshot(root: string, name: string, source: SnapshotSource): DatasetSnapshot | null {
  // Both files through one `git cat-file --batch`.
  const rev = source.kind === 'rev' ? source.rev : '';
  if (source.kind !== 'worktree')
    prefetch(root, [
      { rev, path: `evalsets/${name}/meta.json` },
      { rev, path: `evalsets/${name}/manifest.jsonl` },
    ]);
  const meta = readAt(root, source, `evalsets/${name}/meta.json`);
  const manifest = readBytesAt(root, source, `evalsets/${name}/manifest.jsonl`);
  if (meta === null || manifest === null) return null;
  const where = source.kind === 'rev' ? `${source.rev}:` : source.kind === 'index' ? '(staged) ' : '';
  return snapshotOf(name, meta, manifest, where);
}
