import { readFileSync } from 'node:fs';
import type { DatasetParams } from '../config/params.ts';
import { InvalidInputError } from '../errors.ts';
import type { Balance } from '../sampling/balance.ts';
import type { ToolVersions } from './tools.ts';

/** meta.json, the provenance sidecar of one dataset. */
export interface SampleMeta {
  dataset: string;
  version: string;
  seed: number;
  taxonomy_version: string;
  /** SHA-256 of the canonical JSON of `params`, exactly the keys the sample stage read. */
  params_digest: string;
  params: Partial<DatasetParams>;
  size: { requested: number; realised: number; pool: number };
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

export function readMeta(path: string, displayName = path): SampleMeta {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SampleMeta;
  } catch {
    throw new InvalidInputError([{ file: displayName, message: 'missing or unreadable: run `evalset sample` (or `dvc repro`) first' }]);
  }
}
