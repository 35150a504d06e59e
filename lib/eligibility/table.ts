import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidInputError } from '../errors.ts';
import { columnValues, columnsToArrowTable, encodeParquet, readParquetFile } from '../io/parquet.ts';
import { byCodePoint } from '../io/order.ts';
import { EXCLUSION_COLUMNS, type Exclusion } from './exclusion.ts';

/** Every eligibility screen writes its table here; `sample` reads every table in the folder. */
export const EXCLUSIONS_DIR = join('interim', 'exclusions');

export const exclusionTablePath = (root: string, check: string): string => join(root, EXCLUSIONS_DIR, `${check}.parquet`);

export function encodeExclusions(exclusions: readonly Exclusion[]): Uint8Array {
  const sorted = [...exclusions].sort((a, b) => byCodePoint(a.id, b.id) || byCodePoint(a.check, b.check));
  const columns = Object.fromEntries(Object.keys(EXCLUSION_COLUMNS).map((c) => [c, sorted.map((e) => e[c as keyof Exclusion])]));
  return encodeParquet(columnsToArrowTable(EXCLUSION_COLUMNS, columns));
}

/**
 * Every exclusion of every screen, by id. An id the pool does not hold means the table is older than
 * the assignments (an interrupted run, or a screen not re-run): it is refused, not ignored.
 */
export function readExclusions(root: string, poolIds: ReadonlySet<string>): Map<string, Exclusion[]> {
  const dir = join(root, EXCLUSIONS_DIR);
  const byId = new Map<string, Exclusion[]>();
  if (!existsSync(dir)) return byId;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.parquet')).sort()) {
    const path = join(dir, name);
    const table = readParquetFile(path);
    const [ids, checks, scores, reasons] = Object.keys(EXCLUSION_COLUMNS).map((c) => columnValues(table, c));
    ids.forEach((id, i) => {
      if (!poolIds.has(id as string)) {
        throw new InvalidInputError([
          { file: relative(root, path), line: i + 1, field: 'id', message: `"${id}" is not in the pool: the table is stale; run \`dvc repro\`` },
        ]);
      }
      const exclusion = { id: id as string, check: checks[i] as string, score: scores[i] as number | null, reason: reasons[i] as string };
      byId.set(exclusion.id, [...(byId.get(exclusion.id) ?? []), exclusion]);
    });
  }
  return byId;
}
