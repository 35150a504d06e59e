import { BloomFilter } from 'bloom-filters';
import { describe, expect, it } from 'vitest';
import { BloomIndex } from '../lib/contamination/bloomIndex.ts';
import { NORMALIZER_VERSION, normalizeText, shingles, tokenize } from '../lib/contamination/normalize.ts';
import { bitsPerShingle, capacity, falsePositiveRate, fitBudget, optimalHashes, sizeFor } from '../lib/contamination/sizing.ts';

const utf8 = new TextEncoder();
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const key = (prefix: string, i: number) => utf8.encode(`${prefix}-${i}`);

/** The concatenated bit array of an index, for byte-for-byte comparisons. */
const bytesOf = (index: BloomIndex) => Buffer.concat(index.segments.map((s) => Buffer.from(s.buffer, s.byteOffset, s.length)));

describe('normaliser (version 1)', () => {
  it('is version 1', () => expect(NORMALIZER_VERSION).toBe(1));

  it('applies NFC, folds case beyond lower-casing and drops punctuation', () => {
    // "é" precomposed (U+00E9) and decomposed (e + U+0301) are one token after NFC.
    expect(tokenize('Caf\u00e9')).toEqual(tokenize('Cafe\u0301'));
    expect(tokenize('Caf\u00e9')).toEqual(['caf\u00e9']);
    // CaseFolding.txt full folding: ß → ss, final sigma ς → σ, ligature ﬁ → fi.
    expect(tokenize('Straße')).toEqual(tokenize('STRASSE'));
    expect(tokenize('ΟΔΟΣ οδος')).toEqual(['οδοσ', 'οδοσ']);
    expect(tokenize('σοφός')).toEqual(['σοφόσ']);
    expect(tokenize('ﬁle')).toEqual(['file']);
    expect(tokenize("Hello, world! Don't--stop: 3.14")).toEqual(['hello', 'world', 'don', 't', 'stop', '3', '14']);
    expect(normalizeText('İ')).toBe('i\u0307');
  });

  it('keeps combining marks inside words (Devanagari vowel signs)', () => {
    expect(tokenize('नमस्ते दुनिया')).toEqual(['नमस्ते', 'दुनिया']);
  });

  it('makes each Han, Hiragana, Katakana and Hangul character a token, Latin runs beside them whole', () => {
    expect(tokenize('東京タワーは高い。GPT-4で')).toEqual(['東', '京', 'タ', 'ワ', 'ー', 'は', '高', 'い', 'gpt', '4', 'で']);
    expect(tokenize('안녕하세요 세계')).toEqual(['안', '녕', '하', '세', '요', '세', '계']);
  });

  it('is the same in any locale: tokenising does not depend on the default locale (Turkish I)', () => {
    expect(tokenize('TITLE')).toEqual(['title']);
  });
});

describe('shingles', () => {
  const tokens = tokenize('the quick brown fox jumps over the lazy dog');

  it('are width consecutive tokens joined by one space, as UTF-8 bytes', () => {
    const s = shingles(tokens, 3);
    expect(s.map(decode)).toEqual([
      'the quick brown',
      'quick brown fox',
      'brown fox jumps',
      'fox jumps over',
      'jumps over the',
      'over the lazy',
      'the lazy dog',
    ]);
    expect(shingles(tokenize('東京タワー'), 2).map(decode)).toEqual(['東 京', '京 タ', 'タ ワ', 'ワ ー']);
  });

  it('with stride s keep the shingles starting at 0, s, 2s, …', () => {
    expect(shingles(tokens, 3, 3).map(decode)).toEqual(['the quick brown', 'fox jumps over', 'the lazy dog']);
    expect(shingles(tokens, 4, 2).map(decode)).toEqual(['the quick brown fox', 'brown fox jumps over', 'jumps over the lazy']);
  });

  it('are none when a text is shorter than one shingle (the caller reports it unscorable)', () => {
    expect(shingles(tokens, 10)).toEqual([]);
    expect(shingles([], 1)).toEqual([]);
    expect(shingles(tokens, 9)).toHaveLength(1);
  });

  it('refuse a width or stride below 1', () => {
    expect(() => shingles(tokens, 0)).toThrow(RangeError);
    expect(() => shingles(tokens, 3, 0)).toThrow(RangeError);
    expect(() => shingles(tokens, 2.5)).toThrow(RangeError);
  });

  it('with stride s catch every shared run of width + s − 1 tokens (the scan uses stride 1)', async () => {
    const width = 4;
    const stride = 3;
    const corpus = Array.from({ length: 60 }, (_, i) => `w${i}`);
    const index = await BloomIndex.create({ bits: 1 << 16, hashes: 5, seed: 7n });
    for (const s of shingles(corpus, width, stride)) index.add(s);
    // Every run of width + stride − 1 = 6 tokens of the corpus, wherever it starts, has a hit.
    for (let start = 0; start + width + stride - 1 <= corpus.length; start++) {
      const run = corpus.slice(start, start + width + stride - 1);
      expect(shingles(run, width, 1).some((s) => index.has(s))).toBe(true);
    }
  });
});

describe('sizing', () => {
  it('needs about 119.8 GB for 100 billion shingles at 1%, 9.585 bits each (issue 7)', () => {
    // −ln(0.01) / (ln 2)² = 9.585058377367439 (the formula; also −log2(0.01)/ln 2).
    expect(bitsPerShingle(0.01)).toBeCloseTo(9.585058377367439, 12);
    const size = sizeFor(100e9, 0.01);
    expect(size.bytes / 1e9).toBeCloseTo(119.81, 2);
    expect(size.bits % 8).toBe(0);
    expect(size.hashes).toBe(7); // round(9.585 · ln 2) = round(6.64)
    expect(size.expectedFpr).toBeGreaterThan(0.0099);
    expect(size.expectedFpr).toBeLessThan(0.0101);
  });

  it('holds about 6.7 billion shingles in 8 GB at 1% (issue 7)', () => {
    expect(capacity(8e9, 0.01) / 1e9).toBeCloseTo(6.677, 3);
  });

  it('gives the false-positive rate of a budget and the stride that restores the target', () => {
    const fit = fitBudget(100e9, 8e9, 0.01);
    // m/n = 0.64 bits per shingle: k = round(0.64 ln 2) = 0 → 1, p = 1 − e^(−1/0.64) = 0.790
    expect(fit.hashes).toBe(1);
    expect(fit.fpr).toBeCloseTo(-Math.expm1(-1 / 0.64), 12);
    // ⌈100 / 6.677⌉ = 15 is the first stride under capacity; the rounding of k must not leave it above 1%.
    expect(fit.stride).toBe(15);
    expect(fit.strideFpr).toBeLessThanOrEqual(0.01);
    expect(falsePositiveRate(fit.bits, optimalHashes(fit.bits, Math.ceil(100e9 / 14)), Math.ceil(100e9 / 14))).toBeGreaterThan(0.01);
    // A corpus that fits needs no stride.
    expect(fitBudget(1e6, 2e6, 0.01)).toMatchObject({ stride: 1 });
  });

  it('matches the textbook optimum p = 2^−k at k = (m/n) ln 2', () => {
    // m/n = 10/ln 2 bits per key → k = 10 → p = (1 − e^(−ln 2))^10 = 2^−10.
    expect(falsePositiveRate(10_000_000, 10, 10_000_000 * (Math.LN2 / 10))).toBeCloseTo(2 ** -10, 15);
  });

  it('refuses a rate outside (0, 1)', () => {
    expect(() => sizeFor(10, 0)).toThrow(RangeError);
    expect(() => sizeFor(10, 1)).toThrow(RangeError);
  });
});

describe('BloomIndex', () => {
  const n = 20_000;
  const absent = 200_000;
  const size = sizeFor(n, 0.01);
  const params = { bits: size.bits, hashes: size.hashes, seed: 20240607n };

  it('has no false negatives and a false-positive rate within 5 binomial σ of the formula', async () => {
    const index = await BloomIndex.create(params);
    for (let i = 0; i < n; i++) index.add(key('in', i));
    for (let i = 0; i < n; i++) expect(index.has(key('in', i))).toBe(true);
    let hits = 0;
    for (let i = 0; i < absent; i++) if (index.has(key('out', i))) hits++;
    const measured = hits / absent;
    // Each absent key is a false positive with probability ≈ p, so the count is Binomial(200k, p):
    // σ = √(p(1−p)/200k) ≈ 0.00022 at p = 1%. 5σ leaves room for the formula's own approximation (Bose
    // et al. 2008: it slightly underestimates for small m; relative error O(k/√m), about 1% here).
    const p = size.expectedFpr;
    const sigma = Math.sqrt((p * (1 - p)) / absent);
    expect(Math.abs(measured - p)).toBeLessThan(5 * sigma);
  });

  it('agrees with bloom-filters on a small filter: both without false negatives, with similar rates', async () => {
    const small = sizeFor(5_000, 0.01);
    const ours = await BloomIndex.create({ bits: small.bits, hashes: small.hashes, seed: 1n });
    const peer = new BloomFilter(small.bits, small.hashes);
    peer.seed = 1;
    for (let i = 0; i < 5_000; i++) {
      ours.add(key('in', i));
      peer.add(`in-${i}`);
    }
    for (let i = 0; i < 5_000; i++) {
      expect(ours.has(key('in', i))).toBe(true);
      expect(peer.has(`in-${i}`)).toBe(true);
    }
    let oursHits = 0;
    let peerHits = 0;
    for (let i = 0; i < absent; i++) {
      if (ours.has(key('out', i))) oursHits++;
      if (peer.has(`out-${i}`)) peerHits++;
    }
    // Their hashing differs, so compare rates, not bits: the difference of two independent binomial
    // proportions has σ = √2 · √(p(1−p)/200k); 5σ.
    const p = small.expectedFpr;
    const sigma = Math.SQRT2 * Math.sqrt((p * (1 - p)) / absent);
    expect(Math.abs(oursHits - peerHits) / absent).toBeLessThan(5 * sigma);
  });

  it('gives the same bytes for the same keys in another order, and whatever the segment size', async () => {
    const keys = Array.from({ length: 2_000 }, (_, i) => key('k', i));
    const forward = await BloomIndex.create(params);
    for (const k of keys) forward.add(k);
    const backward = await BloomIndex.create(params, { segmentBytes: 64 });
    for (const k of [...keys].reverse()) backward.add(k);
    expect(backward.segments.length).toBe(Math.ceil(size.bytes / 64));
    expect(bytesOf(backward).equals(bytesOf(forward))).toBe(true);
    expect(bytesOf(forward).some((b) => b !== 0)).toBe(true);
    // Another seed sets other bits.
    const reseeded = await BloomIndex.create({ ...params, seed: 1n });
    for (const k of keys) reseeded.add(k);
    expect(bytesOf(reseeded).equals(bytesOf(forward))).toBe(false);
  });

  it('reads segments back without copying them', async () => {
    const index = await BloomIndex.create(params, { segmentBytes: 1024 });
    for (let i = 0; i < 1_000; i++) index.add(key('in', i));
    const again = await BloomIndex.fromSegments(params, [...index.segments], 1024);
    expect(again.segments[0]).toBe(index.segments[0]);
    for (let i = 0; i < 1_000; i++) expect(again.has(key('in', i))).toBe(true);
    await expect(BloomIndex.fromSegments(params, index.segments.slice(1), 1024)).rejects.toThrow(RangeError);
  });

  it('uses the whole of a filter over 2^32 bits (two 64-bit hashes, no 32-bit ceiling)', async () => {
    // 2^33 bits = 1 GiB, in 2^27-byte segments so that no bit of it is left to chance: about half the
    // first probes must land above bit 2^32, which 32-bit hashes never reach.
    const bits = 2 ** 33;
    const index = await BloomIndex.create({ bits, hashes: 1, seed: 3n }, { segmentBytes: 2 ** 27 });
    for (let i = 0; i < 4_000; i++) index.add(key('big', i));
    const upperSegments = index.segments.slice(index.segments.length / 2);
    const upperBits = upperSegments.reduce((sum, s) => sum + setBits(s), 0);
    // Binomial(4000, ½): mean 2000, σ ≈ 31.6; 5σ.
    expect(Math.abs(upperBits - 2_000)).toBeLessThan(160);
    for (let i = 0; i < 4_000; i++) expect(index.has(key('big', i))).toBe(true);
  });

  it('refuses parameters that cannot be right', async () => {
    await expect(BloomIndex.create({ bits: 12, hashes: 3, seed: 0n })).rejects.toThrow(RangeError);
    await expect(BloomIndex.create({ bits: 64, hashes: 0, seed: 0n })).rejects.toThrow(RangeError);
    await expect(BloomIndex.create({ bits: 64, hashes: 1, seed: -1n })).rejects.toThrow(RangeError);
    await expect(BloomIndex.create({ bits: 64, hashes: 1, seed: 0n }, { segmentBytes: 3 })).rejects.toThrow(RangeError);
  });
});

/** The number of set bits, read a 32-bit word at a time (the segments are mostly zero). */
function setBits(segment: Uint8Array): number {
  const words = new Uint32Array(segment.buffer, segment.byteOffset, segment.length / 4);
  let count = 0;
  for (let i = 0; i < words.length; i++) for (let w = words[i]; w !== 0; w &= w - 1) count++;
  return count;
}
