/**
 * interim/pool.json, the voucher classify writes LAST: the pool and taxonomy it classified (with
 * their SHA-256) and the SHA-256 of the assignment table it wrote. A run killed between its renames
 * leaves a voucher that does not match the table, and every reader refuses it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { InvalidInputError } from '../errors.ts';
import { sha256File } from '../io/hash.ts';
import type { ProjectPaths } from '../config/paths.ts';
import { verifyClassified, type ClassifiedPool } from './pool.ts';

export interface ClassifyVoucher extends ClassifiedPool {
  assignments: { path: string; sha256: string };
}

const rerun = 'run `evalset classify` (or `dvc repro`) again';

/**
 * Read the voucher and check it against the assignment table, and (unless the caller reads only the
 * table, as a screen does) against the pool and the taxonomy, byte for byte.
 */
export function readVoucher(paths: ProjectPaths, { pool = true }: { pool?: boolean } = {}): ClassifyVoucher {
  const file = relative(paths.root, paths.poolSummary);
  if (!existsSync(paths.assignments) || !existsSync(paths.poolSummary)) {
    throw new InvalidInputError([{ file: relative(paths.root, paths.assignments), message: `missing: ${rerun}` }]);
  }
  let voucher: ClassifyVoucher;
  try {
    voucher = JSON.parse(readFileSync(paths.poolSummary, 'utf8')) as ClassifyVoucher;
  } catch {
    throw new InvalidInputError([{ file, message: `malformed: ${rerun}` }]);
  }
  if (!voucher.assignments || sha256File(paths.assignments) !== voucher.assignments.sha256) {
    throw new InvalidInputError([
      { file: relative(paths.root, paths.assignments), message: `is not the table ${file} vouches for (an interrupted run?): ${rerun}` },
    ]);
  }
  if (pool) verifyClassified(paths.root, paths.pool, paths.taxonomy, voucher);
  return voucher;
}
