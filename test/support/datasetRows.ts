/**
 * Dataset rows and the release files built from them, as the sample stage builds them (manifest
 * lines from manifestLine, meta.json's content hash from contentHash), for tests of the bump rules
 * that need no pipeline run.
 */
import { contentHash, DATASET_COLUMNS, manifestJsonl, manifestLine, type DatasetRow } from '../../lib/sampling/dataset.ts';
import { byCodePoint, byId } from '../../lib/io/order.ts';

/** A row of data.parquet with every column filled; `over` changes the columns a test is about. */
export const datasetRow = (id: string, over: Partial<DatasetRow> = {}): DatasetRow => ({
  id,
  prompt: `prompt ${id}`,
  reference: null,
  task_category: 'reasoning',
  difficulty: 'routine',
  stratum: 'reasoning×routine',
  capabilities: ['logic'],
  labels: '{"quality":"good"}',
  source: 'demo',
  ...over,
});

/**
 * `evalsets/NAME/manifest.jsonl` and `meta.json` for these rows: meta.json holds only the fields the
 * bump rules read (taxonomy version, strata, columns, content hash), plus the dataset and version.
 */
export function releaseFiles(dataset: string, version: string, rows: readonly DatasetRow[]): Record<string, string> {
  const sorted = [...rows].sort(byId);
  const strata = [...new Set(sorted.map((r) => r.stratum))].sort(byCodePoint).map((stratum) => ({ stratum }));
  const meta = { dataset, version, taxonomy_version: '1.0.0', strata, columns: DATASET_COLUMNS, content_hash: contentHash(sorted) };
  return {
    [`evalsets/${dataset}/manifest.jsonl`]: manifestJsonl(sorted.map(manifestLine)),
    [`evalsets/${dataset}/meta.json`]: JSON.stringify(meta, null, 2) + '\n',
  };
}
