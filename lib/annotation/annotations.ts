import { join, relative } from 'node:path';
import { InvalidInputError, type Issue } from '../errors.ts';
import { validateAgainst } from '../config/schema.ts';
import { readJsonl } from '../io/jsonl.ts';
export { jsonlFiles } from '../io/jsonl.ts';
import { byCodePoint } from '../io/order.ts';

/** A label as annotators give it: a category, a rating or a yes/no. */
export type Label = string | number | boolean;

/** One annotation (the data contract of datasets/annotations/*.jsonl), with where it was read. */
export interface Annotation {
  example_id: string;
  annotator_id: string;
  label: Label;
  annotated_at: string | null;
  file: string;
  line: number;
}

/** Where the pipeline reads annotations, and adjudicated labels (same fields; `annotator_id` is the adjudicator). */
export const ANNOTATIONS_DIR = join('datasets', 'annotations');
export const ADJUDICATED_DIR = join(ANNOTATIONS_DIR, 'adjudicated');

export function checkAnnotation(value: unknown, file: string, line: number, issues: Issue[]): Annotation | undefined {
  const problems = validateAgainst('annotation', value, file, line);
  if (problems.length) {
    issues.push(...problems);
    return undefined;
  }
  const v = value as Omit<Annotation, 'file' | 'line' | 'annotated_at'> & { annotated_at?: string };
  if (typeof v.label === 'number' && !Number.isFinite(v.label)) {
    issues.push({ file, line, field: 'label', message: 'must be a finite number' });
    return undefined;
  }
  return { example_id: v.example_id, annotator_id: v.annotator_id, label: v.label, annotated_at: v.annotated_at ?? null, file, line };
}

/** Read JSONL annotation files; every problem (malformed line, missing field) is collected, then thrown together. */
export function readAnnotationFiles(paths: readonly string[], root: string): Annotation[] {
  const issues: Issue[] = [];
  const out: Annotation[] = [];
  for (const path of paths) {
    const file = relative(root, path) || path;
    for (const entry of readJsonl(path, file)) {
      if (entry.issue) issues.push(entry.issue);
      else {
        const a = checkAnnotation(entry.value, file, entry.line, issues);
        if (a) out.push(a);
      }
    }
  }
  if (issues.length) throw new InvalidInputError(issues);
  return out;
}

/** One example's annotations: the latest label of each annotator, and every annotation given (its history). */
export interface UnitAnnotations {
  example_id: string;
  /** annotator id → the label that counts (their latest), in annotator id order. */
  labels: Map<string, Label>;
  /** Every annotation of the example, by annotator id, then time (revisions included). */
  history: Annotation[];
}

/** Times compare as instants (09:00+01:00 is before 08:30Z), then as text; an annotation without a time comes first. */
const byTime = (a: string | null, b: string | null): number =>
  (a === null ? -Infinity : Date.parse(a)) - (b === null ? -Infinity : Date.parse(b)) || byCodePoint(a ?? '', b ?? '');

const byAnnotatorThenTime = (a: Annotation, b: Annotation) =>
  byCodePoint(a.annotator_id, b.annotator_id) || byTime(a.annotated_at, b.annotated_at) || byCodePoint(a.file, b.file) || a.line - b.line;

/** The latest annotation of a list (by time; without times, the last read). */
export const latestOf = (history: readonly Annotation[]): Annotation =>
  history.reduce((latest, a) => (byTime(a.annotated_at, latest.annotated_at) >= 0 ? a : latest));

/**
 * Group annotations by example, in example id order. An annotator who labelled an example more than
 * once counts once, with their latest label (a revision); two different labels from one annotator at
 * the same time (or both without a time) cannot be ordered, so that is an input error naming both
 * lines. One sort per example puts each annotator's labels side by side, in time order, so the labels
 * come out in annotator order in the same pass (this is the hot path of a million annotations).
 */
export function groupByExample(annotations: readonly Annotation[]): Map<string, UnitAnnotations> {
  const histories = new Map<string, Annotation[]>();
  for (const a of annotations) {
    const history = histories.get(a.example_id);
    if (history) history.push(a);
    else histories.set(a.example_id, [a]);
  }
  const issues: Issue[] = [];
  const units = new Map<string, UnitAnnotations>();
  for (const id of [...histories.keys()].sort(byCodePoint)) {
    const history = histories.get(id)!;
    if (history.length > 1) history.sort(byAnnotatorThenTime);
    const labels = new Map<string, Label>();
    for (let i = 0; i < history.length; i++) {
      const a = history[i];
      const next = history[i + 1];
      if (next && next.annotator_id === a.annotator_id) {
        if (next.annotated_at === a.annotated_at && next.label !== a.label)
          issues.push({
            file: next.file,
            line: next.line,
            field: 'label',
            message: `annotator "${a.annotator_id}" labelled "${id}" ${JSON.stringify(a.label)} at ${a.file}:${a.line} and ${JSON.stringify(next.label)} here, ${a.annotated_at ? 'at the same time' : 'both without annotated_at'}: keep one, or give each its time`,
          });
        continue; // a later label of the same annotator follows
      }
      labels.set(a.annotator_id, a.label);
    }
    units.set(id, { example_id: id, labels, history });
  }
  if (issues.length) throw new InvalidInputError(issues);
  return units;
}
