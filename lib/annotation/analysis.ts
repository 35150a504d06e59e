import { byCodePoint } from '../io/order.ts';
import type { Label, UnitAnnotations } from './annotations.ts';
import { bootstrapAlpha } from './bootstrapAlpha.ts';
import { cohenKappa } from './cohenKappa.ts';
import { labelKey } from './exampleAgreement.ts';
import { krippendorffAlpha } from './krippendorffAlpha.ts';
import { labelScale, levelOf, reliabilityData, type LabelType } from './reliabilityData.ts';

export interface AgreementOptions {
  type: LabelType;
  /** The order of ordinal labels that are words. */
  order?: readonly Label[];
  /** Pairs of annotators sharing fewer items get no kappa, only their count. */
  minPairItems: number;
  bootstrap: { samples: number; confidence: number };
  seed: number;
  /** Where the label type and order were set, for error messages. */
  where?: string;
}

/** Alpha with its bootstrap interval over a set of units. */
export interface AlphaEstimate {
  /** null when it is undefined: fewer than two pairable units' worth of values, or a single value throughout. */
  alpha: number | null;
  ci: [number, number] | null;
  /** Units with at least two labels (the only ones alpha counts). */
  units: number;
}

export interface PairAgreement {
  a: string;
  b: string;
  /** Items both labelled. */
  n: number;
  /** Cohen's kappa on those items; null below the minimum of shared items, or when undefined (one label throughout). */
  kappa: number | null;
  /** For ordinal labels: linear and quadratic weighted kappa. */
  kappa_linear?: number | null;
  kappa_quadratic?: number | null;
}

export interface GroupAgreement extends AlphaEstimate {
  group: string;
  /** Alpha over every unit outside the group. */
  rest_alpha: number | null;
  /** The group's interval lies wholly below or above the overall alpha. */
  excludes_overall: 'below' | 'above' | null;
}

export interface AgreementReport {
  type: LabelType;
  level: string;
  overall: AlphaEstimate;
  confidence: number;
  bootstrap_samples: number;
  seed: number;
  /** Examples with any annotation, annotations counted (the latest per annotator), distinct annotators. */
  examples: number;
  annotations: number;
  annotators: number;
  /** Every pair of annotators who share an item, sorted by a then b. */
  pairs: PairAgreement[];
  /** Alpha per group, for each grouping asked for (e.g. stratum, task category). */
  groups: Record<string, GroupAgreement[]>;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Alpha and its seeded bootstrap interval (Hayes & Krippendorff 2007) over some units. */
export function alphaEstimate(units: readonly Pick<UnitAnnotations, 'labels'>[], scale: readonly Label[], options: AgreementOptions): AlphaEstimate {
  const data = reliabilityData(units, scale);
  const level = levelOf(options.type);
  const pairable = units.filter((u) => u.labels.size >= 2).length;
  const point = finite(krippendorffAlpha(data, level).alpha);
  if (point === null || pairable < 2) return { alpha: point, ci: null, units: pairable };
  const boot = bootstrapAlpha(data, level, { ...options.bootstrap, seed: options.seed });
  const ci: [number, number] | null = Number.isFinite(boot.ci[0]) && Number.isFinite(boot.ci[1]) ? [boot.ci[0], boot.ci[1]] : null;
  return { alpha: point, ci, units: pairable };
}

/**
 * The whole agreement analysis over annotated units: Krippendorff's alpha with its interval, overall
 * and per group; Cohen's kappa for every pair of annotators on the items both labelled (weighted too
 * for ordinal labels). `groupings` maps a grouping's name to each example's group (examples without
 * one are left out of that grouping).
 */
export function analyzeAgreement(
  units: readonly UnitAnnotations[],
  options: AgreementOptions,
  groupings: Record<string, ReadonlyMap<string, string>> = {},
): AgreementReport {
  const all: Label[] = [];
  for (const u of units) for (const l of u.labels.values()) all.push(l);
  const scale = labelScale(all, options.type, options.order, options.where);
  const overall = alphaEstimate(units, scale, options);

  const groups: Record<string, GroupAgreement[]> = {};
  for (const [name, groupOf] of Object.entries(groupings)) {
    const members = new Map<string, UnitAnnotations[]>();
    for (const u of units) {
      const g = groupOf.get(u.example_id);
      if (g === undefined) continue;
      if (!members.has(g)) members.set(g, []);
      members.get(g)!.push(u);
    }
    groups[name] = [...members]
      .sort(([a], [b]) => byCodePoint(a, b))
      .map(([group, inside]) => {
        const estimate = alphaEstimate(inside, scale, options);
        const rest = units.filter((u) => groupOf.has(u.example_id) && groupOf.get(u.example_id) !== group);
        const restAlpha = finite(krippendorffAlpha(reliabilityData(rest, scale), levelOf(options.type)).alpha);
        const o = overall.alpha;
        const excludes = !estimate.ci || o === null ? null : estimate.ci[1] < o ? 'below' : estimate.ci[0] > o ? 'above' : null;
        return { group, ...estimate, rest_alpha: rest.length ? restAlpha : null, excludes_overall: excludes };
      });
  }

  return {
    type: options.type,
    level: levelOf(options.type),
    overall,
    confidence: options.bootstrap.confidence,
    bootstrap_samples: options.bootstrap.samples,
    seed: options.seed,
    examples: units.length,
    annotations: units.reduce((n, u) => n + u.labels.size, 0),
    annotators: new Set(units.flatMap((u) => [...u.labels.keys()])).size,
    pairs: pairAgreements(units, scale, options),
    groups,
  };
}

/**
 * Cohen's kappa per pair of annotators. Pairs are gathered unit by unit, so the work is the number of
 * co-labelled items, not annotators²; a crowd of 164 workers has far fewer pairs that share items.
 */
function pairAgreements(units: readonly UnitAnnotations[], scale: readonly Label[], options: AgreementOptions): PairAgreement[] {
  const shared = new Map<string, { a: string; b: string; x: Label[]; y: Label[] }>();
  for (const u of units) {
    const entries = [...u.labels]; // sorted by annotator id
    for (let i = 0; i < entries.length; i++)
      for (let j = i + 1; j < entries.length; j++) {
        const key = `${entries[i][0]}\0${entries[j][0]}`;
        let pair = shared.get(key);
        if (!pair) shared.set(key, (pair = { a: entries[i][0], b: entries[j][0], x: [], y: [] }));
        pair.x.push(entries[i][1]);
        pair.y.push(entries[j][1]);
      }
  }
  const ordinal = options.type === 'ordinal';
  // Kappa on the scale's positions, so that weights measure distance on the whole scale.
  const position = new Map(scale.map((v, i) => [labelKey(v), i]));
  const pos = (labels: Label[]) => labels.map((l) => position.get(labelKey(l))!);
  const positions = scale.map((_, i) => i);
  return [...shared.values()]
    .sort((p, q) => byCodePoint(p.a, q.a) || byCodePoint(p.b, q.b))
    .map(({ a, b, x, y }) => {
      const enough = x.length >= options.minPairItems;
      const kappa = (weights?: 'linear' | 'quadratic') => (enough ? finite(cohenKappa(pos(x), pos(y), { weights, labels: positions })) : null);
      return { a, b, n: x.length, kappa: kappa(), ...(ordinal ? { kappa_linear: kappa('linear'), kappa_quadratic: kappa('quadratic') } : {}) };
    });
}

/** The pairs with the lowest kappa among those with enough shared items, weakest first. */
export function weakestPairs(pairs: readonly PairAgreement[], count = 3): PairAgreement[] {
  return pairs
    .filter((p) => p.kappa !== null)
    .sort((p, q) => p.kappa! - q.kappa! || byCodePoint(p.a, q.a) || byCodePoint(p.b, q.b))
    .slice(0, count);
}

const f2 = (x: number) => x.toFixed(2);

/**
 * The plain sentences for groups whose agreement is well below the rest: the group's whole interval
 * lies below the alpha of every other unit. E.g. "reasoning agreement 0.41 [0.33, 0.49] vs 0.78
 * elsewhere: the rubric for reasoning likely needs concrete anchor examples".
 */
export function lowAgreementFindings(groups: readonly GroupAgreement[]): string[] {
  return groups
    .filter((g) => g.alpha !== null && g.ci && g.rest_alpha !== null && g.ci[1] < g.rest_alpha)
    .map(
      (g) =>
        `${g.group} agreement ${f2(g.alpha!)} [${f2(g.ci![0])}, ${f2(g.ci![1])}] vs ${f2(g.rest_alpha!)} elsewhere: the rubric for ${g.group} likely needs concrete anchor examples`,
    );
}
