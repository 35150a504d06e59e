import { byId } from '../io/order.ts';

/** One line of `taxonomy/registry.jsonl`: an example that moved to another stratum. */
export interface Reclassification {
  id: string;
  old: string;
  new: string;
  /** The taxonomy version that made the new assignment. */
  taxonomy_version: string;
  previous_taxonomy_version: string;
}

export interface PriorAssignment {
  stratum: string;
  taxonomy_version: string;
}

/**
 * The moves between the previous assignment table and the current one, sorted by id. The registry
 * is append-only: callers add these lines and never rewrite earlier ones.
 */
export function reclassifications(
  previous: ReadonlyMap<string, PriorAssignment>,
  current: readonly { id: string; stratum: string }[],
  taxonomyVersion: string,
): Reclassification[] {
  const moves: Reclassification[] = [];
  for (const { id, stratum } of current) {
    const before = previous.get(id);
    if (before && before.stratum !== stratum) {
      moves.push({ id, old: before.stratum, new: stratum, taxonomy_version: taxonomyVersion, previous_taxonomy_version: before.taxonomy_version });
    }
  }
  return moves.sort(byId);
}
