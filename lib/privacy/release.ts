import type { FieldStrategy, FieldsSpec, MechanismSpec, Sensitivity } from './fields.ts';

/** evalsets/synthetic/privacy.json: what one synthesis released, and what it cost. */
export interface ReleaseRecord {
  status: 'released' | 'not_run';
  reason?: string;
  dataset: string;
  run_id?: string;
  recorded_at?: string;
  records?: number;
  backend?: { name: string; version: string };
  noise_seed?: 'public (params.yaml)' | 'secret (EVALSET_PRIVACY_SEED)';
  /** Each source field's sensitivity (an unannotated one is restricted, and a warning names it) and what synthesis did. */
  fields?: Record<string, { sensitivity: Sensitivity; strategy: FieldStrategy }>;
  warnings?: string[];
  mechanisms?: MechanismSpec[];
  delta?: number;
  epsilon_run?: number;
  epsilon_total?: number;
  epsilon_budget?: number;
  /** The ledger already held this release: re-running it spent nothing (in the run's summary, not in privacy.json). */
  reused?: boolean;
  source_sha256?: string;
  config_sha256?: string;
  synthetic_sha256?: string;
}

/** Each source field's sensitivity (unannotated fields are restricted) and what synthesis did with it. */
export function fieldRecord(spec: FieldsSpec, strategies: ReadonlyMap<string, FieldStrategy>): NonNullable<ReleaseRecord['fields']> {
  return Object.fromEntries(
    [...strategies].map(([field, strategy]) => [field, { sensitivity: spec.fields.get(field)?.sensitivity ?? 'restricted', strategy }]),
  );
}
