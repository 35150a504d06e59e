import { accessSync, closeSync, constants, existsSync, lstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Issue } from '../errors.ts';
import { canonicalJson } from './hash.ts';

// ES2024 string methods that Node 20 has; the project's tsconfig targets ES2022, so declare them here.
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

const CHUNK = 8 << 20;

export interface Line {
  /** 1-based line number. */
  line: number;
  text: string;
  /** Byte offset of the line in the file, and its length in bytes without the line break. */
  offset: number;
  length: number;
  /** The line's bytes are not valid UTF-8: decoding replaced some with U+FFFD, so `text` is not what the file holds. */
  badUtf8?: true;
}

const REPLACEMENT = '\uFFFD';
const REPLACEMENT_BYTES = Buffer.from(REPLACEMENT, 'utf8');

/** Bytes decode to U+FFFD only where they hold it (EF BF BD) or are not UTF-8; count both to tell which. */
function hasInvalidUtf8(buf: Buffer, start: number, end: number, text: string): boolean {
  if (!text.includes(REPLACEMENT)) return false;
  let decoded = 0;
  for (let i = text.indexOf(REPLACEMENT); i !== -1; i = text.indexOf(REPLACEMENT, i + 1)) decoded++;
  let stored = 0;
  for (let i = buf.indexOf(REPLACEMENT_BYTES, start); i !== -1 && i < end; i = buf.indexOf(REPLACEMENT_BYTES, i + 3)) stored++;
  return decoded !== stored;
}

/**
 * Why a path cannot be read as a file, or null when it can. Checked before opening, because opening
 * a FIFO blocks until someone writes to it, and a directory opens fine and fails only on read.
 */
export function unreadableReason(path: string): string | null {
  let kind: string | null = null;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) kind = 'is a directory, not a file';
    else if (stat.isFIFO()) kind = 'is a named pipe (FIFO), not a regular file';
    else if (stat.isSocket()) kind = 'is a socket, not a regular file';
    else if (!stat.isFile()) kind = 'is a device, not a regular file';
  } catch (err) {
    let dangling = false;
    try {
      dangling = lstatSync(path).isSymbolicLink();
    } catch {
      // neither the link nor the file exists
    }
    return dangling ? 'is a symbolic link to a file that does not exist' : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (kind) return kind;
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    return `cannot be read (${(err as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (err as NodeJS.ErrnoException).code})`;
  }
  return null;
}

/**
 * The lines of a file with their numbers and byte positions, read in fixed-size chunks so that a
 * pool of a million examples never has to exist as one string. Blank lines are skipped; a trailing
 * CR is dropped. `onChunk` sees every byte of the file once, in order (to hash it while reading).
 */
const lineOf = (line: number, text: string, offset: number, length: number, badUtf8: boolean): Line =>
  badUtf8 ? { line, text, offset, length, badUtf8 } : { line, text, offset, length };

export function* readLines(path: string, onChunk?: (bytes: Uint8Array) => void): Generator<Line> {
  const fd = openSync(path, 'r');
  try {
    let carry = Buffer.alloc(0);
    let carryOffset = 0; // file offset of carry[0]
    let line = 0;
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, null);
      if (n > 0) onChunk?.(chunk.subarray(0, n));
      const buf = n === 0 ? carry : Buffer.concat([carry, chunk.subarray(0, n)]);
      // A UTF-8 byte-order mark, as some editors write, is not part of the first line.
      let start = line === 0 && carryOffset === 0 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        line++;
        const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
        const text = buf.toString('utf8', start, end);
        if (text.trim() !== '') yield lineOf(line, text, carryOffset + start, end - start, hasInvalidUtf8(buf, start, end, text));
        start = nl + 1;
      }
      if (n === 0) {
        if (start < buf.length) {
          const text = buf.toString('utf8', start);
          if (text.trim() !== '') yield lineOf(line + 1, text, carryOffset + start, buf.length - start, hasInvalidUtf8(buf, start, buf.length, text));
        }
        return;
      }
      carry = Buffer.from(buf.subarray(start));
      carryOffset += start;
    }
  } finally {
    closeSync(fd);
  }
}

export type JsonlEntry = Omit<Line, 'text' | 'badUtf8'> & ({ value: unknown; issue?: undefined } | { value?: undefined; issue: Issue });

/**
 * The dotted paths of every string (value or object key) in a parsed value that is not well-formed
 * UTF-16: a lone surrogate, which JSON can spell (`"\ud800"`) but UTF-8 cannot hold. Written out it
 * silently becomes U+FFFD, so the stored bytes would no longer match the hash of the value read.
 */
export function illFormedStrings(value: unknown, path: string[] = [], found: string[][] = []): string[][] {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) found.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => illFormedStrings(item, [...path, String(i)], found));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!key.isWellFormed()) found.push([...path, key.toWellFormed()]);
      illFormedStrings(item, [...path, key.toWellFormed()], found);
    }
  }
  return found;
}

export const LONE_SURROGATE_MESSAGE = 'holds a lone UTF-16 surrogate (a \\uD800–\\uDFFF escape without its pair), which UTF-8 cannot store';

// Only a JSON escape can put a surrogate into a parsed string (UTF-8 bytes cannot encode one), so
// the walk over the value runs only on the rare lines that hold such an escape.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Parse each line as JSON; a malformed line, a line that is not UTF-8 or a string with a lone
 * surrogate becomes an issue naming file and line, not an exception. A file that cannot be read (a
 * directory, a FIFO, a dangling link, no permission) is one issue naming the file.
 */
export function* readJsonl(path: string, displayName = path, onChunk?: (bytes: Uint8Array) => void): Generator<JsonlEntry> {
  const reason = unreadableReason(path);
  if (reason) {
    yield { line: 0, offset: 0, length: 0, issue: { file: displayName, message: reason } };
    return;
  }
  try {
    for (const { line, text, offset, length, badUtf8 } of readLines(path, onChunk)) {
      if (badUtf8) {
        yield { line, offset, length, issue: { file: displayName, line, message: 'is not valid UTF-8 (re-save the file as UTF-8)' } };
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        yield { line, offset, length, issue: { file: displayName, line, message: `malformed JSON (${(err as Error).message})` } };
        continue;
      }
      const illFormed = SURROGATE_ESCAPE.test(text) ? illFormedStrings(value) : [];
      if (illFormed.length) {
        yield { line, offset, length, issue: { file: displayName, line, field: illFormed[0].join('.'), message: LONE_SURROGATE_MESSAGE } };
        continue;
      }
      yield { line, offset, length, value };
    }
  } catch (err) {
    // A read that fails half-way (an I/O error, a file removed under us) is a problem with that file.
    yield {
      line: 0,
      offset: 0,
      length: 0,
      issue: { file: displayName, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` },
    };
  }
}

/** The `*.jsonl` files directly in a folder, in name order, so the same folder always reads the same way (none when it does not exist). */
export function jsonlFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .map((name) => join(dir, name));
}

/** One canonical JSON object per line, LF-terminated: byte-stable whatever the key order in memory. */
export function toJsonl(rows: readonly unknown[]): string {
  return rows.map((row) => canonicalJson(row) + '\n').join('');
}
