import { Faker, base, en } from '@faker-js/faker';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import xxhash from 'xxhash-wasm';
import { tokenize } from '../lib/contamination/normalize.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { byCodePoint } from '../lib/io/order.ts';
import { candidateProbability, chooseBanding, sCurveMidpoint } from '../lib/eligibility/lshBands.ts';
import { MinHashPermutations } from '../lib/eligibility/minhash.ts';
import { nearDuplicateExclusions, nearDuplicateGroups, type NearDuplicateResult } from '../lib/eligibility/nearDuplicates.ts';
import { jaccard, shingleHashSet } from '../lib/eligibility/shingleSet.ts';

const { h64Raw } = await xxhash();

/** The reference shingle set, independent of the hashing: shingles as strings of `width` tokens. */
function shingleStrings(text: string, width = 5): Set<string> {
  const t = tokenize(text);
  return new Set(Array.from({ length: Math.max(0, t.length - width + 1) }, (_, i) => t.slice(i, i + width).join(' ')));
}

/** The reference similarity of two shingle-string sets. */
function setJaccard(x: Set<string>, y: Set<string>): number {
  let shared = 0;
  for (const s of x) if (y.has(s)) shared++;
  return shared / (x.size + y.size - shared);
}

const referenceJaccard = (a: string, b: string): number => setJaccard(shingleStrings(a), shingleStrings(b));

/** Every unordered pair of ids that share a group, as "a\u0000b" with a < b. */
function groupedPairs(result: NearDuplicateResult): Set<string> {
  const pairs = new Set<string>();
  for (const g of result.groups) {
    const ids = [g.kept, ...g.members.map((m) => m.id)].sort(byCodePoint);
    for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) pairs.add(`${ids[i]}\u0000${ids[j]}`);
  }
  return pairs;
}

describe('exact Jaccard similarity of shingle sets', () => {
  it('matches hand-computed values', () => {
    // Width 5: {abcde, bcdef, cdefg} and {abcde, bcdef, cdefh} share 2 of 4 distinct shingles.
    expect(jaccard(shingleHashSet('a b c d e f g', 5, h64Raw, 0n), shingleHashSet('A, b; c d e f h!', 5, h64Raw, 0n))).toBe(0.5);
    // Width 2: "a b a b a" has the set {ab, ba}; "a b c" has {ab, bc}: 1 shared of 3.
    expect(shingleHashSet('a b a b a', 2, h64Raw, 0n)).toHaveLength(2);
    expect(jaccard(shingleHashSet('a b a b a', 2, h64Raw, 0n), shingleHashSet('a b c', 2, h64Raw, 0n))).toBe(1 / 3);
    expect(jaccard(shingleHashSet('one two', 5, h64Raw, 0n), shingleHashSet('one two', 5, h64Raw, 0n))).toBe(0);
  });
});

describe('banded LSH', () => {
  it('gives the S-curve of MMDS Figure 3.11 (b = 20, r = 5)', () => {
    // Leskovec, Rajaraman & Ullman, Mining of Massive Datasets, §3.4.2, Fig. 3.11: 1 − (1 − s⁵)²⁰.
    const published: [number, number][] = [
      [0.2, 0.006],
      [0.3, 0.047],
      [0.4, 0.186],
      [0.5, 0.47],
      [0.6, 0.802],
      [0.7, 0.975],
      [0.8, 0.9996],
    ];
    for (const [s, p] of published) expect(candidateProbability(s, 20, 5)).toBeCloseTo(p, s === 0.8 ? 4 : 3);
    expect(sCurveMidpoint(20, 5)).toBeCloseTo(0.5493, 4); // (1/20)^(1/5)
  });

  it('picks the most selective banding that finds pairs at the threshold with probability ≥ 0.99', () => {
    const b = chooseBanding(0.8, 128, 0.99);
    expect([b.bands, b.rows]).toEqual([21, 6]);
    expect(b.recallAtThreshold).toBeCloseTo(1 - (1 - 0.8 ** 6) ** 21, 12);
    expect(b.recallAtThreshold).toBeGreaterThanOrEqual(0.99);
    expect(candidateProbability(0.8, Math.floor(128 / 7), 7)).toBeLessThan(0.99); // r = 7 would miss more
    expect(b.midpoint).toBeLessThan(0.8);
    expect(() => chooseBanding(0, 128)).toThrow(RangeError);
  });

  it('finds pairs at the rate the S-curve predicts, and signatures agree at the rate of the similarity', () => {
    // 400 pairs of 60-element sets sharing 45: J = 45/75 = 0.6 (Broder 1997: P[agree] = J).
    const permutations = new MinHashPermutations(128, 7);
    const { bands, rows } = chooseBanding(0.8, 128);
    const gen = xoroshiro128plus(11);
    const word = () => BigInt(uniformInt(gen, 0, 0x7fffffff)) * 0x100000000n + BigInt(uniformInt(gen, 0, 0xffffffff));
    let agree = 0;
    let candidates = 0;
    const pairs = 400;
    const x = new Int32Array(128);
    const y = new Int32Array(128);
    for (let p = 0; p < pairs; p++) {
      const shared = Array.from({ length: 45 }, word);
      const a = new BigUint64Array([...shared, ...Array.from({ length: 15 }, word)]).sort();
      const b = new BigUint64Array([...shared, ...Array.from({ length: 15 }, word)]).sort();
      expect(jaccard(a, b)).toBe(0.6);
      permutations.signatureInto(a, x, 0);
      permutations.signatureInto(b, y, 0);
      for (let i = 0; i < 128; i++) if (x[i] === y[i]) agree++;
      let found = false;
      for (let band = 0; band < bands && !found; band++) found = x.slice(band * rows, (band + 1) * rows).every((v, i) => v === y[band * rows + i]);
      if (found) candidates++;
    }
    const agreement = agree / (pairs * 128);
    const expected = candidateProbability(0.6, bands, rows); // 0.633
    // Binomial standard errors: agreement ≈ 0.0022 (positions are not independent within a pair; 5 SE allowed), candidates ≈ 0.024 (4 SE).
    expect(Math.abs(agreement - 0.6)).toBeLessThan(0.011);
    expect(Math.abs(candidates / pairs - expected)).toBeLessThan(4 * Math.sqrt((expected * (1 - expected)) / pairs));
  });

  it('computes each signature position as the minimum of its permutation over the set', () => {
    const permutations = new MinHashPermutations(16, 3);
    const set = shingleHashSet('the quick brown fox jumps over the lazy dog again and again', 3, h64Raw, 0n);
    const signature = new Int32Array(20);
    permutations.signatureInto(set, signature, 4);
    for (let i = 0; i < 16; i++) expect(signature[4 + i]).toBe(Math.min(...[...set].map((h) => permutations.hash(i, Number(h & 0xffffffffn)))));
  });
});

describe('nearDuplicateGroups on planted pairs', () => {
  // 200 varied texts from a seeded Faker, 40 to 120 words each; 100 of them get a near-copy with 0 to 4
  // words replaced (exact similarity from 1 down to about 0.45), 8 more get two copies with one word each.
  const faker = new Faker({ locale: [en, base] });
  faker.seed(2024);
  const bases = Array.from({ length: 200 }, (_, i) => ({
    id: `base-${String(i).padStart(3, '0')}`,
    words: faker.word.words({ count: { min: 40, max: 120 } }).split(' '),
  }));
  const edited = (words: string[], edits: number, tag: string) => {
    const copy = [...words];
    for (let e = 0; e < edits; e++) copy[faker.number.int({ min: 0, max: copy.length - 1 })] = `edit${tag}x${e}`;
    return copy.join(' ');
  };
  const examples = bases.map((b) => ({ id: b.id, text: b.words.join(' ') }));
  bases.slice(0, 100).forEach((b, i) => examples.push({ id: `${b.id}-copy`, text: edited(b.words, i % 5, `${i}`) }));
  bases
    .slice(100, 108)
    .forEach((b, i) =>
      examples.push({ id: `${b.id}-copy1`, text: edited(b.words, 1, `${i}a`) }, { id: `${b.id}-copy2`, text: edited(b.words, 1, `${i}b`) }),
    );

  it('has precision ≥ 0.95 and recall ≥ 0.9 against the pairs whose exact similarity is ≥ 0.8', async () => {
    const result = await nearDuplicateGroups(examples);
    const positives = new Set<string>();
    const ids = examples.map((e) => e.id).sort(byCodePoint);
    const text = new Map(examples.map((e) => [e.id, e.text]));
    const sets = ids.map((id) => shingleStrings(text.get(id)!));
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) if (setJaccard(sets[i], sets[j]) >= 0.8) positives.add(`${ids[i]}\u0000${ids[j]}`);
    const predicted = groupedPairs(result);
    const truePositives = [...predicted].filter((p) => positives.has(p)).length;
    const precision = truePositives / predicted.size;
    const recall = truePositives / positives.size;
    console.log(
      `near-duplicates on planted pairs: ${positives.size} pairs with J ≥ 0.8 among ${examples.length} texts; ${predicted.size} grouped pairs; ` +
        `precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}; ${result.pairsChecked} candidate pairs verified`,
    );
    // The planted set must straddle the threshold, or the figures say nothing.
    expect(positives.size).toBeGreaterThan(40);
    const belowThreshold = bases.slice(0, 100).filter((b) => referenceJaccard(b.words.join(' '), text.get(`${b.id}-copy`)!) < 0.8).length;
    expect(belowThreshold).toBeGreaterThan(20);
    expect(precision).toBeGreaterThanOrEqual(0.95);
    expect(recall).toBeGreaterThanOrEqual(0.9);
    // Every reported similarity is the exact one.
    for (const g of result.groups)
      for (const m of g.members) expect(m.jaccard).toBeCloseTo(referenceJaccard(text.get(m.id)!, text.get(m.nearest)!), 12);
  });

  it('gives the same groups whatever the order of the examples', async () => {
    const forward = await nearDuplicateGroups(examples);
    const gen = xoroshiro128plus(5);
    const shuffled = [...examples];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = uniformInt(gen, 0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    expect(await nearDuplicateGroups(shuffled)).toEqual(forward);
    expect(await nearDuplicateGroups([...examples].reverse())).toEqual(forward);
  });
});

describe('nearDuplicateGroups', () => {
  const sentence = 'the committee will review every application received before the deadline and notify each applicant by email within two weeks';

  it('keeps the smallest id by code point and excludes the others with their similarity', async () => {
    // Code-point order puts U+FF5E before U+1F600; UTF-16 code-unit order would not.
    const ids = ['b', 'a10', 'x\u{1F600}', 'x\uFF5E'];
    // 19 tokens, 15 shingles; a different last word changes one shingle: J = 14 / 16 for every pair.
    const examples = ids.map((id, i) => ({ id, text: i === 0 ? sentence : sentence.replace(/weeks$/, `weeks${i}`) }));
    const result = await nearDuplicateGroups(examples);
    expect(result.groups).toHaveLength(1);
    expect(result.groups[0].kept).toBe('a10');
    expect(result.groups[0].members.map((m) => m.id)).toEqual(['b', 'x\uFF5E', 'x\u{1F600}']);
    const exclusions = nearDuplicateExclusions(result.groups);
    expect(exclusions.map((e) => e.id)).toEqual(['b', 'x\uFF5E', 'x\u{1F600}']);
    const b = exclusions[0];
    expect(b.score).toBe(14 / 16);
    expect(b.score).toBe(referenceJaccard(sentence, examples[1].text));
    // Its closest members tie at 14/16; the smallest id among them, the kept one, is named.
    expect(b).toEqual({
      id: 'b',
      check: 'near-duplicates',
      score: 14 / 16,
      reason: 'near-duplicate of a10, which is kept (Jaccard similarity 0.875)',
    });
  });

  it('counts texts shorter than one shingle as unscorable and leaves skipped ids out', async () => {
    const result = await nearDuplicateGroups([
      { id: 'short', text: 'too short' },
      { id: 'empty', text: '?!' },
      { id: 'a', text: sentence },
      { id: 'b', text: sentence },
      { id: 'c', text: sentence + '.' },
    ]);
    expect(result.unscorable).toBe(2);
    expect(result.compared).toBe(3);
    expect(result.groups).toEqual([
      {
        kept: 'a',
        members: [
          { id: 'b', jaccard: 1, nearest: 'a' },
          { id: 'c', jaccard: 1, nearest: 'a' },
        ],
      },
    ]);
    const skipping = await nearDuplicateGroups(
      [
        { id: 'a', text: sentence },
        { id: 'b', text: sentence },
        { id: 'c', text: sentence + '.' },
      ],
      { skipIds: ['b'] },
    );
    expect(skipping.skipped).toBe(1);
    expect(skipping.groups).toEqual([{ kept: 'a', members: [{ id: 'c', jaccard: 1, nearest: 'a' }] }]);
  });

  it('does not group texts below the threshold', async () => {
    const other = 'a completely different request about the weather in lisbon tomorrow and whether to bring an umbrella';
    const result = await nearDuplicateGroups([
      { id: 'a', text: sentence },
      { id: 'b', text: other },
    ]);
    expect(result.groups).toEqual([]);
  });

  it('refuses repeated ids', async () => {
    const promise = nearDuplicateGroups([
      { id: 'a', text: sentence },
      { id: 'a', text: sentence },
    ]);
    await expect(promise).rejects.toThrow(InvalidInputError);
    await expect(promise).rejects.toThrow(/"a" appears more than once/);
  });
});
