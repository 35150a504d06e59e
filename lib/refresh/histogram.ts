/**
 * The histograms staleness compares: the reference (the dataset as curated) and the current traffic
 * counted over the SAME bins, so that bin i means the same thing on both sides and the two count
 * vectors can go straight into jensenShannonDivergence (lib/stats/jensenShannonDivergence.ts) and the
 * noise floor (lib/refresh/noiseFloor.ts).
 *
 * Three kinds, one per staleness dimension of issue 9:
 * - fixed bins over a number (prompt length), the edges taken from params and shared by both sides;
 * - categories (task category), over the union of the categories either side has;
 * - the top-K entities, the rest pooled in one "other" bin.
 */
export interface HistogramPair {
  /** One label per bin, in bin order. */
  bins: string[];
  /** Counts of the reference side, one per bin. */
  reference: number[];
  /** Counts of the current side, one per bin. */
  current: number[];
}

/** The label of the bin that pools every entity outside the top K. */
export const OTHER = 'other';

/**
 * Fixed-bin counts of `values` over the bins that `edges` bound: bin i holds eᵢ ≤ x < eᵢ₊₁, and the
 * last bin also holds x = eₙ, as numpy.histogram(values, bins=edges) counts. Unlike numpy, nothing is
 * dropped: a value below e₀ counts in the first bin and a value above eₙ in the last (numpy.histogram of
 * numpy.clip(values, e₀, eₙ)), so both sides keep all of their mass whatever the traffic does. Each value
 * is placed by binary search over the interior edges e₁ … eₙ₋₁: its bin is the number of them ≤ x.
 */
export function fixedBinCounts(values: readonly number[], edges: readonly number[]): number[] {
  checkEdges(edges);
  const counts: number[] = new Array(edges.length - 1).fill(0);
  for (const x of values) {
    if (!Number.isFinite(x)) throw new RangeError(`a value to bin is not a finite number: ${x}`);
    // The number of interior edges e₁ … eₙ₋₁ that are ≤ x, found by binary search.
    let lo = 1;
    let hi = edges.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    counts[lo - 1]++;
  }
  return counts;
}

/**
 * The labels of fixed bins, saying what each counts: `< e₁` for the first (it also takes values below
 * e₀), `[eᵢ, eᵢ₊₁)` inside, `≥ eₙ₋₁` for the last (it also takes values above eₙ). One bin: `all`.
 */
export function fixedBinLabels(edges: readonly number[]): string[] {
  checkEdges(edges);
  const n = edges.length - 1;
  if (n === 1) return ['all'];
  return Array.from({ length: n }, (_, i) => (i === 0 ? `< ${edges[1]}` : i === n - 1 ? `≥ ${edges[i]}` : `[${edges[i]}, ${edges[i + 1]})`));
}

/** Both sides counted over the same fixed bins (fixedBinCounts), e.g. prompt lengths with the edges from params. */
export function fixedBinHistograms(reference: readonly number[], current: readonly number[], edges: readonly number[]): HistogramPair {
  return { bins: fixedBinLabels(edges), reference: fixedBinCounts(reference, edges), current: fixedBinCounts(current, edges) };
}

/**
 * Both sides counted over the union of the categories that either side has (and any `known` ones, so a
 * category that neither side has still shows as an empty bin), in sorted (UTF-16 code unit) order, as
 * jensenShannonDivergenceOfCounts takes them, so the result does not depend on the order of the input.
 */
export function categoryHistograms(reference: readonly string[], current: readonly string[], known: readonly string[] = []): HistogramPair {
  const bins = [...new Set([...known, ...reference, ...current])].sort();
  const index = new Map(bins.map((bin, i) => [bin, i]));
  const count = (labels: readonly string[]) => {
    const counts: number[] = new Array(bins.length).fill(0);
    for (const label of labels) counts[index.get(label)!]++;
    return counts;
  };
  return { bins, reference: count(reference), current: count(current) };
}

/**
 * Entity-frequency histograms: every mention counts (an entity named twice in one prompt counts twice).
 * `reference` and `current` hold one list of entity mentions per prompt, as an extractor gave them;
 * entities are compared as given, so normalise case and spelling before. The K bins are the entities
 * with the largest combined share, ranked by sᵢ = refᵢ / Σ ref + curᵢ / Σ cur (ties in code unit
 * order): symmetric in the two sides, and a side with more prompts does not outweigh the other, so an
 * entity that is new in the current traffic gets a bin of its own once it is frequent there. Every
 * other mention goes to one last bin labelled "other" (OTHER), always present; a mention spelt
 * exactly "other" is pooled there too, so the labels stay unique.
 */
export function topEntityHistograms(reference: readonly (readonly string[])[], current: readonly (readonly string[])[], k: number): HistogramPair {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a whole number ≥ 0, got ${k}`);
  const tally = (prompts: readonly (readonly string[])[]) => {
    const counts = new Map<string, number>();
    let total = 0;
    for (const entities of prompts)
      for (const entity of entities) {
        counts.set(entity, (counts.get(entity) ?? 0) + 1);
        total++;
      }
    return { counts, total };
  };
  const ref = tally(reference);
  const cur = tally(current);
  const share = (entity: string) =>
    (ref.total ? (ref.counts.get(entity) ?? 0) / ref.total : 0) + (cur.total ? (cur.counts.get(entity) ?? 0) / cur.total : 0);
  const top = [...new Set([...ref.counts.keys(), ...cur.counts.keys()])]
    .filter((entity) => entity !== OTHER)
    .map((entity) => ({ entity, share: share(entity) }))
    .sort((a, b) => b.share - a.share || (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0))
    .slice(0, k)
    .map(({ entity }) => entity);
  const histogram = ({ counts, total }: { counts: Map<string, number>; total: number }) => {
    const kept = top.map((entity) => counts.get(entity) ?? 0);
    return [...kept, total - kept.reduce((a, b) => a + b, 0)];
  };
  return { bins: [...top, OTHER], reference: histogram(ref), current: histogram(cur) };
}

function checkEdges(edges: readonly number[]): void {
  if (edges.length < 2) throw new RangeError(`bin edges need at least two values, got ${edges.length}`);
  for (let i = 0; i < edges.length; i++) {
    if (!Number.isFinite(edges[i])) throw new RangeError(`bin edge ${i} is not a finite number: ${edges[i]}`);
    if (i > 0 && !(edges[i] > edges[i - 1]))
      throw new RangeError(`bin edges must increase strictly, but edge ${i} (${edges[i]}) ≤ edge ${i - 1} (${edges[i - 1]})`);
  }
}
