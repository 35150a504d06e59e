import { closeSync, openSync, readSync } from 'node:fs';
import type { Issue } from '../errors.ts';
import { canonicalJson } from './hash.ts';

const CHUNK = 8 << 20;

export interface Line {
  /** 1-based line number. */
  line: number;
  text: string;
  /** Byte offset of the line in the file, and its length in bytes without the line break. */
  offset: number;
  length: number;
}

/**
 * The lines of a file with their numbers and byte positions, read in fixed-size chunks so that a
 * pool of a million examples never has to exist as one string. Blank lines are skipped; a trailing
 * CR is dropped. `onChunk` sees every byte of the file once, in order (to hash it while reading).
 */
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
        if (text.trim() !== '') yield { line, text, offset: carryOffset + start, length: end - start };
        start = nl + 1;
      }
      if (n === 0) {
        if (start < buf.length) {
          const text = buf.toString('utf8', start);
          if (text.trim() !== '') yield { line: line + 1, text, offset: carryOffset + start, length: buf.length - start };
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

export type JsonlEntry = Omit<Line, 'text'> & ({ value: unknown; issue?: undefined } | { value?: undefined; issue: Issue });

/** Parse each line as JSON; a malformed line becomes an issue naming file and line, not an exception. */
export function* readJsonl(path: string, displayName = path, onChunk?: (bytes: Uint8Array) => void): Generator<JsonlEntry> {
  for (const { line, text, offset, length } of readLines(path, onChunk)) {
    try {
      yield { line, offset, length, value: JSON.parse(text) };
    } catch (err) {
      yield { line, offset, length, issue: { file: displayName, line, message: `malformed JSON (${(err as Error).message})` } };
    }
  }
}

/** One canonical JSON object per line, LF-terminated: byte-stable whatever the key order in memory. */
export function toJsonl(rows: readonly unknown[]): string {
  return rows.map((row) => canonicalJson(row) + '\n').join('');
}
