/**
 * A quality check's result for one dataset: `evalsets/NAME/quality/<check>.json`. One file per check
 * because a DVC output belongs to exactly one stage; the card renders every file present through
 * the check's registered section renderer (lib/card/sections.ts). Every file shares this envelope,
 * versioned by `schema_version` and validated against taxonomy/schemas/quality.schema.json when
 * written and when read.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { validateAgainst } from '../config/schema.ts';
import { InvalidInputError } from '../errors.ts';

export const QUALITY_SCHEMA_VERSION = 1;

export type QualityStatus = 'pass' | 'warn' | 'fail' | 'not_run';

export interface QualityResult<Details = Record<string, unknown>> {
  schema_version: typeof QUALITY_SCHEMA_VERSION;
  check: string;
  dataset: string;
  /** pass / warn / fail as the check judges it; not_run with a `reason` when it could not run (e.g. no annotations). */
  status: QualityStatus;
  /** One sentence a person reads first. */
  summary: string;
  reason?: string;
  details: Details;
}

/** The file's text, after checking the envelope: a malformed result is refused here, never rendered. */
export function qualityJson(result: QualityResult<unknown>, file: string): string {
  const issues = validateAgainst('quality', result, file);
  if (issues.length) throw new InvalidInputError(issues);
  return JSON.stringify(result, null, 2) + '\n';
}

export function readQuality(path: string, file: string): QualityResult {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new InvalidInputError([{ file, message: 'unreadable or malformed JSON: re-run the stage that writes it (`dvc repro`)' }]);
  }
  const issues = validateAgainst('quality', value, file);
  if (issues.length) throw new InvalidInputError(issues);
  return value as QualityResult;
}

/** Every result in a dataset's quality folder, by check (what the card renders). */
export function readQualityResults(root: string, dir: string): Map<string, QualityResult> {
  const quality = new Map<string, QualityResult>();
  if (!existsSync(dir)) return quality;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const result = readQuality(join(dir, file), relative(root, join(dir, file)));
    quality.set(result.check, result);
  }
  return quality;
}
