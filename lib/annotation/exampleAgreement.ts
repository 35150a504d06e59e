import type { Label, UnitAnnotations } from './annotations.ts';

/**
 * How much one example's annotators agree, for routing: the share of its annotators who gave its most
 * common label (2 of 3 → 0.67; 3 of 5 → 0.6). It needs no distance between labels, so it reads the
 * same at every level of measurement; alpha and the weighted kappas are where the level counts.
 */
export interface ExampleAgreement {
  example_id: string;
  annotators: number;
  /** The share giving the most common label; null with fewer than two annotators (nothing to agree on). */
  agreement: number | null;
  /** The single most common label; null when two or more labels tie for it. */
  mode: Label | null;
  /** Pairs of annotators giving the same label, out of annotators·(annotators − 1)/2. */
  agreeing_pairs: number;
}

/**
 * A label as a map key: one text per label, different for 1 and "1" (JSON.stringify would do, at
 * twice the cost on a million labels).
 */
export const labelKey = (label: Label): string => (typeof label === 'string' ? `s${label}` : String(label));

export function exampleAgreement(unit: Pick<UnitAnnotations, 'example_id' | 'labels'>): ExampleAgreement {
  const counts = new Map<string, { label: Label; n: number }>();
  for (const label of unit.labels.values()) {
    const key = labelKey(label);
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { label, n: 1 });
  }
  const m = unit.labels.size;
  let top = 0;
  let tied = false;
  let mode: Label | null = null;
  let agreeing = 0;
  for (const { label, n } of counts.values()) {
    agreeing += (n * (n - 1)) / 2;
    if (n > top) [top, mode, tied] = [n, label, false];
    else if (n === top) tied = true;
  }
  return { example_id: unit.example_id, annotators: m, agreement: m < 2 ? null : top / m, mode: tied ? null : mode, agreeing_pairs: agreeing };
}

export type Queue = 'adjudication' | 'senior';

/** Where a screened example goes: nowhere (its label stands), to adjudication, or to the senior queue. */
export interface Routing {
  queue: Queue | null;
  reason: string;
}

const share = (x: number) => x.toFixed(2);

/**
 * Route an example. No two annotators agreeing goes to the senior queue: the item itself is likely
 * ambiguous, not one annotator's slip. Agreement below `minAgreement`, or a tie for the most common
 * label (no label to release), goes to adjudication. One annotator alone is not screened: there is no
 * agreement to measure, and the card counts such examples.
 */
export function routeExample(a: ExampleAgreement, minAgreement: number): Routing {
  if (a.agreement === null) return { queue: null, reason: 'one annotator: nothing to agree on' };
  if (a.agreeing_pairs === 0) return { queue: 'senior', reason: `no two of its ${a.annotators} annotators agree` };
  const given = `${Math.round(a.agreement * a.annotators)} of ${a.annotators} annotators gave the most common label`;
  if (a.agreement < minAgreement) return { queue: 'adjudication', reason: `agreement ${share(a.agreement)} < ${share(minAgreement)}: ${given}` };
  if (a.mode === null) return { queue: 'adjudication', reason: `no single most common label: ${given}, and another label as many` };
  return { queue: null, reason: `agreement ${share(a.agreement)}` };
}
