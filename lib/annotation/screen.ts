import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Exclusion } from '../eligibility/exclusion.ts';
import { byCodePoint } from '../io/order.ts';
import { columnValues, encodeParquet, readParquetFile, toArrowTable, type ColumnSpec } from '../io/parquet.ts';
import { groupByExample, latestOf, type Annotation, type Label, type UnitAnnotations } from './annotations.ts';
import { exampleAgreement, routeExample, type ExampleAgreement, type Queue } from './exampleAgreement.ts';

/** The eligibility check's name: its exclusion table, its quality file and its card section. */
export const AGREEMENT_CHECK = 'agreement';

/** Where the label an example is released with comes from. */
export type LabelSource = 'annotators' | 'single-annotator' | 'adjudicated';

/** One annotated example, screened: its agreement, its queue and the label it is released with (null while it waits for adjudication). */
export interface ScreenedExample extends ExampleAgreement {
  queue: Queue | null;
  reason: string;
  /** JSON text of the label, or null when the example is routed (no label to release). */
  label: string | null;
  label_source: LabelSource | null;
}

export interface Screen {
  examples: ScreenedExample[];
  exclusions: Exclusion[];
  /** Annotated or adjudicated ids the pool does not hold (a retired example, or a typo): left out, and reported. */
  orphans: string[];
}

/**
 * Screen every annotated example. An adjudicated label (the latest for the example) replaces the
 * annotators' and releases the example; otherwise the routing of lib/annotation/exampleAgreement.ts
 * decides, and a routed example is excluded from every draw until it is adjudicated. Annotations of
 * ids the pool does not hold are left out and listed: retiring an example from the pool must not
 * break the pipeline, and a typo must not go unseen.
 */
export function screenAnnotations(
  units: ReadonlyMap<string, UnitAnnotations>,
  adjudications: readonly Annotation[],
  minAgreement: number,
  poolIds: ReadonlySet<string>,
): Screen {
  const adjudicated = new Map<string, Label>();
  for (const unit of groupByExample(adjudications).values()) adjudicated.set(unit.example_id, latestOf(unit.history).label);
  const all = [...new Set([...units.keys(), ...adjudicated.keys()])].sort(byCodePoint);
  const ids = all.filter((id) => poolIds.has(id));
  const orphans = all.filter((id) => !poolIds.has(id));

  const examples: ScreenedExample[] = [];
  for (const id of ids) {
    const agreement = exampleAgreement(units.get(id) ?? { example_id: id, labels: new Map() });
    const final = adjudicated.get(id);
    if (final !== undefined) {
      examples.push({ ...agreement, queue: null, reason: 'adjudicated', label: JSON.stringify(final), label_source: 'adjudicated' });
      continue;
    }
    const { queue, reason } = routeExample(agreement, minAgreement);
    const released = queue === null && agreement.mode !== null;
    examples.push({
      ...agreement,
      queue,
      reason,
      label: released ? JSON.stringify(agreement.mode) : null,
      label_source: released ? (agreement.annotators === 1 ? 'single-annotator' : 'annotators') : null,
    });
  }
  const exclusions = examples
    .filter((e) => e.queue !== null)
    .map((e) => ({ id: e.example_id, check: AGREEMENT_CHECK, score: e.agreement, reason: `${e.queue} queue: ${e.reason}` }));
  return { examples, exclusions, orphans };
}

/** interim/agreement.parquet: one row per annotated example, the screen's verdict. */
export const SCREENED_PATH = join('interim', 'agreement.parquet');
const SCREENED_COLUMNS: ColumnSpec = {
  example_id: 'string',
  annotators: 'int32',
  agreement: 'float64?',
  agreeing_pairs: 'int32',
  queue: 'string?',
  reason: 'string',
  label: 'string?',
  label_source: 'string?',
};

export const encodeScreened = (examples: readonly ScreenedExample[]): Uint8Array =>
  encodeParquet(toArrowTable(SCREENED_COLUMNS, examples as unknown as Record<string, unknown>[]));

export function readScreened(path: string): ScreenedExample[] {
  const table = readParquetFile(path);
  const cols = Object.fromEntries(Object.keys(SCREENED_COLUMNS).map((c) => [c, columnValues(table, c)]));
  return Array.from({ length: table.numRows }, (_, i) => {
    const e = Object.fromEntries(Object.keys(SCREENED_COLUMNS).map((c) => [c, cols[c][i]])) as unknown as ScreenedExample;
    return { ...e, mode: e.label === null ? null : (JSON.parse(e.label) as Label) };
  });
}

/** interim/annotations.parquet: every annotation, validated and sorted, for the per-dataset analysis and the queues' histories. */
export const ANNOTATIONS_TABLE_PATH = join('interim', 'annotations.parquet');
const ANNOTATION_COLUMNS: ColumnSpec = { example_id: 'string', annotator_id: 'string', label: 'string', annotated_at: 'string?' };

export function encodeAnnotations(annotations: readonly Annotation[]): Uint8Array {
  const rows = [...annotations]
    .sort(
      (a, b) =>
        byCodePoint(a.example_id, b.example_id) ||
        byCodePoint(a.annotated_at ?? '', b.annotated_at ?? '') ||
        byCodePoint(a.annotator_id, b.annotator_id) ||
        byCodePoint(JSON.stringify(a.label), JSON.stringify(b.label)),
    )
    .map((a) => ({ ...a, label: JSON.stringify(a.label) }));
  return encodeParquet(toArrowTable(ANNOTATION_COLUMNS, rows));
}

export function readAnnotationsTable(path: string, file: string): Annotation[] {
  const table = readParquetFile(path);
  const [ids, annotators, labels, times] = Object.keys(ANNOTATION_COLUMNS).map((c) => columnValues(table, c));
  return ids.map((id, i) => ({
    example_id: id as string,
    annotator_id: annotators[i] as string,
    label: JSON.parse(labels[i] as string) as Label,
    annotated_at: times[i] as string | null,
    file,
    line: i + 1,
  }));
}

/**
 * The label each screened example is released with, by id: what its annotators agreed on, or what an
 * adjudicator decided. Sample writes it into the row's `labels` as `annotation`, so an adjudication
 * changes only labels (a patch release). Without the table (the screen has not run, as without
 * its exclusion table) no example has an agreed label.
 */
export function releasedLabels(root: string): Map<string, { label: Label; source: LabelSource }> {
  const path = join(root, SCREENED_PATH);
  const out = new Map<string, { label: Label; source: LabelSource }>();
  if (!existsSync(path)) return out;
  for (const e of readScreened(path)) if (e.label !== null) out.set(e.example_id, { label: e.mode!, source: e.label_source! });
  return out;
}
