/**
 * Reads done on a worker thread, so that the main thread can load modules and run checks meanwhile:
 * `git cat-file --batch` (the worker drains git's pipe; the main thread, blocked while Node loads
 * modules, would stall git after 64 KB) and working-tree files with their digests. The bytes come
 * back as transferred buffers (no copy). Best effort: a job that fails for any reason answers null,
 * and the caller reads on the main thread, where a failure is reported as it always was.
 */
import { Worker } from 'node:worker_threads';

/** What the worker runs: plain JavaScript (no TypeScript loader in the worker: it starts in ~30 ms). */
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { spawnSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { createHash } = require('node:crypto');
const env = { ...process.env, LC_ALL: 'C' };
const git = (cwd, args, input) => spawnSync('git', args, { cwd, input, maxBuffer: 2 ** 31 - 1, env });
function catFile({ cwd, names }) {
  const r = git(cwd, ['cat-file', '--batch'], names.join('\\n') + '\\n');
  if (r.error || r.status !== 0) return null;
  return { stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}
function worktree({ root, entries, digests }) {
  const verified = [];
  for (const { path, oid } of entries) {
    let bytes;
    try { bytes = readFileSync(root + '/' + path); } catch { continue; }
    const id = createHash(oid.length === 64 ? 'sha256' : 'sha1').update('blob ' + bytes.length + '\\0').update(bytes).digest('hex');
    if (id !== oid) continue;
    verified.push({ path, oid, bytes, digests: Object.fromEntries(digests.map((d) => [d, createHash(d).update(bytes).digest('hex')])) });
  }
  if (!verified.length) return [];
  // Only blobs git holds: a staged object missing from the store stays git's error on the main thread.
  const r = git(root, ['cat-file', '--batch-check'], verified.map((v) => v.oid).join('\\n') + '\\n');
  if (r.error || r.status !== 0) return null;
  const present = new Set(r.stdout.toString('utf8').split('\\n').map((l) => l.split(' ')).filter(([, t]) => t === 'blob').map(([o]) => o));
  return verified.filter((v) => present.has(v.oid));
}
parentPort.on('message', ({ id, kind, job }) => {
  let result = null;
  try { result = kind === 'catFile' ? catFile(job) : worktree(job); } catch { result = null; }
  const buffers = result === null ? [] : kind === 'catFile' ? [result.stdout] : result.map((v) => v.bytes);
  // Transfer only buffers that own their memory (small ones share Node's pool, which must not move).
  const owned = buffers.filter((b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength).map((b) => b.buffer);
  parentPort.postMessage({ id, result }, owned.filter((b, i) => owned.indexOf(b) === i));
});
`;

export interface CatFileOutput {
  stdout: Buffer;
  stderr: string;
}

export interface WorktreeBlob {
  path: string;
  oid: string;
  bytes: Buffer;
  /** The digests asked for (`sha256`, `md5`), hex, of the bytes. */
  digests: Record<string, string>;
}

let worker: Worker | undefined;
let broken = false;
let nextId = 0;
const pending = new Map<number, (result: unknown) => void>();

/** Post a job; the worker holds the process open only while jobs are pending. */
function run<T>(kind: 'catFile' | 'worktree', job: unknown): Promise<T | null> {
  if (broken) return Promise.resolve(null);
  if (!worker) {
    worker = new Worker(WORKER, { eval: true, execArgv: [] });
    worker.on('message', ({ id, result }: { id: number; result: unknown }) => {
      pending.get(id)?.(result);
      pending.delete(id);
      if (!pending.size) worker?.unref();
    });
    worker.on('error', () => {
      broken = true;
      for (const resolve of pending.values()) resolve(null);
      pending.clear();
    });
  }
  const id = nextId++;
  worker.ref();
  return new Promise<T | null>((resolve) => {
    pending.set(id, resolve as (result: unknown) => void);
    worker!.postMessage({ id, kind, job });
  });
}

/** Structured cloning turns a Buffer into a Uint8Array over the same memory: view it as a Buffer again. */
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** `git cat-file --batch` for `names` on the worker; null when git or the worker failed. */
export async function catFileOnWorker(cwd: string, names: readonly string[]): Promise<CatFileOutput | null> {
  const result = await run<{ stdout: Uint8Array; stderr: string }>('catFile', { cwd, names });
  return result && { stdout: asBuffer(result.stdout), stderr: result.stderr };
}

/**
 * The working-tree bytes of staged files whose git object id is the staged one and which git holds,
 * with the digests asked for; files that fail either test are left out. Null when the worker failed.
 */
export async function worktreeBlobsOnWorker(
  root: string,
  entries: readonly { path: string; oid: string }[],
  digests: readonly string[],
): Promise<WorktreeBlob[] | null> {
  const result = await run<(Omit<WorktreeBlob, 'bytes'> & { bytes: Uint8Array })[]>('worktree', {
    root,
    entries: entries.map(({ path, oid }) => ({ path, oid })),
    digests,
  });
  return result && result.map((v) => ({ ...v, bytes: asBuffer(v.bytes) }));
}
