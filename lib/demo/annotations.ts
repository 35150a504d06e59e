import type { PoolExample } from '../sampling/pool.ts';
import { byCodePoint } from '../io/order.ts';
import { Rng } from './rng.ts';

/** The demo's annotators. The last one is careless, so she heads the weakest pairs. */
export const DEMO_ANNOTATORS = ['ann-ade', 'ann-bo', 'ann-chidi', 'ann-dana', 'ann-eun'];

/**
 * How often an annotator gives the example's true rating. Reasoning's rubric is vague in this story,
 * so its ratings agree noticeably less; that is the stratum the card should name.
 */
const ACCURACY = { default: 0.92, reasoning: 0.62, careless: 0.8 };

/** Planted examples whose three annotators each give a different rating: the senior queue's ground truth. */
export const DEMO_PLANTED_NO_AGREEMENT = 24;
/** Planted revisions: an annotator re-rates an example a week later (the history keeps both). */
export const DEMO_PLANTED_REVISIONS = 6;

export interface DemoAnnotation {
  example_id: string;
  annotator_id: string;
  label: number;
  annotated_at: string;
}

const DAY = 86_400_000;

/**
 * Ratings on a 1–5 rubric (ordinal) for every pool example, by three to five of the demo annotators,
 * deterministic from the seed. A rater who misses the true rating is usually one step off, sometimes
 * anywhere on the scale.
 */
export function demoAnnotations(pool: readonly PoolExample[], seed: number): { annotations: DemoAnnotation[]; noAgreement: string[] } {
  const r = new Rng(seed);
  const out: DemoAnnotation[] = [];
  const sorted = [...pool].sort((a, b) => byCodePoint(a.id, b.id));
  const planted = new Set(
    r.sample(
      sorted.filter((e) => e.task_category !== 'reasoning').map((e) => e.id),
      DEMO_PLANTED_NO_AGREEMENT,
    ),
  );
  for (const example of sorted) {
    const start = Date.parse(example.created_at ?? '2026-01-05T08:00:00Z') + DAY;
    const at = () => new Date(start + r.int(0, 20) * DAY + r.int(0, 479) * 60_000).toISOString().replace('.000Z', 'Z');
    const truth = r.pick([2, 3, 3, 4, 4, 4, 5, 5]);
    if (planted.has(example.id)) {
      const labels = r.sample([1, 2, 3, 4, 5], 3);
      r.sample(DEMO_ANNOTATORS, 3).forEach((annotator_id, i) =>
        out.push({ example_id: example.id, annotator_id, label: labels[i], annotated_at: at() }),
      );
      continue;
    }
    const k = r.pick([3, 3, 3, 3, 4, 4, 5]);
    for (const annotator_id of r.sample(DEMO_ANNOTATORS, k)) {
      const accuracy = annotator_id === 'ann-eun' ? ACCURACY.careless : example.task_category === 'reasoning' ? ACCURACY.reasoning : ACCURACY.default;
      let label = truth;
      if (r.int(0, 999) >= accuracy * 1000) {
        label = r.int(0, 3) < 3 ? Math.min(5, Math.max(1, truth + r.pick([-1, 1]))) : r.int(1, 5);
      }
      out.push({ example_id: example.id, annotator_id, label, annotated_at: at() });
    }
  }
  // Revisions: a later rating by the same annotator replaces the earlier one; both stay in the history.
  for (const a of r.sample(out, DEMO_PLANTED_REVISIONS)) {
    out.push({
      ...a,
      label: Math.min(5, a.label + 1),
      annotated_at: new Date(Date.parse(a.annotated_at) + 7 * DAY).toISOString().replace('.000Z', 'Z'),
    });
  }
  out.sort(
    (a, b) => byCodePoint(a.example_id, b.example_id) || byCodePoint(a.annotated_at, b.annotated_at) || byCodePoint(a.annotator_id, b.annotator_id),
  );
  return { annotations: out, noAgreement: [...planted].sort(byCodePoint) };
}
