/**
 * Stage `attestation`: the signed record an auditor checks without the source — an in-toto Statement over
 * the synthetic data with its (ε, δ), mechanisms, ledger position and hashes, a detached OpenPGP
 * signature, the public key to check it with, and the synthetic dataset's card.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleTemporaries, writeAllAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { buildStatement, ledgerSha256Through, serializeStatement, type Statement } from '../lib/privacy/attestation.ts';
import { renderSyntheticCard } from '../lib/privacy/card.ts';
import { readLedger } from '../lib/privacy/ledger.ts';
import { PRIVACY_PATHS, SIGNING_KEY_PATH, DEMO_KEY_DIR } from '../lib/privacy/project.ts';
import { releaseEpsilon } from '../lib/privacy/rdp.ts';
import type { ReleaseRecord } from '../lib/privacy/release.ts';
import { loadSigningKey, signDetached } from '../lib/privacy/signing.ts';
import { readQuality, type QualityResult } from '../lib/quality/result.ts';
import { InvalidInputError } from '../lib/errors.ts';

export async function runAttestation(root: string): Promise<{ status: string; fingerprint?: string; demo?: boolean }> {
  const at = (p: string) => join(root, p);
  removeStaleTemporaries([at(PRIVACY_PATHS.dir)]);
  const release = JSON.parse(readFileSync(at(PRIVACY_PATHS.release), 'utf8')) as ReleaseRecord;
  const quality = new Map<string, QualityResult>();
  if (existsSync(at(PRIVACY_PATHS.utility))) quality.set('utility', readQuality(at(PRIVACY_PATHS.utility), PRIVACY_PATHS.utility));
  if (release.status !== 'released') {
    const none = JSON.stringify({ not_run: release.reason }) + '\n';
    writeAllAtomic({
      [at(PRIVACY_PATHS.statement)]: none,
      [at(PRIVACY_PATHS.signature)]: '',
      [at(SIGNING_KEY_PATH)]: '',
      [at(PRIVACY_PATHS.card)]: renderSyntheticCard(release, quality, null, null),
    });
    return { status: 'not_run' };
  }
  const ledger = readLedger(at(PRIVACY_PATHS.ledger), PRIVACY_PATHS.ledger);
  const index = ledger.findIndex((e) => e.config_sha256 === release.config_sha256 && e.source_sha256 === release.source_sha256);
  if (index < 0)
    throw new InvalidInputError([
      { file: PRIVACY_PATHS.ledger, message: `holds no entry for release ${release.run_id}: run \`evalset synthesize\` (or \`dvc repro\`) again` },
    ]);
  const entry = ledger[index];
  const key = await loadSigningKey({ demoDir: at(DEMO_KEY_DIR) });
  const statement: Statement = buildStatement({
    subjects: [{ name: 'data.jsonl', sha256: release.synthetic_sha256! }],
    dataset: release.dataset,
    privacy: {
      epsilon: releaseEpsilon(entry.rdp, entry.mechanisms, entry.delta).epsilon,
      delta: entry.delta,
      mechanisms: entry.mechanisms,
      epsilon_run: entry.epsilon_run,
      cumulative: { epsilon_total: entry.epsilon_total, runs: index + 1, ledger_sha256_through_entry: ledgerSha256Through(ledger, index) },
    },
    fields: release.fields!,
    backend: release.backend!,
    source_sha256: release.source_sha256!,
    config_sha256: release.config_sha256!,
    timestamp: entry.recorded_at,
    demo_signed: key.demo,
  });
  const text = serializeStatement(statement);
  // Signed at the release's recorded time (or the key's creation, if later), so a re-run signs the same bytes.
  const signedAt = new Date(Math.max(Date.parse(entry.recorded_at), key.privateKey.getCreationTime().getTime()));
  const signature = await signDetached(new TextEncoder().encode(text), key.privateKey, signedAt);
  writeAllAtomic({
    [at(PRIVACY_PATHS.statement)]: text,
    [at(PRIVACY_PATHS.signature)]: signature,
    [at(SIGNING_KEY_PATH)]: key.publicKeyArmored,
    [at(PRIVACY_PATHS.card)]: renderSyntheticCard(release, quality, statement, key.fingerprint),
  });
  return { status: 'signed', fingerprint: key.fingerprint, demo: key.demo };
}

export const stage: Stage<{ status: string; fingerprint?: string; demo?: boolean }> = {
  name: 'attestation',
  perDataset: false,
  describe: 'sign an in-toto attestation of the synthetic dataset (its ε, δ, mechanisms, ledger position, hashes) and render its card',
  params: [],
  // Not the ledger itself: it is appended to, and may not exist yet; privacy.json names this release's line and totals.
  deps: ['evalsets/synthetic/data.jsonl', 'evalsets/synthetic/privacy.json', 'evalsets/synthetic/quality/utility.json'],
  code: [
    'stages/attestation.ts',
    'lib/privacy/attestation.ts',
    'lib/privacy/card.ts',
    'lib/privacy/ledger.ts',
    'lib/privacy/project.ts',
    'lib/privacy/rdp.ts',
    'lib/privacy/signing.ts',
    'lib/card/sections/utility.ts',
    'lib/quality',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [
    { path: 'evalsets/synthetic/attestation.intoto.json', cache: false },
    { path: 'evalsets/synthetic/attestation.intoto.json.asc', cache: false },
    { path: 'evalsets/synthetic/signing-key.asc', cache: false },
    { path: 'evalsets/synthetic/README.md', cache: false },
  ],
  run: (root) => runAttestation(root),
  summarize: (r) =>
    r.status === 'signed'
      ? `attestation: signed evalsets/synthetic/attestation.intoto.json with key ${r.fingerprint}${r.demo ? ' (the demo key: integrity only, not origin)' : ''}`
      : 'attestation: not run (no synthetic dataset)',
};

await runStageMain(stage, import.meta.url);
