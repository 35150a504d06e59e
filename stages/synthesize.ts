/**
 * Stage `synthesize`: the synthetic twin of datasets/private/source.jsonl, field by field as
 * datasets/private/fields.yaml says, with a differential-privacy guarantee. The release's cost is
 * projected against privacy/budget.yaml and recorded in privacy/ledger.jsonl (under a lock) BEFORE
 * anything is synthesised: over budget, nothing is synthesised and nothing recorded.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { sha256 } from '../lib/io/hash.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { fieldMechanisms, parseFieldSpec, type MechanismSpec } from '../lib/privacy/fields.ts';
import { loadBudget, readLedger, spendBudget } from '../lib/privacy/ledger.ts';
import {
  DEFAULT_TEXT_NOISE_MULTIPLIER,
  PRIVACY_PATHS,
  SYNTHETIC_DATASET,
  configSha256,
  hasPrivateSource,
  noiseSeed,
  type PrivacyParams,
} from '../lib/privacy/project.ts';
import { composeRdp, mechanismRdp, releaseEpsilon } from '../lib/privacy/rdp.ts';
import { fieldRecord, type ReleaseRecord } from '../lib/privacy/release.ts';
import { sourceFieldNames, sourceIssues, synthesizeRecords } from '../lib/privacy/synthesize.ts';
import { textBackend } from '../lib/privacy/backends.ts';
import { readPrivateRecords } from '../lib/privacy/records.ts';

export async function runSynthesize(root: string): Promise<ReleaseRecord> {
  const at = (p: string) => join(root, p);
  removeStaleTemporaries([at(PRIVACY_PATHS.dir)]);
  const params: PrivacyParams = (loadParams(projectPaths(root).params, 'params.yaml') as { privacy?: PrivacyParams }).privacy ?? {};
  if (!hasPrivateSource(root)) {
    const record: ReleaseRecord = { status: 'not_run', reason: `there is no private source (${PRIVACY_PATHS.source})`, dataset: SYNTHETIC_DATASET };
    writeAllAtomic({ [at(PRIVACY_PATHS.data)]: '', [at(PRIVACY_PATHS.release)]: JSON.stringify(record, null, 2) + '\n' });
    return record;
  }
  const fieldsText = existsSync(at(PRIVACY_PATHS.fields)) ? readFileSync(at(PRIVACY_PATHS.fields), 'utf8') : null;
  if (fieldsText === null)
    throw new InvalidInputError([{ file: PRIVACY_PATHS.fields, message: 'is missing: every field of the private source needs a sensitivity' }]);
  const spec = parseFieldSpec(fieldsText, PRIVACY_PATHS.fields);
  const budget = loadBudget(at(PRIVACY_PATHS.budget), PRIVACY_PATHS.budget);
  // The source's hash is of the bytes parsed: the attestation vouches for what was synthesised from.
  const { records, sha256: sourceSha256 } = readPrivateRecords(at(PRIVACY_PATHS.source), PRIVACY_PATHS.source);
  const seed = noiseSeed(params);
  const textOptions = {
    noise_multiplier: params.text?.noise_multiplier ?? DEFAULT_TEXT_NOISE_MULTIPLIER,
    ...(params.text?.clip !== undefined ? { clip: params.text.clip } : {}),
    ...(params.text?.max_tokens !== undefined ? { max_tokens: params.text.max_tokens } : {}),
  };
  const delta = budget.delta ?? 1 / records.length ** 2;
  if (params.backend === 'nemo' && budget.delta === undefined)
    throw new InvalidInputError([
      {
        file: PRIVACY_PATHS.budget,
        field: 'delta',
        message: "the nemo backend states (ε, δ) releases whose δs add up: set the budget's `delta` so that every release is accounted at one δ",
      },
    ]);
  // Every value synthesis cannot use is refused before anything is spent.
  const issues = sourceIssues(records, spec, PRIVACY_PATHS.source);
  if (issues.length) throw new InvalidInputError(issues, { hint: 'Fix the listed source values, or their annotation in fields.yaml, and re-run.' });

  // The cost, known before any synthesis: every internal field's mechanism and each regenerated text field's.
  const present = sourceFieldNames(records);
  const textFields = [...spec.fields].filter(([name, f]) => f.sensitivity === 'confidential' && present.includes(name)).map(([name]) => name);
  const backend = textBackend(params, delta, textFields.length);
  const mechanisms: MechanismSpec[] = [
    ...fieldMechanisms(spec, present),
    ...textFields.map((field) => backend.mechanism(field, textOptions.noise_multiplier)),
  ];
  const rdp = composeRdp(mechanisms.map((m) => mechanismRdp(m)));
  const config = configSha256(fieldsText, params, seed);
  const runId = `${SYNTHETIC_DATASET}-${config.slice(0, 12)}-${sourceSha256.slice(0, 12)}`;
  const spend = await spendBudget({
    ledgerPath: at(PRIVACY_PATHS.ledger),
    ledgerFile: PRIVACY_PATHS.ledger,
    budget,
    entry: {
      run_id: runId,
      dataset: SYNTHETIC_DATASET,
      config_sha256: config,
      source_sha256: sourceSha256,
      records: records.length,
      delta,
      mechanisms,
      rdp,
      epsilon_run: releaseEpsilon(rdp, mechanisms, delta).epsilon,
    },
  });
  const entry = readLedger(at(PRIVACY_PATHS.ledger), PRIVACY_PATHS.ledger).find(
    (e) => e.config_sha256 === config && e.source_sha256 === sourceSha256,
  )!;

  const result = await synthesizeRecords(records, spec, { seed: seed.seed, text: backend.text, textOptions, source: PRIVACY_PATHS.source });
  const data = toJsonl(result.records);
  const record: ReleaseRecord = {
    status: 'released',
    dataset: SYNTHETIC_DATASET,
    run_id: entry.run_id,
    recorded_at: entry.recorded_at,
    records: records.length,
    backend: { name: backend.text.name, version: backend.text.version },
    noise_seed: seed.secret ? 'secret (EVALSET_PRIVACY_SEED)' : 'public (params.yaml)',
    fields: fieldRecord(spec, result.strategies),
    warnings: result.warnings,
    mechanisms: entry.mechanisms,
    delta: entry.delta,
    epsilon_run: entry.epsilon_run,
    epsilon_total: entry.epsilon_total,
    epsilon_budget: budget.epsilon,
    reused: spend.reused,
    source_sha256: sourceSha256,
    config_sha256: config,
    synthetic_sha256: sha256(data),
  };
  // `reused` is for the run's summary, not the file: a first run and a re-run write the same bytes.
  const { reused: _reused, ...file } = record;
  writeAllAtomic({ [at(PRIVACY_PATHS.data)]: data, [at(PRIVACY_PATHS.release)]: JSON.stringify(file, null, 2) + '\n' });
  return record;
}

export const stage: Stage<ReleaseRecord> = {
  name: 'synthesize',
  perDataset: false,
  describe: 'synthesise datasets/private/source.jsonl field by field with a differential-privacy guarantee, spending from the privacy budget',
  params: ['privacy.seed', 'privacy.backend', 'privacy.text', 'privacy.nemo'],
  // `datasets` as a whole: the private source is optional, and DVC refuses a dependency that does not exist.
  deps: ['datasets', 'privacy/budget.yaml', 'package-lock.json'],
  code: [
    'stages/synthesize.ts',
    'lib/privacy/backends.ts',
    'lib/privacy/fields.ts',
    'lib/privacy/ledger.ts',
    'lib/privacy/nemo.ts',
    'lib/privacy/nemoText.ts',
    'lib/privacy/noise.ts',
    'lib/privacy/placeholders.ts',
    'lib/privacy/project.ts',
    'lib/privacy/rdp.ts',
    'lib/privacy/records.ts',
    'lib/privacy/release.ts',
    'lib/privacy/synthesize.ts',
    'lib/privacy/textSynthesizer.ts',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [{ path: 'evalsets/synthetic/data.jsonl' }, { path: 'evalsets/synthetic/privacy.json', cache: false }],
  run: (root) => runSynthesize(root),
  summarize: (r) =>
    r.status === 'not_run'
      ? `synthesize: not run: ${r.reason}`
      : `synthesize: ${r.records} synthetic records (backend ${r.backend!.name}); this release ε = ${r.epsilon_run!.toFixed(3)} at δ = ${r.delta!.toPrecision(3)}${r.reused ? ' (already in the ledger: nothing new spent)' : ''}; total ε = ${r.epsilon_total!.toFixed(3)} of ${r.epsilon_budget}` +
        (r.warnings!.length ? r.warnings!.map((w) => `\n  warning: ${w}`).join('') : ''),
};

await runStageMain(stage, import.meta.url);
