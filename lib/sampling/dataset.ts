import type { Assignment } from './classify.ts';
import type { PoolExample } from './pool.ts';
import { createHash } from 'node:crypto';
import { canonicalJson, sha256 } from '../io/hash.ts';
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
export const canonicalRow = (row: DatasetRow): string => JSON.stringify(row, SORTED_COLUMNS);

/**
 * content_hash covers what the model is asked and the answer it is held to; label_hash covers the
 * labels; row_hash covers every column, so the rest of the row (capabilities, source, …) is seen too.
 */
export function manifestLine(row: DatasetRow): Required<ManifestLine> {
  return {
    // Keys in sorted order: this is the canonical JSON of {prompt, reference}.
    content_hash: sha256(JSON.stringify({ prompt: row.prompt, reference: row.reference })),
    id: row.id,
    label_hash: sha256(row.labels),
    row_hash: sha256(canonicalRow(row)),
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

export function encodeDataset(rows: readonly DatasetRow[]): Uint8Array {
  return encodeParquet(toArrowTable(DATASET_COLUMNS, rows as unknown as Record<string, unknown>[]));
}
