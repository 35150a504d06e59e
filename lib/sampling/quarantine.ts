import type { Exclusion } from '../eligibility/exclusion.ts';
import { byCodePoint } from '../io/order.ts';
import { encodeParquet, toArrowTable, type ColumnSpec } from '../io/parquet.ts';
import { DATASET_COLUMNS, type DatasetRow } from './dataset.ts';

/**
 * The columns of quarantine.parquet: a dataset row, then the check that excluded it, its score and
 * the reason. One row per (example, check): an example two checks excluded appears twice.
 */
export const QUARANTINE_COLUMNS: ColumnSpec = { ...DATASET_COLUMNS, check: 'string', score: 'float64?', reason: 'string' };

/** Every excluded candidate the draw passed over, sorted by id then check, so the same draw gives the same bytes. */
export function encodeQuarantine(rows: readonly DatasetRow[], exclusions: readonly Exclusion[]): Uint8Array {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out = [...exclusions]
    .sort((a, b) => byCodePoint(a.id, b.id) || byCodePoint(a.check, b.check))
    .map((e) => ({ ...byId.get(e.id)!, check: e.check, score: e.score, reason: e.reason }));
  return encodeParquet(toArrowTable(QUARANTINE_COLUMNS, out));
}
