/** Stage `classify`: assign every pool example one stratum, and record moves in the reclassification registry. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy } from '../lib/config/taxonomy.ts';
import { MissingPreviousAssignmentsError } from '../lib/errors.ts';
import { writeAtomic } from '../lib/io/atomic.ts';
import { lockedMd5 } from '../lib/io/dvcLock.ts';
import { sha256File } from '../lib/io/hash.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { columnValues, columnsToArrowTable, encodeParquet, readParquetFile, type ColumnSpec } from '../lib/io/parquet.ts';
import { classifyExample, loadTokenCounter } from '../lib/sampling/classify.ts';
import { readPoolOrThrow, type ClassifiedPool, type PoolSummary } from '../lib/sampling/pool.ts';
import { reclassifications, type PriorAssignment, type Reclassification } from '../lib/sampling/registry.ts';
import { byCodePoint } from '../lib/io/order.ts';

/**
 * The assignment table, one row per pool example sorted by id. Besides the stratum it records where
 * the example's line is in the pool (file index into interim/pool.json, line, byte offset and
 * length), so that the sample stage reads back only the examples it draws.
 */
export const ASSIGNMENT_COLUMNS: ColumnSpec = {
  id: 'string',
  task_category: 'string',
  difficulty: 'string',
  stratum: 'string',
  decided_by: 'string',
  prompt_tokens: 'int32?',
  taxonomy_version: 'string',
  pool_file: 'int32',
  pool_line: 'int32',
  pool_offset: 'float64',
  pool_length: 'int32',
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
  // Columns, not row objects: a million examples stay a few arrays.
  const cols: Record<keyof typeof ASSIGNMENT_COLUMNS, unknown[]> = Object.fromEntries(Object.keys(ASSIGNMENT_COLUMNS).map((k) => [k, []]));
  const pool: PoolSummary = readPoolOrThrow(
    paths.pool,
    new Set(taxonomy.categories.map((c) => c.id)),
    (example, at) => {
      const a = classifyExample(example, taxonomy, countTokens);
      cols.id.push(a.id);
      cols.task_category.push(a.task_category);
      cols.difficulty.push(a.difficulty);
      cols.stratum.push(a.stratum);
      cols.decided_by.push(a.decided_by);
      cols.prompt_tokens.push(a.prompt_tokens);
      cols.pool_file.push(at.fileIndex);
      cols.pool_line.push(at.line);
      cols.pool_offset.push(at.offset);
      cols.pool_length.push(at.length);
    },
    root,
    onProgress,
  );
  const ids = cols.id as string[];
  const order = Uint32Array.from(ids, (_, i) => i).sort((a, b) => byCodePoint(ids[a], ids[b]));
  const sorted: Record<string, unknown[]> = {};
  for (const [name, values] of Object.entries(cols)) sorted[name] = Array.from(order, (i) => values[i]);
  sorted.taxonomy_version = Array(ids.length).fill(taxonomy.version);

  // The previous table is a persisted DVC output, so it is still here when the stage re-runs. Moves
  // are recorded between taxonomy versions: under the same version there is nothing to compare.
  const registryBefore = existsSync(paths.registry) ? readFileSync(paths.registry, 'utf8') : '';
  let moves: Reclassification[] = [];
  if (!existsSync(paths.assignments)) {
    const recorded = lockedMd5(existsSync(paths.dvcLock) ? readFileSync(paths.dvcLock, 'utf8') : null, 'classify', 'deps', 'taxonomy/strata.json');
    const now = createHash('md5').update(readFileSync(paths.taxonomy)).digest('hex');
    if (recorded !== undefined && recorded !== now) throw new MissingPreviousAssignmentsError(relative(root, paths.assignments));
  }
  const previousVersion = existsSync(paths.assignments)
    ? (columnValues(readParquetFile(paths.assignments, { columns: ['taxonomy_version'], limit: 1 }), 'taxonomy_version')[0] as string | undefined)
    : undefined;
  if (previousVersion !== undefined && previousVersion !== taxonomy.version) {
    const table = readParquetFile(paths.assignments, { columns: ['id', 'stratum', 'taxonomy_version'] });
    const [pIds, pStrata, pVersions] = ['id', 'stratum', 'taxonomy_version'].map((c) => columnValues(table, c) as string[]);
    const previous = new Map<string, PriorAssignment>(pIds.map((id, i) => [id, { stratum: pStrata[i], taxonomy_version: pVersions[i] }]));
    const current = (sorted.id as string[]).map((id, i) => ({ id, stratum: sorted.stratum[i] as string }));
    // The registry is written before the table; a run killed in between finds the same moves again
    // next time, and the ones already recorded are not appended twice.
    const recorded = new Set(registryBefore.split('\n').filter(Boolean));
    moves = reclassifications(previous, current, taxonomy.version).filter((m) => !recorded.has(toJsonl([m]).trimEnd()));
  }

  const table = encodeParquet(columnsToArrowTable(ASSIGNMENT_COLUMNS, sorted));
  if (moves.length || !existsSync(paths.registry)) writeAtomic(paths.registry, registryBefore + toJsonl(moves));
  const classified: ClassifiedPool = { ...pool, taxonomy: { version: taxonomy.version, sha256: sha256File(paths.taxonomy) } };
  writeAtomic(paths.poolSummary, JSON.stringify(classified, null, 2) + '\n');
  writeAtomic(paths.assignments, table);

  const counts = new Map<string, number>();
  for (const s of cols.stratum as string[]) counts.set(s, (counts.get(s) ?? 0) + 1);
  const strata = Object.fromEntries([...counts].sort(([a], [b]) => byCodePoint(a, b)));
  return { examples: ids.length, taxonomyVersion: taxonomy.version, strata, reclassified: moves.length };
}
