/**
 * Delta-mode re-curation (issue 9): the smallest change that brings a dataset back to production,
 * proposed, never applied here. Pure: the caller reads the dataset, the traffic window and the
 * eligible pool, and `applyChangeset` (lib/refresh/apply.ts) applies an approved proposal.
 *
 * The plan, with n the dataset's size (kept) and pᶜ production's share of category c:
 * 1. Targets: tᶜ = n·pᶜ by largest remainder, over the dataset's categories.
 * 2. Retire, per category with more examples than its target (nᶜ > tᶜ), up to the excess nᶜ − tᶜ,
 *    furthest from their category's production centroid first (lib/refresh/featureVector.ts), among the examples
 *    that are either further than `max_distance`, or in a category whose production share fell below
 *    `min_production_share` (then any distance). Never below a stratum's floor.
 * 3. Cap: at least `min_overlap` of the examples stay shared with the previous version, so at most
 *    ⌊n·(1 − min_overlap)⌋ retire; the furthest are kept, the rest are held back and listed.
 * 4. Add as many as retired, to the categories below their targets in proportion to their deficits
 *    (largest remainder), spread over each category's strata in proportion to its examples there, and
 *    drawn from the eligible pool by the sampler's own rule: the next candidates in keyed-hash rank
 *    order. So the applied change, redrawn by the sample stage with these counts and the retired
 *    examples excluded, gives exactly this set.
 * 5. Replace: a retained example whose label needs updating (the caller says why: an adjudicated or
 *    corrected label) keeps its place with the new label.
 */
import { byCodePoint } from '../io/order.ts';
import { distanceFromCentroid, featureSpace, productionCentroids } from './featureVector.ts';
import type { PromptFeatures } from './features.ts';

export interface CurrentExample {
  id: string;
  stratum: string;
  category: string;
  features: PromptFeatures;
  /** Why its label needs updating, when it does. */
  relabel?: string;
}

/** A stratum of the dataset's taxonomy: its floor and the eligible candidates not in the dataset, in keyed-hash rank order. */
export interface StratumCandidates {
  stratum: string;
  category: string;
  floor: number;
  candidates: readonly string[];
}

export interface RecurateSettings {
  min_overlap: number;
  max_distance: number;
  min_production_share: number;
  length_bins: number[];
  top_entities: number;
}

export interface ChangeEntry {
  id: string;
  stratum: string;
  /** Distance from the production centroid, in [0, 1]; absent for additions. */
  distance?: number;
  reasons: string[];
}

export interface CategoryPlan {
  category: string;
  dataset_share: number;
  production_share: number;
  before: number;
  target: number;
  after: number;
}

export interface Proposal {
  retain: ChangeEntry[];
  retire: ChangeEntry[];
  replace: ChangeEntry[];
  add: ChangeEntry[];
  /** Retirements the overlap cap or the pool held back. */
  held_back: ChangeEntry[];
  categories: CategoryPlan[];
  strata: { stratum: string; before: number; after: number }[];
  /** Examples shared with the previous version over the larger of the two sizes. */
  overlap: number;
  /** Things the proposal could not do, in words (e.g. a category the pool cannot fill). */
  notes: string[];
}

/** Integers summing to `total`, proportional to `weights`: floor, then the largest remainders (ties by key). */
export function largestRemainder(total: number, weights: ReadonlyMap<string, number>): Map<string, number> {
  const sum = [...weights.values()].reduce((a, b) => a + b, 0);
  const out = new Map<string, number>();
  if (sum <= 0 || total <= 0) {
    for (const k of weights.keys()) out.set(k, 0);
    return out;
  }
  const exact = [...weights].map(([k, w]) => ({ k, x: (total * w) / sum }));
  for (const { k, x } of exact) out.set(k, Math.floor(x + 1e-9));
  let missing = total - [...out.values()].reduce((a, b) => a + b, 0);
  const order = exact.sort((a, b) => b.x - Math.floor(b.x + 1e-9) - (a.x - Math.floor(a.x + 1e-9)) || byCodePoint(a.k, b.k));
  for (let i = 0; missing > 0; i = (i + 1) % order.length, missing--) out.set(order[i].k, out.get(order[i].k)! + 1);
  return out;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const byDistance = (a: ChangeEntry, b: ChangeEntry) => b.distance! - a.distance! || byCodePoint(a.id, b.id);

export function proposeRecuration(
  examples: readonly CurrentExample[],
  production: readonly PromptFeatures[],
  strata: readonly StratumCandidates[],
  settings: RecurateSettings,
): Proposal {
  if (!examples.length) throw new RangeError('the dataset has no examples to re-curate');
  if (!production.length) throw new RangeError('no production traffic to re-curate against');
  const n = examples.length;
  const space = featureSpace(
    examples.map((e) => e.features),
    production,
    settings.length_bins,
    settings.top_entities,
  );
  const centroids = productionCentroids(production, space);
  const distance = new Map(examples.map((e) => [e.id, distanceFromCentroid(e.features, centroids, space)]));
  const stratumOf = new Map(strata.map((s) => [s.stratum, s]));

  // 1. Targets per category, from production's shares of the dataset's categories.
  const categories = [...new Set(strata.map((s) => s.category))].sort(byCodePoint);
  const produced = new Map(categories.map((c) => [c, 0]));
  for (const p of production) if (produced.has(p.category)) produced.set(p.category, produced.get(p.category)! + 1);
  const producedTotal = [...produced.values()].reduce((a, b) => a + b, 0) || 1;
  const share = (c: string) => produced.get(c)! / producedTotal;
  const target = largestRemainder(n, produced);
  const before = new Map(categories.map((c) => [c, 0]));
  const stratumCount = new Map(strata.map((s) => [s.stratum, 0]));
  for (const e of examples) {
    before.set(e.category, (before.get(e.category) ?? 0) + 1);
    stratumCount.set(e.stratum, (stratumCount.get(e.stratum) ?? 0) + 1);
  }
  const datasetShare = (c: string) => (before.get(c) ?? 0) / n;

  // 2. Retirement candidates, per category over its target.
  const counts = new Map(stratumCount);
  const candidates: ChangeEntry[] = [];
  const notes: string[] = [];
  for (const c of categories) {
    const excess = (before.get(c) ?? 0) - target.get(c)!;
    if (excess <= 0) continue;
    const lowShare = share(c) < settings.min_production_share;
    const pool = examples
      .filter((e) => e.category === c && (lowShare || distance.get(e.id)! > settings.max_distance))
      .map((e) => ({ id: e.id, stratum: e.stratum, distance: distance.get(e.id)!, reasons: [] as string[] }))
      .sort(byDistance);
    let taken = 0;
    for (const entry of pool) {
      if (taken === excess) break;
      const floor = stratumOf.get(entry.stratum)?.floor ?? 0;
      if (counts.get(entry.stratum)! - 1 < floor) continue;
      counts.set(entry.stratum, counts.get(entry.stratum)! - 1);
      taken++;
      entry.reasons.push(
        `\`${c}\` is ${pct(datasetShare(c))} of the dataset but ${pct(share(c))} of production`,
        lowShare
          ? `its production share is below ${pct(settings.min_production_share)}`
          : `its distance from the production centroid, ${entry.distance.toFixed(3)}, is above ${settings.max_distance}`,
      );
      candidates.push(entry);
    }
    if (taken < excess)
      notes.push(
        `\`${c}\` stays ${excess - taken} above its production target: its other examples are within ${settings.max_distance} of the production centroid or their strata are at their floors`,
      );
  }

  // 3. The overlap cap: the furthest retire, the rest are held back.
  const cap = Math.floor(n * (1 - settings.min_overlap) + 1e-9);
  candidates.sort(byDistance);
  const retire = candidates.slice(0, cap);
  const held_back = candidates.slice(cap).map((e) => ({
    ...e,
    reasons: [
      ...e.reasons,
      `held back: retiring it too would leave fewer than ${pct(settings.min_overlap)} of the examples shared with the previous version`,
    ],
  }));
  for (const e of held_back) counts.set(e.stratum, counts.get(e.stratum)! + 1);
  if (held_back.length)
    notes.push(`${held_back.length} retirements held back by the ${pct(settings.min_overlap)} overlap cap (in order of distance)`);

  // 4. Additions: as many as retired, to the categories below target, drawn in keyed-hash rank order.
  const deficits = new Map(categories.map((c) => [c, Math.max(0, target.get(c)! - (before.get(c) ?? 0))]));
  const perCategory = largestRemainder(retire.length, deficits);
  const add: ChangeEntry[] = [];
  for (const c of categories) {
    let wanted = perCategory.get(c)!;
    if (!wanted) continue;
    const own = strata.filter((s) => s.category === c);
    const split = largestRemainder(wanted, new Map(own.map((s) => [s.stratum, Math.max(stratumCount.get(s.stratum) ?? 0, 1)])));
    const taken = new Map(own.map((s) => [s.stratum, 0]));
    // Each stratum takes its part, capped by its candidates; what a stratum cannot take goes to the others in turn.
    for (const s of own) {
      const k = Math.min(split.get(s.stratum)!, s.candidates.length);
      taken.set(s.stratum, k);
      wanted -= k;
    }
    for (const s of own) {
      const more = Math.min(wanted, s.candidates.length - taken.get(s.stratum)!);
      taken.set(s.stratum, taken.get(s.stratum)! + more);
      wanted -= more;
    }
    if (wanted > 0) notes.push(`\`${c}\` is ${wanted} short of its share of the additions: the pool has no more eligible candidates for it`);
    for (const s of own)
      for (const id of s.candidates.slice(0, taken.get(s.stratum)!)) {
        add.push({
          id,
          stratum: s.stratum,
          reasons: [
            `\`${c}\` is ${pct(datasetShare(c))} of the dataset but ${pct(share(c))} of production: the next eligible candidate of \`${s.stratum}\` in rank order`,
          ],
        });
        counts.set(s.stratum, counts.get(s.stratum)! + 1);
      }
  }

  // 5. Retained, and the retained that need a new label.
  const retired = new Set(retire.map((e) => e.id));
  const retain: ChangeEntry[] = [];
  const replace: ChangeEntry[] = [];
  for (const e of [...examples].sort((a, b) => byCodePoint(a.id, b.id))) {
    if (retired.has(e.id)) continue;
    const entry = { id: e.id, stratum: e.stratum, distance: distance.get(e.id)!, reasons: [] as string[] };
    if (e.relabel) replace.push({ ...entry, reasons: [e.relabel] });
    else retain.push({ ...entry, reasons: ['still representative'] });
  }

  const after = new Map(categories.map((c) => [c, 0]));
  for (const [stratum, k] of counts) {
    const c = stratumOf.get(stratum)?.category;
    if (c) after.set(c, after.get(c)! + k);
  }
  const byId = (a: ChangeEntry, b: ChangeEntry) => byCodePoint(a.id, b.id);
  const size = n - retire.length + add.length;
  return {
    retain,
    retire: retire.sort(byId),
    replace,
    add: add.sort(byId),
    held_back: held_back.sort(byId),
    categories: categories.map((c) => ({
      category: c,
      dataset_share: datasetShare(c),
      production_share: share(c),
      before: before.get(c) ?? 0,
      target: target.get(c)!,
      after: after.get(c)!,
    })),
    strata: [...counts.keys()].sort(byCodePoint).map((s) => ({ stratum: s, before: stratumCount.get(s) ?? 0, after: counts.get(s)! })),
    overlap: (n - retire.length) / Math.max(n, size),
    notes,
  };
}
