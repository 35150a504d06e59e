/**
 * Scoring text against the contamination index (issue 7, §1): the fraction of a text's shingles that
 * the index holds, beside the fraction a clean text would show by chance (the filter's false-positive
 * rate), and the shortest shared run the index is sure to catch.
 *
 * The scan takes every shingle of the text (stride 1), whatever stride the index was built with.
 */
import { InvalidInputError, type Issue } from '../errors.ts';
import { readJsonl } from '../io/jsonl.ts';
import type { BloomIndex } from './bloomIndex.ts';
import type { IndexHeader } from './indexFile.ts';
import { NORMALIZER_VERSION, shingles, tokenize } from './normalize.ts';
import { falsePositiveRate } from './sizing.ts';

export interface TextScore {
  /** The text's shingles (width consecutive tokens, every start). */
  shingles: number;
  /** How many of them the index holds (true members or false positives). */
  hits: number;
  /** hits / shingles; null when the text has fewer tokens than the width: unscorable, not clean. */
  score: number | null;
}

/** Refuse an index whose tokens are not the scan's: the shingles would never match. */
export function checkScannable(header: IndexHeader, file = 'index'): void {
  if (header.normalizerVersion !== NORMALIZER_VERSION)
    throw new InvalidInputError([
      {
        file,
        field: 'normalizer_version',
        message: `the index was built with normaliser version ${header.normalizerVersion}, this evalset tokenises with version ${NORMALIZER_VERSION}: rebuild the index`,
      },
    ]);
}

/** Score one text. */
export function scoreText(index: BloomIndex, header: IndexHeader, text: string): TextScore {
  checkScannable(header);
  const all = shingles(tokenize(text), header.width, 1);
  let hits = 0;
  for (const s of all) if (index.has(s)) hits++;
  return { shingles: all.length, hits, score: all.length ? hits / all.length : null };
}

/**
 * The expected score of a text that shares nothing with the corpus: the false-positive rate of m bits
 * and k hashes after the `inserted` shingles the index holds, (1 − e^(−kn/m))^k (sizing.ts). It is the
 * rate the filter has, not the target it was sized for (a corpus larger than expected raises it).
 */
export function expectedFalsePositiveRate(header: IndexHeader): number {
  return falsePositiveRate(header.bits, header.hashes, header.inserted);
}

/**
 * The stride guarantee: a run of at least width + s − 1 tokens shared with an indexed document is
 * always detected (at least one hit), since it holds s consecutive shingle starts of that document,
 * one of which is a multiple of s and was indexed (normalize.ts).
 */
export function guaranteedRunTokens(header: Pick<IndexHeader, 'width' | 'stride'>): number {
  return header.width + header.stride - 1;
}

export interface ExampleScore extends TextScore {
  id: string;
}

/**
 * Score every example of a JSONL file: each line an object with an `id` and a `prompt` (or `text`).
 * Problems are collected and thrown together, with file, line and field.
 */
export function scanJsonl(
  index: BloomIndex,
  header: IndexHeader,
  path: string,
  onProgress?: (progress: { bytes: number; shingles: number }) => void,
): ExampleScore[] {
  checkScannable(header);
  const examples: ExampleScore[] = [];
  const issues: Issue[] = [];
  const progress = { bytes: 0, shingles: 0 };
  for (const entry of readJsonl(path, path, (bytes) => (progress.bytes += bytes.length))) {
    if (entry.issue) {
      issues.push(entry.issue);
      continue;
    }
    const value = entry.value as { id?: unknown; prompt?: unknown; text?: unknown } | null;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      issues.push({ file: path, line: entry.line, message: 'is not a JSON object with `id` and `prompt`' });
      continue;
    }
    const id = typeof value.id === 'number' ? String(value.id) : value.id;
    if (typeof id !== 'string') issues.push({ file: path, line: entry.line, field: 'id', message: 'must be a string (or a number)' });
    const text = typeof value.prompt === 'string' ? value.prompt : value.text;
    if (typeof text !== 'string') issues.push({ file: path, line: entry.line, field: 'prompt', message: 'must be a string (or give `text`)' });
    if (typeof id === 'string' && typeof text === 'string' && !issues.length) {
      const score = scoreText(index, header, text);
      examples.push({ id, ...score });
      progress.shingles += score.shingles;
      if (examples.length % 256 === 0) onProgress?.(progress);
    }
  }
  onProgress?.(progress);
  if (issues.length) throw new InvalidInputError(issues, { hint: 'Each line to scan is a JSON object with `id` and `prompt` (or `text`).' });
  return examples;
}
