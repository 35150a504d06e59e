import { countOf } from '../errors.ts';
import type { CapabilityTree } from './capabilityTree.ts';

/** One leaf capability with its minimum and how many examples the dataset and the rest of the pool hold. */
export interface CapabilityCoverage {
  id: string;
  name: string;
  minimum: number;
  /** Examples in the official partition that list this capability. */
  count: number;
  /** Eligible pool candidates that list it and are not in the partition. */
  available: number;
}

/** A leaf below its minimum, with the sentence that says how to close the gap. */
export interface CoverageGap {
  capability: string;
  name: string;
  minimum: number;
  count: number;
  /** `minimum − count`, at least 1. */
  missing: number;
  available: number;
  remediation: string;
}

export interface CoverageReport {
  /** Every leaf of the tree, sorted by id. */
  leaves: CapabilityCoverage[];
  /** The leaves below their minimum, sorted by id. */
  gaps: CoverageGap[];
  /** How many leaves reach their minimum. */
  covered: number;
  /** How many leaves the tree has. */
  total: number;
}

/** Code-unit order, the same on every machine and locale. */
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * What to do about one gap: `add 12 more examples for capability 'Negation handling' to reach the
 * minimum of 30; the pool holds 7 eligible candidates with it that the dataset does not include`, or,
 * when no candidate is left, `…; the pool holds no eligible candidate with it: new examples are needed`.
 * The name is quoted as the tree writes it.
 */
export function remediation(name: string, minimum: number, missing: number, available: number): string {
  const add = `add ${countOf(missing, 'more example', 'more examples')} for capability '${name}' to reach the minimum of ${minimum.toLocaleString('en-US')}`;
  const pool =
    available > 0
      ? `the pool holds ${countOf(available, 'eligible candidate')} with it that the dataset does not include`
      : 'the pool holds no eligible candidate with it: new examples are needed';
  return `${add}; ${pool}`;
}

/**
 * Each leaf's count against its minimum. `counts` holds the examples of the official partition per
 * leaf, `available` the eligible pool candidates per leaf that the partition leaves out; a leaf absent
 * from either has 0. Ids that are not leaves of the tree are ignored here (`capabilityIssues` reports
 * them). A leaf is covered when its count reaches its minimum, so a minimum of 0 is always covered.
 */
export function coverageGaps(tree: CapabilityTree, counts: ReadonlyMap<string, number>, available: ReadonlyMap<string, number>): CoverageReport {
  const leaves = [...tree.leaves.values()]
    .map(({ id, name, minimum }) => ({ id, name, minimum, count: counts.get(id) ?? 0, available: available.get(id) ?? 0 }))
    .sort(byId);
  const gaps = leaves
    .filter((leaf) => leaf.count < leaf.minimum)
    .map(({ id, name, minimum, count, available }) => {
      const missing = minimum - count;
      return { capability: id, name, minimum, count, missing, available, remediation: remediation(name, minimum, missing, available) };
    });
  return { leaves, gaps, covered: leaves.length - gaps.length, total: leaves.length };
}
