/**
 * The feature vector re-curation measures an example by, and its distance from production.
 *
 * φ(x) has three blocks, each a probability vector over the same bins staleness uses:
 *   - category: the one-hot vector of the example's task category;
 *   - length: the one-hot vector of its prompt-length bucket (the params' `length_bins`, in tokens);
 *   - entities: its entity mentions as a frequency vector over production's top-K entities, the rest
 *     pooled as "other" (a prompt without entities counts as one mention of "other").
 * An example is compared with the production prompts of ITS OWN category: the centroid μᶜ is the mean
 * of φ over the traffic window's prompts of category c, so the category block of φ and μᶜ agree and
 * the distance measures how the example differs from what production asks of that category (length
 * and entities). How much production asks of the category at all is the share rule's business
 * (lib/refresh/recurate.ts), not the distance's: against one pooled centroid every example of a
 * minority category would be "far" however typical of it. Two probability vectors are at most √2
 * apart, so each block's distance is ‖φ_b − μᶜ_b‖₂ / √2 ∈ [0, 1], and the distance of an example is
 * the root mean square of its block distances, again in [0, 1]: 0 for an example exactly like its
 * category's average production prompt, 1 for one that shares no bin with it in any block, or whose
 * category production no longer asks for.
 */
import { fixedBinCounts } from './histogram.ts';
import type { PromptFeatures } from './features.ts';
import { OTHER } from './histogram.ts';

export interface FeatureSpace {
  categories: string[];
  length_bins: number[];
  entities: string[];
}

export interface Centroid {
  category: number[];
  length: number[];
  entities: number[];
}

/** The bins of the space: the categories either side has, the length buckets, production's top-K entities plus "other". */
export function featureSpace(
  examples: readonly PromptFeatures[],
  production: readonly PromptFeatures[],
  length_bins: readonly number[],
  top_entities: number,
): FeatureSpace {
  const categories = [...new Set([...examples, ...production].map((p) => p.category))].sort();
  const counts = new Map<string, number>();
  for (const p of production) for (const e of p.entities) if (e !== OTHER) counts.set(e, (counts.get(e) ?? 0) + 1);
  const entities = [...counts]
    .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, top_entities)
    .map(([e]) => e);
  return { categories, length_bins: [...length_bins], entities };
}

/** φ(x): the three blocks of one prompt. */
export function featureVector(p: PromptFeatures, space: FeatureSpace): Centroid {
  const category = space.categories.map((c) => (c === p.category ? 1 : 0));
  const length = fixedBinCounts([p.tokens], space.length_bins);
  const index = new Map(space.entities.map((e, i) => [e, i]));
  const entities = new Array<number>(space.entities.length + 1).fill(0);
  const mentions = p.entities.length ? p.entities : [OTHER];
  for (const e of mentions) entities[index.get(e) ?? space.entities.length] += 1 / mentions.length;
  return { category, length, entities };
}

/** μᶜ per category: the mean of φ over the production prompts of that category. */
export function productionCentroids(production: readonly PromptFeatures[], space: FeatureSpace): Map<string, Centroid> {
  const sums = new Map<string, { sum: Centroid; n: number }>();
  for (const p of production) {
    const v = featureVector(p, space);
    const entry = sums.get(p.category);
    if (!entry) {
      sums.set(p.category, { sum: v, n: 1 });
      continue;
    }
    for (const key of BLOCKS) v[key].forEach((x, i) => (entry.sum[key][i] += x));
    entry.n++;
  }
  return new Map(
    [...sums].map(([category, { sum, n }]) => [
      category,
      { category: sum.category.map((x) => x / n), length: sum.length.map((x) => x / n), entities: sum.entities.map((x) => x / n) },
    ]),
  );
}

const BLOCKS = ['category', 'length', 'entities'] as const;

/** The distance of a prompt from its category's production centroid, in [0, 1]; 1 when production has none of its category. */
export function distanceFromCentroid(p: PromptFeatures, centroids: ReadonlyMap<string, Centroid>, space: FeatureSpace): number {
  const centroid = centroids.get(p.category);
  if (!centroid) return 1;
  const v = featureVector(p, space);
  let squares = 0;
  for (const key of BLOCKS) {
    let block = 0;
    for (let i = 0; i < v[key].length; i++) block += (v[key][i] - centroid[key][i]) ** 2;
    squares += block / 2;
  }
  // The category block is 0 by construction; the mean is over the two blocks that can differ.
  return Math.sqrt(squares / 2);
}
