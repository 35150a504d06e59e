/**
 * Whether the staged dvc.lock still describes the staged commit: for every stage it records, the
 * params it read must be the staged params, each dependency and output that git tracks must hash
 * (as DVC hashes) to what the lock records, and each dependency under the DVC-tracked `datasets/`
 * must be what the staged datasets.dvc points at. Generic over whatever dvc.lock lists: no stage
 * name or code path is known here.
 */
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { dvcDirMd5, md5Within, readCachedDir, type DirEntry } from '../io/dvcHash.ts';
import { blobDigest } from '../io/git.ts';
import { readStagedBlobs, stagedEntries, type IndexEntry } from '../io/gitIndex.ts';

interface LockEntry {
  path: string;
  hash?: string;
  md5?: string;
}
interface LockStage {
  deps?: LockEntry[];
  outs?: LockEntry[];
  params?: Record<string, Record<string, unknown>>;
}
export interface DvcLock {
  stages: Record<string, LockStage>;
}

/** How to get dvc.lock back after a killed `dvc repro` truncated it in place. */
const LOCK_RECOVERY =
  'Restore it with `git checkout dvc.lock` (or `git restore --staged --worktree dvc.lock`), run `dvc repro`, then stage dvc.lock again.';

/** The staged dvc.lock, or the problem with it: empty (a killed `dvc repro` leaves it at 0 bytes), unparsable, or without stages. */
export function parseStagedLock(text: string): DvcLock | string {
  if (text.trim() === '') return `the staged dvc.lock is empty: a killed \`dvc repro\` leaves it so. ${LOCK_RECOVERY}`;
  let lock: unknown;
  try {
    lock = parse(text);
  } catch (err) {
    return `the staged dvc.lock is not valid YAML (${(err as Error).message.split('\n')[0]}). ${LOCK_RECOVERY}`;
  }
  const stages = (lock as { stages?: unknown } | null)?.stages;
  if (typeof stages !== 'object' || stages === null || Array.isArray(stages)) {
    return `the staged dvc.lock records no \`stages\` mapping. ${LOCK_RECOVERY}`;
  }
  return lock as DvcLock;
}

/** A dotted params key (`datasets.x.size`) looked up as DVC does: through mappings, and list positions by number. */
function lookUp(doc: unknown, key: string): { found: boolean; value?: unknown } {
  let at: unknown = doc;
  for (const part of key.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, part)) return { found: false };
    at = (at as Record<string, unknown>)[part];
  }
  return { found: true, value: at };
}

const show = (value: unknown) => JSON.stringify(value);

/** The staged files the check needs, read once. */
export interface StagedReader {
  /** A staged text file, or null when the index has none at that path. */
  text(path: string): string | null;
  /** The paths the commit changes (against HEAD), deletions included. */
  staged: readonly string[];
}

function paramDifferences(stage: LockStage, read: StagedReader): string[] {
  const out: string[] = [];
  for (const [file, keys] of Object.entries(stage.params ?? {})) {
    const text = read.text(file);
    if (text === null) {
      out.push(`params file ${file}: dvc.lock records its keys, but it is not in the index`);
      continue;
    }
    if (!/\.(ya?ml|json)$/i.test(file)) {
      out.push(
        `params file ${file}: only YAML and JSON params files can be checked before a commit; commit it with \`git commit --no-verify\` after \`dvc status\` is clean`,
      );
      continue;
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      out.push(`params file ${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    for (const [key, locked] of Object.entries(keys ?? {})) {
      const now = lookUp(doc, key);
      if (!now.found) out.push(`param ${key}: dvc.lock has ${show(locked)}; the staged ${file} no longer has this key`);
      else if (!isDeepStrictEqual(now.value, locked))
        out.push(`param ${key}: dvc.lock has ${show(locked)}, the staged ${file} has ${show(now.value)}`);
    }
  }
  return out;
}

/** The DVC directory object datasets.dvc points at, if the staged pointer and the cache hold one. */
interface DataPointer {
  path: string;
  md5: string;
  entries: DirEntry[] | null;
}

function dataPointer(root: string, read: StagedReader): DataPointer | string | null {
  const text = read.text('datasets.dvc');
  if (text === null) return null;
  let out: LockEntry | undefined;
  try {
    out = (parse(text) as { outs?: LockEntry[] } | null)?.outs?.[0];
  } catch {
    out = undefined;
  }
  if (!out?.path || !out.md5) return 'the staged datasets.dvc records no `outs` path and md5: run `dvc add datasets` and stage datasets.dvc';
  const path = out.path.replace(/\/+$/, '');
  if (!out.md5.endsWith('.dir')) return { path, md5: out.md5, entries: [] };
  return { path, md5: out.md5, entries: readCachedDir(root, out.md5) };
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

/**
 * What differs between the staged commit and the staged dvc.lock, as one paragraph per stale
 * stage, empty when the lock describes the commit.
 */
export function lockProblems(root: string, lock: DvcLock, read: StagedReader): string[] {
  const stages = Object.entries(lock.stages);
  const entries = stages.flatMap(([, s]) => [...(s.deps ?? []), ...(s.outs ?? [])]);
  const paths = [...new Set(entries.map((e) => e.path).filter((p): p is string => typeof p === 'string'))];

  const pointer = dataPointer(root, read);
  const byPointer = (p: string) => typeof pointer === 'object' && pointer !== null && under(p, pointer.path);
  const gitPaths = paths.filter((p) => !byPointer(p));
  const indexed = stagedEntries(root, gitPaths);
  const ignored = new Set(stagedEntries(root, gitPaths, '.dvcignore').map((e) => e.path));
  // Blobs the other checks read (a manifest, meta.json) come from the per-process store, the others
  // from the working tree where it holds the staged bytes, or else one `git cat-file --batch`; each
  // is hashed as bytes, once.
  const blobs = readStagedBlobs(
    root,
    indexed.filter((e) => !ignored.has(e.path) && e.mode.startsWith('100')),
  );
  // DVC 3's file md5 is the md5 of the bytes (dvcHash.ts): once per blob and process.
  const md5Of = (oid: string) => blobDigest(oid, blobs.get(oid)!, 'md5');

  const problems: string[] = [];
  if (typeof pointer === 'string' && paths.some((p) => under(p, 'datasets'))) problems.push(pointer);
  if (typeof pointer === 'object' && pointer?.entries === null && paths.some(byPointer)) {
    problems.push(
      `datasets.dvc points at ${pointer.md5}, which is not in the DVC cache, so the data dvc.lock records cannot be compared with it: run \`dvc pull\` (or \`dvc add ${pointer.path}\` where the data is here), then commit again`,
    );
  }

  for (const [name, stage] of stages) {
    const differences = paramDifferences(stage, read);
    for (const [kind, list] of [
      ['dep', stage.deps ?? []],
      ['out', stage.outs ?? []],
    ] as const) {
      for (const entry of list) {
        const why = entryDifference(entry, { pointer, indexed, ignored, md5Of, staged: read.staged });
        if (why) differences.push(`${kind} ${entry.path}: ${why}`);
      }
    }
    if (differences.length) problems.push(`stage ${name} is stale in the staged dvc.lock:\n${differences.map((d) => `    ${d}`).join('\n')}`);
  }
  if (problems.some((p) => p.startsWith('stage '))) {
    problems.push(
      'dvc.lock must describe the commit: run `dvc repro` (it re-runs the stale stages), then stage dvc.lock with what it rewrote (`git add dvc.lock evalsets`).',
    );
  }
  return problems;
}

interface Context {
  pointer: DataPointer | string | null;
  indexed: IndexEntry[];
  ignored: Set<string>;
  md5Of: (oid: string) => string;
  staged: readonly string[];
}

/** Why one lock entry does not match the staged commit, or null when it does (or it is none of git's and none of datasets.dvc's). */
function entryDifference(entry: LockEntry, ctx: Context): string | null {
  const { pointer } = ctx;
  if (typeof entry.path !== 'string' || entry.md5 === undefined) return null; // not an md5 entry (a remote dep with an etag, …)
  if (typeof pointer === 'object' && pointer !== null && under(entry.path, pointer.path)) {
    if (pointer.entries === null) return null; // reported once above
    const rel = entry.path === pointer.path ? '' : entry.path.slice(pointer.path.length + 1);
    const pointed = rel === '' ? pointer.md5 : md5Within(pointer.entries, rel);
    if (pointed === entry.md5) return null;
    return pointed === undefined
      ? `datasets.dvc points at data without ${entry.path}; dvc.lock records ${entry.md5}`
      : `datasets.dvc points at other data (${pointed}) than dvc.lock records (${entry.md5})`;
  }
  const files = ctx.indexed.filter((e) => under(e.path, entry.path));
  if (!files.length) {
    // Not in git: DVC's own (an output in the DVC cache, an interim file). A path the commit deletes is a difference.
    return ctx.staged.some((p) => under(p, entry.path)) ? 'the commit deletes it, but dvc.lock still records it' : null;
  }
  const odd = files.find((e) => !e.mode.startsWith('100'));
  if (odd) {
    return `${odd.path} is staged as a ${odd.mode === '120000' ? 'symbolic link' : 'submodule'}, whose content DVC hashes from the working tree; the hook cannot check it: replace it with a regular file`;
  }
  if (entry.hash !== 'md5') {
    return 'dvc.lock records a DVC 2 hash (no `hash: md5`), which the hook cannot check: run `dvc repro --force` with the pinned DVC 3 and stage dvc.lock';
  }
  const isFile = files.length === 1 && files[0].path === entry.path;
  const md5 = isFile
    ? ctx.md5Of(files[0].oid)
    : dvcDirMd5(files.filter((e) => !ctx.ignored.has(e.path)).map((e) => ({ md5: ctx.md5Of(e.oid), relpath: e.path.slice(entry.path.length + 1) })));
  if (md5 === entry.md5) return null;
  if (isFile) return 'the staged file is not the one dvc.lock records';
  const changed = ctx.staged.filter((p) => under(p, entry.path));
  return changed.length
    ? `the staged files differ from what dvc.lock records (staged changes: ${changed.join(', ')})`
    : 'the staged files differ from what dvc.lock records, with no staged change in it: dvc.lock was stale before this commit (or DVC hashed untracked or git-ignored files in it)';
}
