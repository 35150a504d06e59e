import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidInputError } from '../../errors.ts';
import { writeAtomic } from '../../io/atomic.ts';
import { sha256 } from '../../io/hash.ts';
import { byCodePoint } from '../../io/order.ts';

/**
 * The persistent cache of prompt log-probabilities (issue 7, §3): one JSON line per answer, keyed by the endpoint's base
 * URL (without credentials), the model, the request shape (endpoint.ts `requestShape`) and the SHA-256 of the text. It
 * records the log-probabilities rather than a score, so switching between the mean and Min-K% needs no new request.
 *
 * Answers are appended with one write(2) each as they arrive, so a run killed midway keeps every answer it had (the
 * data is in the kernel once the call returns; surviving a power cut needs `compact`, which syncs). A killed write can
 * leave a torn last line: it is dropped with a warning and cut off the file before the next append. `compact` rewrites
 * the file atomically with one line per key in key order, so the same answers give the same bytes whatever order they
 * came in; that is the form to commit or push (it is a DVC output), and `digest` is the SHA-256 of those bytes. The
 * cache holds no API key: nothing in an entry comes from the request headers.
 */
export interface CacheKey {
  baseUrl: string;
  model: string;
  request: string;
  /** SHA-256 (hex) of the text's UTF-8 bytes. */
  sha256: string;
}

export interface CacheEntry extends CacheKey {
  /** The prompt-token log-probabilities, first token dropped, as the endpoint gave them. */
  logprobs: number[];
}

export const textHash = (text: string): string => sha256(text);

const keyOf = (k: CacheKey): string => JSON.stringify([k.baseUrl, k.model, k.request, k.sha256]);

/** One line: fixed field order, so a line's bytes depend on its content only. */
const lineOf = (e: CacheEntry): string =>
  JSON.stringify({ baseUrl: e.baseUrl, model: e.model, request: e.request, sha256: e.sha256, logprobs: e.logprobs }) + '\n';

function entryOf(value: unknown): CacheEntry | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const strings = ['baseUrl', 'model', 'request', 'sha256'].every((f) => typeof v[f] === 'string');
  if (!strings || !/^[0-9a-f]{64}$/.test(v.sha256 as string)) return null;
  if (!Array.isArray(v.logprobs) || !v.logprobs.every((x) => typeof x === 'number')) return null;
  return { baseUrl: v.baseUrl as string, model: v.model as string, request: v.request as string, sha256: v.sha256 as string, logprobs: v.logprobs };
}

export class LogprobCache {
  private readonly entries = new Map<string, CacheEntry>();
  private fd: number | null = null;
  /** Keys read or appended by this process (retainUsed). */
  private readonly used = new Set<string>();
  /** Lines read from the file at open, and answers appended since. */
  readonly stats = { loaded: 0, appended: 0, tornLines: 0 };

  private constructor(
    /** The JSONL file; null for a cache that lives in memory only. */
    readonly path: string | null,
  ) {}

  /** A cache in memory only (tests, or a run that must not persist). */
  static inMemory(): LogprobCache {
    return new LogprobCache(null);
  }

  /**
   * Open (or create on first append) the cache file. A line that is not a cache entry fails with its line number,
   * except a torn last line (no newline at its end: each append writes the line and its newline in one call, so only
   * a killed write leaves that), which is dropped, cut off the file, and `warn` says so. When one key appears twice,
   * the line that sorts first is kept, which makes the result independent of the order the lines were appended in.
   */
  static open(path: string, warn: (message: string) => void = (m) => process.emitWarning(m)): LogprobCache {
    const cache = new LogprobCache(path);
    if (!existsSync(path)) return cache;
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    const issues = [];
    // Every line but the last ends with '\n'; the last part is '' or a torn line.
    for (let i = 0; i < lines.length - 1; i++) {
      if (lines[i] === '') continue;
      let entry: CacheEntry | null = null;
      try {
        entry = entryOf(JSON.parse(lines[i]));
      } catch {
        entry = null;
      }
      if (!entry) {
        issues.push({ file: path, line: i + 1, message: 'is not a membership cache entry {baseUrl, model, request, sha256, logprobs}' });
        continue;
      }
      cache.remember(entry);
      cache.stats.loaded++;
    }
    if (issues.length)
      throw new InvalidInputError(issues, {
        hint: 'Remove the listed lines (or the whole cache file: its answers are then asked again) and re-run.',
      });
    const torn = lines[lines.length - 1];
    if (torn !== '') {
      cache.stats.tornLines = 1;
      warn(`${path}: dropped a torn last line (${Buffer.byteLength(torn)} bytes, from a run that was killed while writing it)`);
      const fd = openSync(path, 'r+');
      try {
        ftruncateSync(fd, Buffer.byteLength(text) - Buffer.byteLength(torn));
      } finally {
        closeSync(fd);
      }
    }
    return cache;
  }

  private remember(entry: CacheEntry): void {
    const key = keyOf(entry);
    const held = this.entries.get(key);
    if (!held || byCodePoint(lineOf(entry), lineOf(held)) < 0) this.entries.set(key, entry);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: CacheKey): number[] | undefined {
    const k = keyOf(key);
    const entry = this.entries.get(k);
    if (entry) this.used.add(k);
    return entry?.logprobs;
  }

  /**
   * Forget every answer this process neither read nor appended, before `compact`. The pipeline keeps
   * only the answers its draw used, so the file is a function of the inputs, the same bytes after a
   * fresh build and after any sequence of incremental ones (dvc.lock records its hash); the price is
   * that an answer no longer needed is asked again if it is needed later.
   */
  retainUsed(): void {
    for (const k of [...this.entries.keys()]) if (!this.used.has(k)) this.entries.delete(k);
  }

  has(key: CacheKey): boolean {
    return this.entries.has(keyOf(key));
  }

  /** Every answer per text hash, whatever endpoint, model or request shape recorded it. */
  answersByTextHash(): Map<string, number[][]> {
    const out = new Map<string, number[][]>();
    for (const e of this.entries.values()) {
      const list = out.get(e.sha256);
      if (list) list.push(e.logprobs);
      else out.set(e.sha256, [e.logprobs]);
    }
    return out;
  }

  /** Keep an answer, and append it to the file at once. */
  append(entry: CacheEntry): void {
    this.remember(entry);
    this.used.add(keyOf(entry));
    this.stats.appended++;
    if (this.path === null) return;
    if (this.fd === null) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a');
    }
    writeSync(this.fd, lineOf(entry));
  }

  /** The compacted content: one line per key, in key order (code point order of the key fields). */
  content(): string {
    return [...this.entries]
      .sort(([a], [b]) => byCodePoint(a, b))
      .map(([, e]) => lineOf(e))
      .join('');
  }

  /** Rewrite the file as `content()`, atomically (a temporary file, synced, renamed over it). */
  compact(): void {
    if (this.path === null) return;
    this.close();
    writeAtomic(this.path, this.content());
  }

  /** SHA-256 of the compacted content, for the quality section. */
  digest(): string {
    return sha256(this.content());
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
