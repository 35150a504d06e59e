/** Stage `classify`: assign every pool example one stratum, and record moves in the reclassification registry. */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy } from '../lib/config/taxonomy.ts';
import { writeAtomic } from '../lib/io/atomic.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { encodeParquet, readParquetFile, tableRows, toArrowTable, type ColumnSpec } from '../lib/io/parquet.ts';
import { classifyExample, loadTokenCounter, type Assignment } from '../lib/sampling/classify.ts';
import { readPoolOrThrow } from '../lib/sampling/pool.ts';
import { reclassifications, type PriorAssignment } from '../lib/sampling/registry.ts';

export const ASSIGNMENT_COLUMNS: ColumnSpec = {
  id: 'string',
  task_category: 'string',
  difficulty: 'string',
  stratum: 'string',
  decided_by: 'string',
  prompt_tokens: 'int32?',
  taxonomy_version: 'string',
};

export interface ClassifySummary {
  examples: number;
  taxonomyVersion: string;
  strata: Record<string, number>;
  reclassified: number;
}

export async function runClassify(root: string, onProgress?: (n: number) => void): Promise<ClassifySummary> {
  const paths = projectPaths(root);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const countTokens = await loadTokenCounter(taxonomy.tokenizer);
  const assignments: (Assignment & { taxonomy_version: string })[] = [];
  readPoolOrThrow(
    paths.pool,
    new Set(taxonomy.categories.map((c) => c.id)),
    (example) => assignments.push({ ...classifyExample(example, taxonomy, countTokens), taxonomy_version: taxonomy.version }),
    root,
    onProgress,
  );
  assignments.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  // The previous table is a persisted DVC output, so it is still here when the stage re-runs.
  const previous = new Map<string, PriorAssignment>();
  if (existsSync(paths.assignments)) {
    for (const row of tableRows(readParquetFile(paths.assignments))) {
      previous.set(row.id as string, { stratum: row.stratum as string, taxonomy_version: row.taxonomy_version as string });
    }
  }
  const registryBefore = existsSync(paths.registry) ? readFileSync(paths.registry, 'utf8') : '';
  // The registry is written before the table; a run killed in between finds the same moves again
  // next time, and the ones already recorded are not appended twice.
  const recorded = new Set(registryBefore.split('\n').filter(Boolean));
  const moves = reclassifications(previous, assignments, taxonomy.version).filter((m) => !recorded.has(toJsonl([m]).trimEnd()));

  const table = encodeParquet(toArrowTable(ASSIGNMENT_COLUMNS, assignments as unknown as Record<string, unknown>[]));
  if (moves.length || !existsSync(paths.registry)) writeAtomic(paths.registry, registryBefore + toJsonl(moves));
  writeAtomic(paths.assignments, table);

  const strata: Record<string, number> = {};
  for (const a of assignments) strata[a.stratum] = (strata[a.stratum] ?? 0) + 1;
  return { examples: assignments.length, taxonomyVersion: taxonomy.version, strata, reclassified: moves.length };
}
