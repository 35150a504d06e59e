import xxhash, { type XXHashAPI } from 'xxhash-wasm';
import { NORMALIZER_VERSION } from '../contamination/normalize.ts';
import { InvalidInputError } from '../errors.ts';
import { byCodePoint } from '../io/order.ts';
import type { Exclusion } from './exclusion.ts';
import { chooseBanding } from './lshBands.ts';
import { MinHashPermutations } from './minhash.ts';
import { jaccard, shingleHashSet } from './shingleSet.ts';

/**
 * Near-duplicates inside the pool (issue 7, §2): examples whose shingle sets have a Jaccard
 * similarity of at least a threshold. Candidates come from MinHash signatures (minhash.ts) and banded
 * LSH (lshBands.ts); every candidate pair is then verified by the exact Jaccard similarity of the two
 * shingle sets (shingleSet.ts), so the LSH decides only which pairs are looked at, never which are
 * reported. Verified pairs join their examples into groups (connected components); each group keeps
 * its smallest id by code point, the rule exact duplicates follow (duplicates.ts), and the others are
 * excluded from the draw.
 */

/**
 * Shingles of 5 tokens, not the index's 10: pool prompts are short (tens of tokens), and one edited
 * word removes up to `width` shingles from each side. In a 60-token prompt, one substitution leaves
 * 51 of 56 shingles shared at width 5 (J = 51/61 ≈ 0.84) but only 41 of 51 at width 10 (J ≈ 0.67), so
 * at width 10 a prompt with one word changed would fall below a threshold of 0.8.
 */
export const DEFAULT_NEAR_DUPLICATE_WIDTH = 5;
export const DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.8;
export const DEFAULT_PERMUTATIONS = 128;
/** The least chance that a pair exactly at the threshold becomes a candidate; lshBands.ts picks the bands from it. */
export const DEFAULT_RECALL_AT_THRESHOLD = 0.99;
export const NEAR_DUPLICATES_CHECK = 'near-duplicates';

export interface NearDuplicateOptions {
  /** Jaccard similarity of shingle sets at or above which two examples are near-duplicates; default 0.8. */
  threshold?: number;
  /** Shingle width in tokens; default 5. */
  width?: number;
  /** MinHash signature length; default 128. */
  permutations?: number;
  /** Seeds the shingle hash and the permutations: the same seed gives the same candidates. Default 0. */
  seed?: number;
  /** See DEFAULT_RECALL_AT_THRESHOLD. */
  recallAtThreshold?: number;
  /** Ids already excluded elsewhere (exact duplicates): left out here, so no example is excluded twice. */
  skipIds?: Iterable<string>;
  /** Names the input in errors (duplicate ids); default `pool`. */
  source?: string;
}

/** Everything that decides the result, recorded with it. */
export interface NearDuplicateParams {
  threshold: number;
  width: number;
  permutations: number;
  bands: number;
  rows: number;
  /** The S-curve's midpoint (1/b)^(1/r). */
  midpoint: number;
  /** The S-curve at the threshold: the chance that a pair exactly at the threshold is looked at. */
  recallAtThreshold: number;
  seed: number;
  normalizerVersion: number;
}

export interface NearDuplicateMember {
  id: string;
  /** The member's highest verified Jaccard similarity to another member of its group. */
  jaccard: number;
  /** The member it has that similarity with (the smallest id among ties). */
  nearest: string;
}

export interface NearDuplicateGroup {
  /** The member kept in the pool: the smallest id by code point. */
  kept: string;
  /** Every other member, sorted by id: these are excluded. */
  members: NearDuplicateMember[];
}

export interface NearDuplicateResult {
  /** Sorted by kept id. */
  groups: NearDuplicateGroup[];
  /** Examples with fewer tokens than the shingle width: they have no shingle, so they cannot be compared (not "no near-duplicate"). */
  unscorable: number;
  /** Examples left out because `skipIds` named them. */
  skipped: number;
  /** Examples that were compared. */
  compared: number;
  /** Distinct candidate pairs whose exact Jaccard similarity was computed. */
  pairsChecked: number;
  params: NearDuplicateParams;
}

let hasherPromise: Promise<XXHashAPI> | undefined;
/** xxhash-wasm compiles its WebAssembly once per process. */
function hasher(): Promise<XXHashAPI> {
  return (hasherPromise ??= xxhash());
}

/** The near-duplicate groups of a pool. The result depends on the set of examples, not their order. */
export async function nearDuplicateGroups(
  examples: readonly { id: string; text: string }[],
  options: NearDuplicateOptions = {},
): Promise<NearDuplicateResult> {
  const threshold = options.threshold ?? DEFAULT_NEAR_DUPLICATE_THRESHOLD;
  const width = options.width ?? DEFAULT_NEAR_DUPLICATE_WIDTH;
  const permutations = options.permutations ?? DEFAULT_PERMUTATIONS;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(width) || width < 1) throw new RangeError(`shingle width must be a whole number ≥ 1, not ${width}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number ≥ 0, not ${seed}`);
  const banding = chooseBanding(threshold, permutations, options.recallAtThreshold ?? DEFAULT_RECALL_AT_THRESHOLD);
  const params: NearDuplicateParams = { threshold, width, permutations, ...banding, seed, normalizerVersion: NORMALIZER_VERSION };

  const skip = new Set(options.skipIds ?? []);
  const sorted = [...examples].sort((a, b) => byCodePoint(a.id, b.id));
  const repeated = sorted.filter((e, i) => i > 0 && e.id === sorted[i - 1].id).map((e) => e.id);
  if (repeated.length) {
    const file = options.source ?? 'pool';
    throw new InvalidInputError(
      [...new Set(repeated)].map((id) => ({ file, field: 'id', message: `id ${JSON.stringify(id)} appears more than once` })),
    );
  }

  const { h64Raw } = await hasher();
  const hashSeed = BigInt(seed);
  const ids: string[] = [];
  const sets: BigUint64Array[] = [];
  let unscorable = 0;
  let skipped = 0;
  for (const { id, text } of sorted) {
    if (skip.has(id)) {
      skipped++;
      continue;
    }
    const set = shingleHashSet(text, width, h64Raw, hashSeed);
    if (set.length === 0) {
      unscorable++;
      continue;
    }
    ids.push(id);
    sets.push(set);
  }

  const n = ids.length;
  const minhash = new MinHashPermutations(permutations, seed);
  const signatures = new Int32Array(n * permutations);
  for (let i = 0; i < n; i++) minhash.signatureInto(sets[i], signatures, i * permutations);

  const pairs = candidatePairs(signatures, n, permutations, banding.bands, banding.rows, h64Raw, hashSeed);
  const components = new Components(n);
  const best = new Float64Array(n);
  const nearest = new Int32Array(n).fill(-1);
  for (const pair of pairs) {
    const a = Math.floor(pair / n);
    const b = pair - a * n;
    const sa = sets[a].length;
    const sb = sets[b].length;
    // J ≤ min/max of the set sizes: a pair too unequal in size cannot reach the threshold.
    if (Math.min(sa, sb) < threshold * Math.max(sa, sb)) continue;
    const j = jaccard(sets[a], sets[b]);
    if (j < threshold) continue;
    components.union(a, b);
    // Pairs arrive in ascending (a, b) order, so a strict > keeps the smallest id among equal similarities.
    if (j > best[a]) [best[a], nearest[a]] = [j, b];
    if (j > best[b]) [best[b], nearest[b]] = [j, a];
  }

  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (nearest[i] < 0) continue;
    const root = components.find(i);
    const members = byRoot.get(root);
    if (members) members.push(i);
    else byRoot.set(root, [i]);
  }
  // Indices follow id order, so each member list is already sorted by id and its first entry is the smallest id.
  const groups = [...byRoot.values()]
    .map(([kept, ...others]) => ({ kept: ids[kept], members: others.map((i) => ({ id: ids[i], jaccard: best[i], nearest: ids[nearest[i]] })) }))
    .sort((x, y) => byCodePoint(x.kept, y.kept));
  return { groups, unscorable, skipped, compared: n, pairsChecked: pairs.length, params };
}

/**
 * The distinct candidate pairs of banded LSH, each encoded as a·n + b with a < b (exact below 2⁵³ for
 * any pool that fits in memory), ascending. A band's r rows are keyed by the xxHash64 of their bytes,
 * cut to 53 bits: two different bands sharing a key only add a candidate, which verification drops.
 * The pairs are gathered in a typed array and sorted rather than kept in a Set, since a Set holds at
 * most 2²⁴ entries in V8 and a pool with large template families can give more candidates than that.
 */
function candidatePairs(
  signatures: Int32Array,
  n: number,
  permutations: number,
  bands: number,
  rows: number,
  h64Raw: XXHashAPI['h64Raw'],
  seed: bigint,
): Float64Array {
  const bytes = new Uint8Array(signatures.buffer, signatures.byteOffset, signatures.byteLength);
  let pairs = new Float64Array(1024);
  let count = 0;
  // Each bucket is a chain through `previous`: the newest member is in `last`, each points at the one before.
  const previous = new Int32Array(n);
  for (let band = 0; band < bands; band++) {
    const last = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const start = (i * permutations + band * rows) * 4;
      const key = Number(h64Raw(bytes.subarray(start, start + rows * 4), seed) >> 11n);
      const before = last.get(key);
      previous[i] = before ?? -1;
      last.set(key, i);
      for (let j = previous[i]; j >= 0; j = previous[j]) {
        if (count === pairs.length) {
          const grown = new Float64Array(pairs.length * 2);
          grown.set(pairs);
          pairs = grown;
        }
        pairs[count++] = j * n + i;
      }
    }
  }
  const all = pairs.subarray(0, count).sort();
  let unique = 0;
  for (let k = 0; k < all.length; k++) if (k === 0 || all[k] !== all[unique - 1]) all[unique++] = all[k];
  return all.slice(0, unique);
}

/**
 * Connected components by union–find with union by size and path halving (Tarjan, "Efficiency of a
 * good but not linear set union algorithm", JACM 22(2), 1975). Hand-written: it is twenty lines over
 * typed arrays, and the npm packages for it box every element in an object.
 */
class Components {
  private readonly parent: Int32Array;
  private readonly size: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
    this.size = new Int32Array(n).fill(1);
  }
  find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
  union(a: number, b: number): void {
    let x = this.find(a);
    let y = this.find(b);
    if (x === y) return;
    if (this.size[x] < this.size[y]) [x, y] = [y, x];
    this.parent[y] = x;
    this.size[x] += this.size[y];
  }
}

/** Three decimals, cut rather than rounded, so that a similarity just below 1 never prints as 1.000. */
function similarityText(j: number): string {
  return (Math.floor(j * 1000) / 1000).toFixed(3);
}

/**
 * One exclusion per non-kept member of each group, sorted by id: the score is its highest Jaccard
 * similarity to another member, and the reason names the kept id and that similarity.
 */
export function nearDuplicateExclusions(groups: readonly NearDuplicateGroup[]): Exclusion[] {
  return groups
    .flatMap((g) =>
      g.members.map((m) => ({
        id: m.id,
        check: NEAR_DUPLICATES_CHECK,
        score: m.jaccard,
        reason:
          m.nearest === g.kept
            ? `near-duplicate of ${g.kept}, which is kept (Jaccard similarity ${similarityText(m.jaccard)})`
            : `near-duplicate of ${m.nearest} (Jaccard similarity ${similarityText(m.jaccard)}) in a group that keeps ${g.kept}`,
      })),
    )
    .sort((a, b) => byCodePoint(a.id, b.id));
}
