import { closeSync, openSync, readSync } from 'node:fs';
import type { Issue } from '../errors.ts';
import { canonicalJson } from './hash.ts';

const CHUNK = 8 << 20;

/**
 * The lines of a file with their 1-based numbers, read in fixed-size chunks so that a pool of a
 * million examples never has to exist as one string. Blank lines are skipped; a trailing CR is dropped.
 */
export function* readLines(path: string): Generator<{ line: number; text: string }> {
  const fd = openSync(path, 'r');
  try {
    let carry = Buffer.alloc(0);
    let line = 0;
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = readSync(fd, chunk, 0, CHUNK, null);
      const buf = n === 0 ? carry : Buffer.concat([carry, chunk.subarray(0, n)]);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        line++;
        const text = buf.toString('utf8', start, nl > start && buf[nl - 1] === 13 ? nl - 1 : nl);
        if (text.trim() !== '') yield { line, text };
        start = nl + 1;
      }
      if (n === 0) {
        if (start < buf.length) {
          const text = buf.toString('utf8', start);
          if (text.trim() !== '') yield { line: line + 1, text };
        }
        return;
      }
      carry = Buffer.from(buf.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
}

export type JsonlEntry = { line: number; value: unknown; issue?: undefined } | { line: number; value?: undefined; issue: Issue };

/** Parse each line as JSON; a malformed line becomes an issue naming file and line, not an exception. */
export function* readJsonl(path: string, displayName = path): Generator<JsonlEntry> {
  for (const { line, text } of readLines(path)) {
    try {
      yield { line, value: JSON.parse(text) };
    } catch (err) {
      yield { line, issue: { file: displayName, line, message: `malformed JSON (${(err as Error).message})` } };
    }
  }
}

/** One canonical JSON object per line, LF-terminated: byte-stable whatever the key order in memory. */
export function toJsonl(rows: readonly unknown[]): string {
  return rows.map((row) => canonicalJson(row) + '\n').join('');
}
