import type { Allocation } from '../sampling/allocate.ts';
import { lowestRanked } from '../sampling/draw.ts';
import type { Exclusion, LazyScreen } from './exclusion.ts';

/** The candidates of one stratum: their ids, in any order. */
export type StrataIds = ReadonlyMap<string, readonly string[]>;

export interface EligibleDraw {
  allocation: Allocation;
  /** The ids drawn, per stratum, in rank order. */
  drawn: Map<string, string[]>;
  /** Every excluded candidate the draw passed over (ranked ahead of the last one taken, or in a stratum it emptied), with why. */
  quarantined: Exclusion[];
  /** Per check: how many candidates it excluded among those it screened, and how many of them were quarantined. */
  checks: Map<string, { excluded: number; quarantined: number; screened: number | null }>;
  /** How many candidates each lazy screen was asked about (it screens in rank order, only as far as needed). */
  lazyScreened: Map<string, number>;
}

/**
 * Draw from the eligible pool. Candidates are ranked per stratum by the keyed hash (lib/sampling/draw.ts);
 * eager exclusions (from exclusion tables) are known up front and remove candidates before the
 * allocation, so the floors and the budget hold after exclusion. Lazy screens are asked about
 * candidates in rank order, a batch of exactly as many as the stratum still needs, and their answers
 * are kept: when they empty a stratum below its allocation, that stratum's eligible count is now
 * known, the allocation is recomputed with it (the surplus goes to the other strata), and the draw
 * goes on. Strata only ever shrink, so this ends.
 */
export async function drawEligible(options: {
  strata: StrataIds;
  seed: number;
  /** The allocation for the given eligible counts per stratum. */
  allocate: (eligible: ReadonlyMap<string, number>) => Allocation;
  exclusions: ReadonlyMap<string, readonly Exclusion[]>;
  lazy?: readonly LazyScreen[];
}): Promise<EligibleDraw> {
  const { strata, seed, allocate, exclusions, lazy = [] } = options;
  const ranked = new Map<string, string[]>();
  for (const [stratum, ids] of strata)
    ranked.set(
      stratum,
      Array.from(lowestRanked(ids, ids.length, seed), (i) => ids[i]),
    );

  const eligible = new Map<string, number>();
  for (const [stratum, ids] of ranked) eligible.set(stratum, ids.filter((id) => !exclusions.has(id)).length);

  const lazyVerdicts = new Map<string, Exclusion[]>(); // id → lazy exclusions, for every id screened
  const lazyScreened = new Map<string, number>(lazy.map((s) => [s.check, 0]));
  const NONE: Exclusion[] = [];
  const excludedBy = (id: string): readonly Exclusion[] => {
    const eager = exclusions.get(id);
    const lazyOnes = lazyVerdicts.get(id);
    if (!lazyOnes?.length) return eager ?? NONE;
    return eager ? [...eager, ...lazyOnes] : lazyOnes;
  };

  for (;;) {
    const allocation = allocate(eligible);
    const drawn = new Map<string, string[]>();
    let shrunk = false;
    for (const s of allocation.strata) {
      const ids = ranked.get(s.stratum) ?? [];
      const taken: string[] = [];
      let next = 0;
      if (!lazy.length) {
        // Eager exclusions only (the common case): take the eligible candidates in rank order.
        for (; next < ids.length && taken.length < s.allocated; next++) if (!exclusions.has(ids[next])) taken.push(ids[next]);
      }
      while (taken.length < s.allocated && next < ids.length) {
        // Screen lazily the next batch: exactly as many eagerly eligible, unscreened candidates as still needed.
        const batch: string[] = [];
        for (let j = next; j < ids.length && batch.length < s.allocated - taken.length; j++) {
          if (!exclusions.has(ids[j]) && !lazyVerdicts.has(ids[j])) batch.push(ids[j]);
        }
        for (const screen of lazy) {
          const open = batch.filter((id) => !lazyVerdicts.get(id)?.length);
          if (!open.length) continue;
          lazyScreened.set(screen.check, lazyScreened.get(screen.check)! + open.length);
          for (const ex of await screen.screen(s.stratum, open)) lazyVerdicts.set(ex.id, [...(lazyVerdicts.get(ex.id) ?? []), ex]);
        }
        for (const id of batch) if (!lazyVerdicts.has(id)) lazyVerdicts.set(id, []);
        // Take in rank order up to the end of the screened prefix.
        while (next < ids.length && taken.length < s.allocated) {
          const id = ids[next];
          if (!exclusions.has(id) && !lazyVerdicts.has(id)) break; // not screened yet
          next++;
          if (excludedBy(id).length === 0) taken.push(id);
        }
      }
      drawn.set(s.stratum, taken);
      if (taken.length < s.allocated) {
        eligible.set(s.stratum, taken.length);
        shrunk = true;
      }
    }
    if (shrunk) continue;
    const result = quarantineOf(ranked, drawn, excludedBy, lazyVerdicts, exclusions);
    for (const [check, screened] of lazyScreened) result.checks.set(check, { excluded: 0, quarantined: 0, ...result.checks.get(check), screened });
    return { allocation, drawn, ...result, lazyScreened };
  }
}

function quarantineOf(
  ranked: ReadonlyMap<string, string[]>,
  drawn: ReadonlyMap<string, string[]>,
  excludedBy: (id: string) => readonly Exclusion[],
  lazyVerdicts: ReadonlyMap<string, Exclusion[]>,
  eager: ReadonlyMap<string, readonly Exclusion[]>,
): Pick<EligibleDraw, 'quarantined' | 'checks'> {
  const quarantined: Exclusion[] = [];
  const checks = new Map<string, { excluded: number; quarantined: number; screened: number | null }>();
  const stat = (check: string) => {
    let c = checks.get(check);
    if (!c) checks.set(check, (c = { excluded: 0, quarantined: 0, screened: null }));
    return c;
  };
  for (const [stratum, ids] of ranked) {
    const taken = drawn.get(stratum) ?? [];
    const last = taken.length ? ids.indexOf(taken[taken.length - 1]) : -1;
    let eligibleLeft = false;
    for (let j = last + 1; j < ids.length && !eligibleLeft; j++) eligibleLeft = !eager.has(ids[j]) && !lazyVerdicts.get(ids[j])?.length;
    const emptied = taken.length > 0 && !eligibleLeft;
    ids.forEach((id, position) => {
      if (!eager.has(id) && !lazyVerdicts.get(id)?.length) return;
      const reasons = excludedBy(id);
      const passedOver = position < last || (emptied && position > last);
      for (const ex of reasons) {
        stat(ex.check).excluded++;
        if (passedOver) {
          stat(ex.check).quarantined++;
          quarantined.push(ex);
        }
      }
    });
  }
  return { quarantined, checks };
}
