import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidInputError } from '../errors.ts';
import { sha256, sha256File } from '../io/hash.ts';
import { columnValues, columnsToArrowTable, encodeParquet, readParquetFile } from '../io/parquet.ts';
import { byCodePoint } from '../io/order.ts';
import { EXCLUSION_COLUMNS, type Exclusion } from './exclusion.ts';

/** Every eligibility screen writes its table here; `sample` reads every table in the folder. */
export const EXCLUSIONS_DIR = join('interim', 'exclusions');

export const exclusionTablePath = (root: string, check: string): string => join(root, EXCLUSIONS_DIR, `${check}.parquet`);

/**
 * The files a screen writes: its exclusion table, then the receipt that vouches for it — the
 * assignment table it screened and the table's own SHA-256 — so that `sample` refuses a table made
 * from other assignments (a screen not re-run after classify, or a run killed between the renames).
 */
export function exclusionFiles(
  root: string,
  check: string,
  exclusions: readonly Exclusion[],
  assignmentsSha256: string,
): Record<string, string | Uint8Array> {
  const table = encodeExclusions(exclusions);
  const receipt = { check, assignments_sha256: assignmentsSha256, table_sha256: sha256(table), excluded: exclusions.length };
  return { [exclusionTablePath(root, check)]: table, [receiptPath(root, check)]: JSON.stringify(receipt, null, 2) + '\n' };
}

const receiptPath = (root: string, check: string): string => join(root, EXCLUSIONS_DIR, `${check}.json`);

export function encodeExclusions(exclusions: readonly Exclusion[]): Uint8Array {
  const sorted = [...exclusions].sort((a, b) => byCodePoint(a.id, b.id) || byCodePoint(a.check, b.check));
  const columns = Object.fromEntries(Object.keys(EXCLUSION_COLUMNS).map((c) => [c, sorted.map((e) => e[c as keyof Exclusion])]));
  return encodeParquet(columnsToArrowTable(EXCLUSION_COLUMNS, columns));
}

/**
 * Every exclusion of every screen, by id. A table whose receipt is missing, names other assignments
 * than the ones being drawn from, or does not hash the table is refused, not ignored: the screen
 * must run again. So is an id the pool does not hold.
 */
export function readExclusions(root: string, poolIds: ReadonlySet<string>, assignmentsSha256: string): Map<string, Exclusion[]> {
  const dir = join(root, EXCLUSIONS_DIR);
  const byId = new Map<string, Exclusion[]>();
  if (!existsSync(dir)) return byId;
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.parquet'))
    .sort()) {
    const path = join(dir, name);
    const check = name.slice(0, -'.parquet'.length);
    const rerun = `run \`evalset ${check}\` (or \`dvc repro\`) again`;
    let receipt: { assignments_sha256?: string; table_sha256?: string } = {};
    try {
      receipt = JSON.parse(readFileSync(receiptPath(root, check), 'utf8'));
    } catch {
      throw new InvalidInputError([{ file: relative(root, receiptPath(root, check)), message: `missing or unreadable: ${rerun}` }]);
    }
    if (receipt.table_sha256 !== sha256File(path))
      throw new InvalidInputError([
        { file: relative(root, path), message: `is not the table its receipt vouches for (an interrupted run?): ${rerun}` },
      ]);
    if (receipt.assignments_sha256 !== assignmentsSha256)
      throw new InvalidInputError([
        { file: relative(root, path), message: `screened another assignment table than interim/strata.parquet: ${rerun}` },
      ]);
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
