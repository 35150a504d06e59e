import { byCodePoint } from '../io/order.ts';
import type { Annotation } from './annotations.ts';
import type { ScreenedExample } from './screen.ts';

/** One line of adjudication.jsonl or adjudication-senior.jsonl: the example, why it is there, and its whole annotation history. */
export interface QueueLine {
  example_id: string;
  stratum: string | null;
  agreement: number | null;
  reason: string;
  /** Every annotation given, oldest first: annotator, label and time, revisions included. */
  annotations: { annotator_id: string; label: Annotation['label']; annotated_at: string | null }[];
}

/**
 * The queues' lines for the routed examples, sorted by id. An adjudicator answers a line by adding
 * `{"example_id", "annotator_id": <adjudicator>, "label", "annotated_at"}` to
 * datasets/annotations/adjudicated/*.jsonl; the next run releases the example with that label.
 */
export function queueLines(
  routed: readonly ScreenedExample[],
  history: ReadonlyMap<string, readonly Annotation[]>,
  strata: ReadonlyMap<string, string>,
): QueueLine[] {
  return [...routed]
    .sort((a, b) => byCodePoint(a.example_id, b.example_id))
    .map((e) => ({
      example_id: e.example_id,
      stratum: strata.get(e.example_id) ?? null,
      agreement: e.agreement,
      reason: e.reason,
      annotations: (history.get(e.example_id) ?? []).map((a) => ({ annotator_id: a.annotator_id, label: a.label, annotated_at: a.annotated_at })),
    }));
}
