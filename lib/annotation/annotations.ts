import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidInputError, type Issue } from '../errors.ts';
import { validateAgainst } from '../config/schema.ts';
import { readJsonl } from '../io/jsonl.ts';
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

/** The `*.jsonl` files directly in a folder, in name order (none when it does not exist). */
export function jsonlFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .map((name) => join(dir, name));
}

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
  /** annotator id → the label that counts (their latest), sorted by annotator id. */
  labels: Map<string, Label>;
  history: Annotation[];
}

const byTime = (a: Annotation, b: Annotation) =>
  byCodePoint(a.annotated_at ?? '', b.annotated_at ?? '') ||
  byCodePoint(a.annotator_id, b.annotator_id) ||
  byCodePoint(a.file, b.file) ||
  a.line - b.line;

/**
 * Group annotations by example. An annotator who labelled an example more than once counts once,
 * with their latest label (a revision); two different labels from one annotator at the same time (or
 * both without a time) cannot be ordered, so that is an input error naming both lines.
 */
export function groupByExample(annotations: readonly Annotation[]): Map<string, UnitAnnotations> {
  const units = new Map<string, UnitAnnotations>();
  for (const a of annotations) {
    let unit = units.get(a.example_id);
    if (!unit) units.set(a.example_id, (unit = { example_id: a.example_id, labels: new Map(), history: [] }));
    unit.history.push(a);
  }
  const issues: Issue[] = [];
  for (const unit of units.values()) {
    unit.history.sort(byTime);
    const latest = new Map<string, Annotation>();
    for (const a of unit.history) {
      const before = latest.get(a.annotator_id);
      if (before && before.annotated_at === a.annotated_at && before.label !== a.label)
        issues.push({
          file: a.file,
          line: a.line,
          field: 'label',
          message: `annotator "${a.annotator_id}" labelled "${a.example_id}" ${JSON.stringify(before.label)} at ${before.file}:${before.line} and ${JSON.stringify(a.label)} here, ${a.annotated_at ? 'at the same time' : 'both without annotated_at'}: keep one, or give each its time`,
        });
      latest.set(a.annotator_id, a);
    }
    unit.labels = new Map([...latest].sort(([a], [b]) => byCodePoint(a, b)).map(([id, a]) => [id, a.label]));
  }
  if (issues.length) throw new InvalidInputError(issues);
  return new Map([...units].sort(([a], [b]) => byCodePoint(a, b)));
}
