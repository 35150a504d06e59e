/**
 * The archive of retired examples: `evalsets/NAME/archive/retired.jsonl`, one line per example that a
 * re-curation retired (`evalset recurate NAME --apply`), with the version that retired it, why, and
 * its whole row as released. Examples are never deleted: the archive is committed to git, and the
 * sample stage reads it as an eligibility screen (check `retired`), so a retired example stays out of
 * every later draw of that dataset and is quarantined, not silently dropped, when the draw passes it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidInputError, type Issue } from '../errors.ts';
import { removeStaleTemporaries, writeAtomic } from '../io/atomic.ts';
import { readJsonl, toJsonl } from '../io/jsonl.ts';
import { byId } from '../io/order.ts';
import type { Exclusion } from './exclusion.ts';

export const RETIRED_CHECK = 'retired';

export interface RetiredExample {
  id: string;
  /** The version of the dataset that no longer holds it (the version the re-curation released). */
  retired_in: string;
  reason: string;
  /** SHA-256 of the changeset that retired it. */
  changeset_sha256: string;
  /** Its row as the previous version released it (data.parquet's columns). */
  row: Record<string, unknown>;
}

export const archiveDir = (root: string, dataset: string): string => join(root, 'evalsets', dataset, 'archive');
export const retiredPath = (root: string, dataset: string): string => join(archiveDir(root, dataset), 'retired.jsonl');

const README = `# Archive

Examples retired from this dataset by \`evalset recurate NAME --apply\`: one line each in
\`retired.jsonl\`, with the version that retired it (\`retired_in\`), why, the changeset's SHA-256 and
its row as released. Nothing here is deleted. The sample stage keeps these examples out of every later
draw of this dataset (eligibility check \`retired\`).
`;

/**
 * Make sure the archive folder exists. The sample stage declares it as a DVC dependency, and DVC
 * refuses a dependency that does not exist, so the config stage (which runs first) creates it for
 * every dataset in params.yaml, with a README saying what it is for.
 */
export function ensureArchive(root: string, dataset: string): void {
  const dir = archiveDir(root, dataset);
  removeStaleTemporaries([dir]);
  if (existsSync(join(dir, 'README.md'))) return;
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'README.md'), README);
}

/** The archive's lines, checked: every field present, each id once. A malformed line is an input error naming file, line and field. */
export function readRetired(root: string, dataset: string): RetiredExample[] {
  const path = retiredPath(root, dataset);
  if (!existsSync(path)) return [];
  const file = relative(root, path);
  const issues: Issue[] = [];
  const out: RetiredExample[] = [];
  const seen = new Set<string>();
  for (const entry of readJsonl(path, file)) {
    if (entry.issue) {
      issues.push(entry.issue);
      continue;
    }
    const v = entry.value as Partial<RetiredExample>;
    const bad = (field: string, message: string) => issues.push({ file, line: entry.line, field, message });
    if (typeof v.id !== 'string' || !v.id) bad('id', 'must be a non-empty string');
    else if (seen.has(v.id)) bad('id', `"${v.id}" is archived twice`);
    if (typeof v.retired_in !== 'string') bad('retired_in', 'must be the version that retired the example');
    if (typeof v.reason !== 'string') bad('reason', 'must be a string');
    if (typeof v.changeset_sha256 !== 'string') bad('changeset_sha256', 'must be a string');
    if (v.row === null || typeof v.row !== 'object') bad('row', 'must be the released row (an object)');
    if (typeof v.id === 'string') seen.add(v.id);
    out.push(v as RetiredExample);
  }
  if (issues.length)
    throw new InvalidInputError(issues, {
      hint: 'The archive is written by `evalset recurate --apply`; restore it from git (`git checkout -- <file>`).',
    });
  return out;
}

/** The archive as eligibility exclusions of the sample stage. */
export function retiredExclusions(root: string, dataset: string): Map<string, Exclusion[]> {
  return new Map(
    readRetired(root, dataset).map((r) => [
      r.id,
      [{ id: r.id, check: RETIRED_CHECK, score: null, reason: `retired in ${r.retired_in}: ${r.reason}` }],
    ]),
  );
}

/** Write the archive, sorted by id, atomically. */
export function writeRetired(root: string, dataset: string, entries: readonly RetiredExample[]): void {
  mkdirSync(archiveDir(root, dataset), { recursive: true });
  writeAtomic(retiredPath(root, dataset), toJsonl([...entries].sort(byId)));
}
