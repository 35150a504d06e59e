import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catFileOnWorker, worktreeBlobsOnWorker } from './backgroundReads.ts';
import { GitError } from '../errors.ts';

/** Run git and return its trimmed stdout; a failure is a GitError carrying git's own message. */
export function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    throw new GitError(args.join(' '), String((err as { stderr?: unknown }).stderr ?? (err as Error).message));
  }
}

/** One answer of `git cat-file --batch`: the object's id and bytes, or why there are none. */
export type CatFileAnswer = { oid: string; type: string; bytes: Buffer } | { missing: true } | { ambiguous: true };

const catFileCommand = (names: readonly string[]) => `cat-file --batch <<< ${names.length === 1 ? names[0] : `${names.length} objects`}`;
const catFileEnv = () => ({ ...process.env, LC_ALL: 'C' });

/** The batch's input: one name a line. A name may not hold a newline (the protocol is line-based). */
function catFileInput(names: readonly string[]): string {
  const bad = names.find((n) => n.includes('\n'));
  if (bad !== undefined) throw new GitError(catFileCommand(names), `an object name holds a newline: ${JSON.stringify(bad)}`);
  return names.join('\n') + '\n';
}

/** Split `git cat-file --batch` output into its answers, in the order asked. */
function parseCatFile(out: Buffer, names: readonly string[], stderr: string): CatFileAnswer[] {
  const answers: CatFileAnswer[] = [];
  let at = 0;
  for (const name of names) {
    const end = out.indexOf(0x0a, at);
    if (end < 0) throw new GitError(catFileCommand(names), stderr || `no answer for ${name}`);
    const header = out.toString('utf8', at, end);
    at = end + 1;
    // `<name> missing` and `<name> ambiguous` carry no content; `<oid> <type> <size>` is followed by the bytes and a newline.
    if (header === `${name} missing`) answers.push({ missing: true });
    else if (header === `${name} ambiguous`) answers.push({ ambiguous: true });
    else {
      const [oid, type, size] = header.split(' ');
      const length = Number(size);
      if (!type || !Number.isSafeInteger(length) || at + length > out.length) {
        throw new GitError(catFileCommand(names), stderr || `unexpected answer: ${header}`);
      }
      answers.push({ oid, type, bytes: out.subarray(at, at + length) });
      at += length + 1;
    }
  }
  return answers;
}

/**
 * Every name (`rev:path`, `:path` for the index, or an object id) through ONE `git cat-file --batch`
 * process, answers in the order asked. One process instead of one per file: a hook that reads a
 * dozen files pays one start, and the bytes stay Buffers (decoded only where text is needed).
 * A git failure is a GitError.
 */
export function catFileBatch(cwd: string, names: readonly string[]): { answers: CatFileAnswer[]; stderr: string } {
  if (!names.length) return { answers: [], stderr: '' };
  const r = spawnSync('git', ['cat-file', '--batch'], { cwd, input: catFileInput(names), maxBuffer: 2 ** 31 - 1, env: catFileEnv() });
  const stderr = r.stderr?.toString('utf8') ?? '';
  if (r.error || r.status !== 0) throw new GitError(catFileCommand(names), stderr || String(r.error?.message ?? `exit ${r.status}`));
  return { answers: parseCatFile(r.stdout, names, stderr), stderr };
}

// The bytes of every blob read in this process, by object id: content-addressed, so never stale,
// and shared by every reader (gitShow by path, readBlobs by id), so no file is read twice.
const blobs = new Map<string, Buffer>();
// Digests of blobs (`sha256:<oid>`): by object id, so never stale.
const digests = new Map<string, string>();
// What `rev:path` named when it was first read: a blob id, or null for no file there.
const named = new Map<string, string | null>();
const decoded = new Map<string, string>();
const namedKey = (cwd: string, rev: string, path: string) => `${cwd}\0${rev}:${path}`;

/** A file at a revision ('' for the index). */
export interface RevisionPath {
  rev: string;
  path: string;
}
type Wanted = [key: string, file: RevisionPath];

const unread = (cwd: string, files: readonly RevisionPath[]): Wanted[] =>
  [...new Map(files.map((f) => [namedKey(cwd, f.rev, f.path), f])).entries()].filter(([key]) => !named.has(key));
const nameOf = ([, f]: Wanted) => `${f.rev}:${f.path}`;

/** Store a batch's answers: an absent file is remembered as null; an answer that proves nothing absent is a GitError. */
function remember(cwd: string, todo: readonly Wanted[], answers: readonly CatFileAnswer[], stderr: string): void {
  const found = new Set<string>();
  const missing: { key: string; rev: string; name: string }[] = [];
  todo.forEach((wanted, i) => {
    const [key, { rev }] = wanted;
    const answer = answers[i];
    if ('ambiguous' in answer) throw new GitError(`cat-file --batch <<< ${nameOf(wanted)}`, `${nameOf(wanted)} is ambiguous`);
    if ('missing' in answer) return missing.push({ key, rev, name: nameOf(wanted) });
    found.add(rev);
    // A directory (tree) or a submodule (commit) at that path: no file there.
    if (answer.type !== 'blob') return named.set(key, null);
    blobs.set(answer.oid, answer.bytes);
    named.set(key, answer.oid);
  });
  for (const m of missing) {
    // git answers `missing` for an absent path, an unknown revision and (git 2.39) a corrupt object,
    // the last with its reason on stderr: `missing` is believed only when git said nothing else and
    // the revision resolves (one that named a file in this batch does).
    if (/^(error|fatal):/m.test(stderr)) throw new GitError(`cat-file --batch <<< ${m.name}`, stderr);
    if (m.rev !== '' && !found.has(m.rev)) {
      if (!revisionExists(cwd, `${m.rev}^{tree}`)) throw new GitError(`cat-file --batch <<< ${m.name}`, `unknown revision ${m.rev}`);
      found.add(m.rev);
    }
    named.set(m.key, null);
  }
}

/**
 * Read the files that this process has not read yet through one `git cat-file --batch`; gitShow
 * and gitShowBytes then answer from memory. Same contract as gitShow: an absent path is remembered
 * as null, anything else (an unknown revision, a corrupt object, not a repository) is a GitError.
 */
export function prefetch(cwd: string, files: readonly RevisionPath[]): void {
  const todo = unread(cwd, files);
  const { answers, stderr } = catFileBatch(cwd, todo.map(nameOf));
  remember(cwd, todo, answers, stderr);
}

/**
 * prefetch on a worker thread (backgroundReads.ts), for work that can overlap it. A warm-up only:
 * it keeps the files it found and nothing else; whatever it could not read (an absent file, an
 * unknown revision, a git failure) is read again by prefetch, gitShow or readBlobs, which report it.
 */
export async function prefetchInBackground(cwd: string, files: readonly RevisionPath[]): Promise<void> {
  const todo = unread(cwd, files).filter((wanted) => !nameOf(wanted).includes('\n')); // refused by prefetch, with its message
  if (!todo.length) return;
  const names = todo.map(nameOf);
  const out = await catFileOnWorker(cwd, names);
  if (!out) return;
  let answers: CatFileAnswer[];
  try {
    answers = parseCatFile(out.stdout, names, out.stderr);
  } catch {
    return;
  }
  todo.forEach(([key], i) => {
    const answer = answers[i];
    if (!('type' in answer) || answer.type !== 'blob' || named.has(key)) return;
    blobs.set(answer.oid, answer.bytes);
    named.set(key, answer.oid);
  });
}

type Staged = { mode: string; oid: string; path: string };
const isRegular = (entry: Staged) => entry.mode === '100644' || entry.mode === '100755';
const objectHash = (oid: string) => (oid.length === 64 ? 'sha256' : 'sha1');

/**
 * Take staged files' bytes from the working tree where they provably are the staged blobs: git's
 * object id of the working-tree bytes (SHA-1, or SHA-256 in a SHA-256 repository, of `blob <size>\0`
 * and the bytes, no filter applied) equals the id the index records, and git holds that object
 * (one `git cat-file --batch-check`: a staged blob missing from the object store stays git's error,
 * as when it is read from git). Reading a 21 MB manifest so costs a file read and a hash (~45 ms)
 * instead of git inflating it and piping it over (~150 ms). Returns the paths now in memory
 * (gitShow(root, '', path) answers from them); the others must be read from git.
 */
export function stagedBlobsFromWorktree(root: string, entries: readonly Staged[]): Set<string> {
  const candidates = new Map<string, Buffer>();
  for (const entry of entries) {
    const key = namedKey(root, '', entry.path);
    if (named.get(key) === entry.oid || !isRegular(entry)) continue;
    // A blob in the store is one git holds (read from git, or checked when taken): no need to ask again.
    if (blobs.has(entry.oid)) named.set(key, entry.oid);
    else {
      const bytes = worktreeBytes(root, entry.path, entry.oid);
      if (bytes) candidates.set(entry.oid, bytes);
    }
  }
  const oids = [...candidates.keys()];
  if (!oids.length) return rememberFromWorktree(root, entries, candidates, new Set());
  const r = spawnSync('git', ['cat-file', '--batch-check'], { cwd: root, input: oids.join('\n') + '\n', encoding: 'utf8', env: catFileEnv() });
  if (r.error || r.status !== 0)
    throw new GitError(`cat-file --batch-check <<< ${oids.length} objects`, r.stderr || String(r.error?.message ?? `exit ${r.status}`));
  return rememberFromWorktree(root, entries, candidates, presentBlobs(r.stdout));
}

/**
 * stagedBlobsFromWorktree on a worker thread, with the digests the checks will want of the bytes
 * (`blobDigest` then answers them at once). A warm-up: files it does not take are read by the checks.
 */
export async function stagedBlobsFromWorktreeInBackground(root: string, entries: readonly Staged[], algorithms: readonly string[]): Promise<void> {
  const todo = entries.filter((e) => isRegular(e) && named.get(namedKey(root, '', e.path)) !== e.oid);
  if (!todo.length) return;
  for (const blob of (await worktreeBlobsOnWorker(root, todo, algorithms)) ?? []) {
    const key = namedKey(root, '', blob.path);
    if (named.has(key)) continue;
    blobs.set(blob.oid, blob.bytes);
    named.set(key, blob.oid);
    for (const [algorithm, hex] of Object.entries(blob.digests)) digests.set(`${algorithm}:${blob.oid}`, hex);
  }
}

/** The blob ids `git cat-file --batch-check` reports present. */
const presentBlobs = (out: string) =>
  new Set(
    out
      .split('\n')
      .map((l) => l.split(' '))
      .filter(([, type]) => type === 'blob')
      .map(([oid]) => oid),
  );

/** Keep the verified working-tree bytes git also holds; the paths in memory now. */
function rememberFromWorktree(root: string, entries: readonly Staged[], candidates: Map<string, Buffer>, present: Set<string>): Set<string> {
  const taken = new Set<string>();
  for (const entry of entries) {
    const key = namedKey(root, '', entry.path);
    const bytes = candidates.get(entry.oid);
    if (bytes && present.has(entry.oid)) {
      blobs.set(entry.oid, bytes);
      named.set(key, entry.oid);
    }
    if (named.get(key) === entry.oid) taken.add(entry.path);
  }
  return taken;
}

/** The working-tree bytes at `path` if their git object id is `oid`, else undefined. */
function worktreeBytes(root: string, path: string, oid: string): Buffer | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(root, path));
  } catch {
    return undefined;
  }
  return createHash(objectHash(oid)).update(`blob ${bytes.length}\0`).update(bytes).digest('hex') === oid ? bytes : undefined;
}

/** A digest (a node:crypto algorithm: `sha256`, `md5`) of a blob's bytes, computed once per process. */
export function blobDigest(oid: string, bytes: Uint8Array, algorithm: string): string {
  const key = `${algorithm}:${oid}`;
  let hex = digests.get(key);
  if (hex === undefined) digests.set(key, (hex = createHash(algorithm).update(bytes).digest('hex')));
  return hex;
}

/** A file's bytes at a revision ('' for the index), or null where there is no file: gitShow without the decoding. */
export function gitShowBytes(cwd: string, rev: string, path: string): Buffer | null {
  const key = namedKey(cwd, rev, path);
  if (!named.has(key)) prefetch(cwd, [{ rev, path }]);
  const oid = named.get(key)!;
  return oid === null ? null : blobs.get(oid)!;
}

/**
 * A file's content at a revision (`HEAD`, a tag, a sha, or '' for the index), or null where the
 * revision (or the index) has no file at that path. Anything else — not a repository, an unknown
 * revision, a corrupt object — is a GitError: a check that cannot read its input must fail, not
 * skip as if the file were absent. Read once per process: callers must not expect to see the index
 * change under them.
 */
export function gitShow(cwd: string, rev: string, path: string): string | null {
  const bytes = gitShowBytes(cwd, rev, path);
  if (bytes === null) return null;
  const oid = named.get(namedKey(cwd, rev, path))!;
  let text = decoded.get(oid);
  if (text === undefined) decoded.set(oid, (text = bytes.toString('utf8')));
  return text;
}

/**
 * The bytes of each blob, by object id, through one `git cat-file --batch` for those this process
 * has not read yet. An id git does not have, or one that is not a blob, is a GitError: an id comes
 * from the index or a tree, so its absence is a broken repository, not an absent file.
 */
export function readBlobs(cwd: string, oids: readonly string[]): Map<string, Buffer> {
  const wanted = [...new Set(oids)];
  const todo = wanted.filter((oid) => !blobs.has(oid));
  const { answers, stderr } = catFileBatch(cwd, todo);
  todo.forEach((oid, i) => {
    const answer = answers[i];
    if (!('type' in answer) || answer.type !== 'blob' || answer.oid !== oid) {
      const said = 'type' in answer ? `${answer.oid} ${answer.type}` : `${oid} ${'missing' in answer ? 'missing' : 'ambiguous'}`;
      throw new GitError(`cat-file --batch <<< ${oid}`, stderr || said);
    }
    blobs.set(oid, answer.bytes);
  });
  return new Map(wanted.map((oid) => [oid, blobs.get(oid)!]));
}

export function isGitRepository(cwd: string): boolean {
  return spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd, stdio: 'ignore' }).status === 0;
}

/** Whether a revision resolves; a GitError when git itself fails (not a repository, …) rather than answering no. */
export function revisionExists(cwd: string, rev: string): boolean {
  const r = spawnSync('git', ['rev-parse', '--verify', '-q', rev], { cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status === 0) return true;
  if (r.status === 1) return false;
  throw new GitError(`rev-parse --verify -q ${rev}`, r.stderr || String(r.error?.message ?? `exit ${r.status}`));
}
