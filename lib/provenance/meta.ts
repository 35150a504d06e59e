import { readFileSync } from 'node:fs';
import { validateAgainst } from '../config/schema.ts';
import type { DatasetParams } from '../config/params.ts';
import { EvalsetError, InvalidInputError, formatIssue, type Issue } from '../errors.ts';
import type { Balance } from '../sampling/balance.ts';
import type { ToolVersions } from './tools.ts';

/** meta.json, the provenance sidecar of one dataset. Its shape is held by taxonomy/schemas/meta.schema.json. */
export interface SampleMeta {
  dataset: string;
  version: string;
  seed: number;
  taxonomy_version: string;
  /** SHA-256 of the canonical JSON of `params`, exactly the keys the sample stage read. */
  params_digest: string;
  params: Partial<DatasetParams>;
  /** `eligible`: the candidates left after the eligibility screens, over the strata with a share. */
  size: { requested: number; realised: number; pool: number; eligible: number };
  strata: {
    stratum: string;
    pool: number;
    share: number;
    target: number;
    floor: number;
    realised: number;
    percent: number;
    pool_limited: boolean;
  }[];
  pool_limited: string[];
  warnings: string[];
  balance: Balance;
  /** Per eligibility check: candidates it excluded, and how many of those the draw would have taken (quarantined). */
  eligibility: Record<string, { excluded: number; quarantined: number }>;
  /** The column schema of data.parquet, so a schema change is visible from git alone. */
  columns: Record<string, string>;
  files: Record<string, { sha256: string; bytes: number; rows: number }>;
  content_hash: string;
  manifest_sha256: string;
  /** Git object id of each pipeline code path as it stood in the working tree; null outside git. */
  code: Record<string, string> | null;
  tools: ToolVersions;
  timestamp: string;
  timestamp_source: string;
}

/** meta.json would be written with a field missing or malformed: a tool without a version, or a bug. Nothing is written. */
export class InvalidMetaError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint =
    'A tool version missing means an incomplete install: run `npm install` (npm packages and .venv with DVC). Anything else is a bug in evalset: report it with the fields listed.';
  constructor(
    readonly dataset: string,
    readonly issues: Issue[],
  ) {
    super(
      `meta.json of dataset ${dataset} does not match taxonomy/schemas/meta.schema.json:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    );
  }
}

/** The problems of a meta.json value against its schema; `file` names it in each issue. */
export function metaIssues(meta: unknown, file = 'meta.json'): Issue[] {
  return validateAgainst('meta', meta, file);
}

/**
 * Refuse a meta.json that does not match its schema, before it is written. What is checked is the
 * JSON that will be written, not the object: JSON.stringify turns NaN and Infinity into null and drops
 * undefined fields (how gpt-tokenizer's missing version once vanished from meta.json unseen).
 */
export function assertValidMeta(meta: SampleMeta, file = `evalsets/${meta.dataset}/meta.json`): void {
  const issues = metaIssues(JSON.parse(JSON.stringify(meta)), file);
  if (issues.length) throw new InvalidMetaError(meta.dataset, issues);
}

export function readMeta(path: string, displayName = path): SampleMeta {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SampleMeta;
  } catch {
    throw new InvalidInputError([{ file: displayName, message: 'missing or unreadable: run `evalset sample` (or `dvc repro`) first' }]);
  }
}
