import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitShow } from '../io/git.ts';
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
  manifestLines: string[];
  meta: SampleMeta;
}

export function parseManifest(text: string | readonly string[], file: string): Map<string, Omit<ManifestLine, 'id'>> {
  const entries = new Map<string, Omit<ManifestLine, 'id'>>();
  (typeof text === 'string' ? text.split('\n') : text).forEach((line, i) => {
    if (!line.trim()) return;
    try {
      const { id, stratum, content_hash, label_hash, row_hash } = JSON.parse(line) as ManifestLine;
      // row_hash is absent from manifests written before it existed: they still parse.
      entries.set(id, row_hash === undefined ? { stratum, content_hash, label_hash } : { stratum, content_hash, label_hash, row_hash });
    } catch {
      throw new InvalidInputError([{ file, line: i + 1, message: 'malformed manifest line' }]);
    }
  });
  return entries;
}

export function snapshotOf(name: string, metaText: string, manifestText: string, where: string): DatasetSnapshot {
  let meta: SampleMeta;
  try {
    meta = JSON.parse(metaText) as SampleMeta;
  } catch {
    throw new InvalidInputError([{ file: `${where}evalsets/${name}/meta.json`, message: 'malformed JSON' }]);
  }
  return {
    name,
    taxonomyVersion: meta.taxonomy_version,
    strata: meta.strata.map((s) => s.stratum),
    columns: meta.columns ?? {},
    manifestLines: manifestText.split('\n').filter((line) => line.trim() !== ''),
    meta,
  };
}

/** Where a snapshot is read from: the working tree, the index (staged), or a git revision such as a tag. */
export type SnapshotSource = { kind: 'worktree' } | { kind: 'index' } | { kind: 'rev'; rev: string };

/** Read a committed file of the repository from a source; null where it does not exist. */
export function readAt(root: string, source: SnapshotSource, path: string): string | null {
  if (source.kind === 'worktree') return existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : null;
  return gitShow(root, source.kind === 'index' ? '' : source.rev, path);
}

/** The dataset's snapshot at a source, or null when it has no manifest or meta.json there. */
export function readSnapshot(root: string, name: string, source: SnapshotSource): DatasetSnapshot | null {
  const meta = readAt(root, source, `evalsets/${name}/meta.json`);
  const manifest = readAt(root, source, `evalsets/${name}/manifest.jsonl`);
  if (meta === null || manifest === null) return null;
  const where = source.kind === 'rev' ? `${source.rev}:` : source.kind === 'index' ? '(staged) ' : '';
  return snapshotOf(name, meta, manifest, where);
}
