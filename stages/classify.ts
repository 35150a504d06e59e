/** Stage `classify`: assign every pool example one stratum, and record moves in the reclassification registry. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy } from '../lib/config/taxonomy.ts';
import { taxonomyContentHash, taxonomyEditIssue } from '../lib/config/taxonomyVersion.ts';
import { promptKey } from '../lib/eligibility/duplicates.ts';
import { InvalidInputError, MissingPreviousAssignmentsError } from '../lib/errors.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { dvcFileMd5 } from '../lib/io/dvcHash.ts';
import { lockedMd5 } from '../lib/io/dvcLock.ts';
import { sha256, sha256File } from '../lib/io/hash.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { byCodePoint } from '../lib/io/order.ts';
import { columnValues, columnsToArrowTable, encodeParquet, readParquetFile, type ColumnSpec } from '../lib/io/parquet.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { classifyExample, loadTokenCounter } from '../lib/sampling/classify.ts';
import { readPoolOrThrow, type PoolSummary } from '../lib/sampling/pool.ts';
import { reclassifications, type PriorAssignment, type Reclassification } from '../lib/sampling/registry.ts';
import type { ClassifyVoucher } from '../lib/sampling/voucher.ts';

/**
 * The assignment table, one row per pool example sorted by id. Besides the stratum it records the
 * taxonomy (version and content hash) that assigned it, the key of the normalised prompt (for the
 * duplicates screen), and where the example's line is in the pool (file index into
 * interim/pool.json, line, byte offset and length), so that the sample stage reads back only the
 * examples it draws.
 */
export const ASSIGNMENT_COLUMNS: ColumnSpec = {
  id: 'string',
  task_category: 'string',
  difficulty: 'string',
  stratum: 'string',
  decided_by: 'string',
  prompt_tokens: 'int32?',
  prompt_key: 'string',
  taxonomy_version: 'string',
  taxonomy_content_hash: 'string',
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
  removeStaleTemporaries([dirname(paths.assignments), dirname(paths.registry)]);
  const taxonomyFile = relative(root, paths.taxonomy);
  const taxonomy = loadTaxonomy(paths.taxonomy, taxonomyFile);
  const contentHash = taxonomyContentHash(taxonomy);

  // The previous table is a persisted DVC output, so it is still here when the stage re-runs. It
  // records the taxonomy that made it: an edit under the same version would move examples unrecorded.
  const first = existsSync(paths.assignments) ? readParquetFile(paths.assignments, { limit: 1 }) : null;
  const stampOf = (column: string) => (first?.numRows && first.getChild(column) ? (columnValues(first, column)[0] as string) : undefined);
  const previousVersion = stampOf('taxonomy_version');
  const previousHash = stampOf('taxonomy_content_hash');
  if (previousVersion !== undefined && previousHash !== undefined) {
    const issue = taxonomyEditIssue({ version: previousVersion, content_hash: previousHash }, taxonomy, taxonomyFile);
    if (issue) throw new InvalidInputError([issue]);
  }

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
      cols.prompt_key.push(promptKey(example.prompt));
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
  for (const [name, values] of Object.entries(cols)) if (values.length === ids.length) sorted[name] = Array.from(order, (i) => values[i]);
  sorted.taxonomy_version = Array(ids.length).fill(taxonomy.version);
  sorted.taxonomy_content_hash = Array(ids.length).fill(contentHash);

  // Moves are recorded between taxonomy versions: under the same version there is nothing to compare.
  const registryBefore = existsSync(paths.registry) ? readFileSync(paths.registry, 'utf8') : '';
  let moves: Reclassification[] = [];
  if (!existsSync(paths.assignments)) {
    const recorded = lockedMd5(existsSync(paths.dvcLock) ? readFileSync(paths.dvcLock, 'utf8') : null, 'classify', 'deps', 'taxonomy/strata.json');
    const now = dvcFileMd5(readFileSync(paths.taxonomy));
    if (recorded !== undefined && recorded !== now) throw new MissingPreviousAssignmentsError(relative(root, paths.assignments));
  }
  if (previousVersion !== undefined && previousVersion !== taxonomy.version) {
    const table = readParquetFile(paths.assignments, { columns: ['id', 'stratum', 'taxonomy_version'] });
    const [pIds, pStrata, pVersions] = ['id', 'stratum', 'taxonomy_version'].map((c) => columnValues(table, c) as string[]);
    const previous = new Map<string, PriorAssignment>(pIds.map((id, i) => [id, { stratum: pStrata[i], taxonomy_version: pVersions[i] }]));
    const current = (sorted.id as string[]).map((id, i) => ({ id, stratum: sorted.stratum[i] as string }));
    // A run killed before the voucher finds the same moves again next time; the ones already recorded are not appended twice.
    const recorded = new Set(registryBefore.split('\n').filter(Boolean));
    moves = reclassifications(previous, current, taxonomy.version).filter((m) => !recorded.has(toJsonl([m]).trimEnd()));
  }

  const table = encodeParquet(columnsToArrowTable(ASSIGNMENT_COLUMNS, sorted));
  const voucher: ClassifyVoucher = {
    ...pool,
    taxonomy: { version: taxonomy.version, sha256: sha256File(paths.taxonomy) },
    assignments: { path: relative(root, paths.assignments), sha256: sha256(table) },
  };
  // The voucher goes last: it vouches for the table by its SHA-256, and readers refuse a mismatch.
  writeAllAtomic({
    ...(moves.length || !existsSync(paths.registry) ? { [paths.registry]: registryBefore + toJsonl(moves) } : {}),
    [paths.assignments]: table,
    [paths.poolSummary]: JSON.stringify(voucher, null, 2) + '\n',
  });

  const counts = new Map<string, number>();
  for (const s of cols.stratum as string[]) counts.set(s, (counts.get(s) ?? 0) + 1);
  const strata = Object.fromEntries([...counts].sort(([a], [b]) => byCodePoint(a, b)));
  return { examples: ids.length, taxonomyVersion: taxonomy.version, strata, reclassified: moves.length };
}

export const stage: Stage<ClassifySummary> = {
  name: 'classify',
  perDataset: false,
  describe: 'assign every pool example a stratum (category×difficulty); update the reclassification registry',
  params: [],
  deps: ['interim/validated.json', 'datasets/pool', 'taxonomy/strata.json', 'taxonomy/schemas', 'package-lock.json'],
  code: ['stages/classify.ts', 'lib/sampling', 'lib/eligibility', ...STAGE_RUNTIME_CODE],
  outs: [{ path: 'interim/strata.parquet' }, { path: 'interim/pool.json' }, { path: 'taxonomy/registry.jsonl', cache: false }],
  nodeFlags: ['--max-semi-space-size=64'],
  run: (root, _dataset, onProgress) => runClassify(root, onProgress),
  summarize: (s) =>
    [
      `classified ${s.examples} examples (taxonomy ${s.taxonomyVersion}); ${s.reclassified} moved stratum`,
      ...Object.entries(s.strata).map(([stratum, n]) => `  ${stratum}: ${n}`),
    ].join('\n'),
};

await runStageMain(stage, import.meta.url);
