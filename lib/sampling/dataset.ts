import type { Assignment } from './classify.ts';
import type { PoolExample } from './pool.ts';
import { createHash, hash } from 'node:crypto';
import { canonicalJson } from '../io/hash.ts';
import { encodeParquet, toArrowTable, type ColumnSpec } from '../io/parquet.ts';
import { byCodePoint, byId } from '../io/order.ts';

/** The columns of data.parquet, in order. `labels` is JSON text so that any label shape survives every reader. */
export const DATASET_COLUMNS: ColumnSpec = {
  id: 'string',
  prompt: 'string',
  reference: 'string?',
  task_category: 'string',
  difficulty: 'string',
  stratum: 'string',
  capabilities: 'string[]',
  labels: 'string',
  source: 'string',
};

export interface DatasetRow {
  id: string;
  prompt: string;
  reference: string | null;
  task_category: string;
  difficulty: string;
  stratum: string;
  capabilities: string[];
  labels: string;
  source: string;
}

export interface ManifestLine {
  id: string;
  stratum: string;
  content_hash: string;
  label_hash: string;
  /**
   * SHA-256 of the whole canonical row, so that a change to any column (capabilities, source, …) is
   * visible to the bump rules. Absent in manifests written before it existed.
   */
  row_hash?: string;
}

/** Rows sorted by id, labels as canonical JSON, capabilities sorted: the same set gives the same rows. */
export function datasetRows(
  examples: readonly PoolExample[],
  assignments: ReadonlyMap<string, Pick<Assignment, 'stratum' | 'difficulty'>>,
): DatasetRow[] {
  return examples
    .map((e) => {
      const a = assignments.get(e.id)!;
      return {
        id: e.id,
        prompt: e.prompt,
        reference: e.reference,
        task_category: e.task_category,
        difficulty: a.difficulty,
        stratum: a.stratum,
        capabilities: [...new Set(e.capabilities)].sort(byCodePoint),
        labels: canonicalJson(e.labels),
        source: e.source,
      };
    })
    .sort(byId);
}

/*
 * A row is flat (strings, null, a list of strings), so JSON.stringify with the keys listed in sorted
 * order is its RFC 8785 canonical form; this is the hot path of a large sample, where the general
 * canonicalizer costs seconds. A test checks both agree.
 */
const SORTED_COLUMNS = Object.keys(DATASET_COLUMNS).sort();
// Rows are not changed once made, and a row's canonical form is needed for its row_hash and for the
// content hash: made once per row.
const canonicalForms = new WeakMap<DatasetRow, string>();
export const canonicalRow = (row: DatasetRow): string => {
  let text = canonicalForms.get(row);
  if (text === undefined) canonicalForms.set(row, (text = JSON.stringify(row, SORTED_COLUMNS)));
  return text;
};

const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

/**
 * content_hash covers what the model is asked and the answer it is held to; label_hash covers the
 * labels; row_hash covers every column, so the rest of the row (capabilities, source, …) is seen too.
 */
export function manifestLine(row: DatasetRow): Required<ManifestLine> {
  return {
    // Keys in sorted order: this is the canonical JSON of {prompt, reference}.
    content_hash: sha256Hex(JSON.stringify({ prompt: row.prompt, reference: row.reference })),
    id: row.id,
    label_hash: sha256Hex(row.labels),
    row_hash: sha256Hex(canonicalRow(row)),
    stratum: row.stratum,
  };
}

/**
 * The canonical content hash: SHA-256 of the rows as canonical JSON lines, sorted by id. It does not
 * depend on the Parquet writer, so a changed file hash with an unchanged content hash means the
 * writer or its settings changed, not the data.
 */
export function contentHash(rows: readonly DatasetRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(canonicalRow(row) + '\n');
  return hash.digest('hex');
}

const MANIFEST_KEYS: (keyof ManifestLine)[] = ['content_hash', 'id', 'label_hash', 'row_hash', 'stratum'];

/**
 * manifest.jsonl's text. A line is flat (strings only), so JSON.stringify with its keys in sorted
 * order is its RFC 8785 canonical form (the same argument as canonicalRow), without the general
 * canonicalizer's cost on a large sample; a test checks both agree.
 */
export function manifestJsonl(lines: readonly ManifestLine[]): string {
  let text = '';
  for (const line of lines) text += JSON.stringify(line, MANIFEST_KEYS) + '\n';
  return text;
}

export function encodeDataset(rows: readonly DatasetRow[]): Uint8Array {
  return encodeParquet(toArrowTable(DATASET_COLUMNS, rows as unknown as Record<string, unknown>[]));
}
