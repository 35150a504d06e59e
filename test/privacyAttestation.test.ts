import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../lib/errors.ts';
import { canonicalJson, sha256, sha256File } from '../lib/io/hash.ts';
import {
  buildStatement,
  ledgerSha256Through,
  serializeStatement,
  verifyAttestation,
  type AttestationVerification,
  type Statement,
  type StatementInput,
  type VerifyAttestationOptions,
} from '../lib/privacy/attestation.ts';
import { readLedger, spendBudget, type LedgerEntry, type PrivacyBudget } from '../lib/privacy/ledger.ts';
import { composeRdp, mechanismRdp, rdpToEpsilon, type MechanismSpec } from '../lib/privacy/rdp.ts';
import {
  DEMO_PRIVATE_KEY_FILE,
  DEMO_PUBLIC_KEY_FILE,
  loadSigningKey,
  signDetached,
  verifyDetached,
  type SigningKey,
} from '../lib/privacy/signing.ts';

/**
 * Reference ε values: dp-accounting 0.6.0 (PyPI `dp-accounting`), RdpAccountant() with its default
 * orders, get_epsilon_and_optimal_order(1e-6), composing GaussianDpEvent(z) for a Gaussian release
 * and SelfComposedDpEvent(LaplaceDpEvent(1 / epsilon0), compositions) for a Laplace one
 * (dp-accounting's Laplace noise_multiplier is b/Δ = 1/ε0).
 */
const REFERENCE = {
  /** GaussianDpEvent(1.0) + SelfComposedDpEvent(LaplaceDpEvent(10.0), 2): ε = 5.276174899056106 (order 5.9). */
  firstRun: 5.276174899056106,
  /** GaussianDpEvent(2.0): ε = 2.4191024886939205 (order 10.6). */
  secondRun: 2.4191024886939205,
  /** Both releases composed: ε = 5.977203394391778 (order 5.4). */
  total: 5.977203394391778,
};

const RECORDS = 1000;
const DELTA = 1 / RECORDS ** 2;
const BUDGET: PrivacyBudget = { version: 1, epsilon: 20 };
const FIRST_MECHANISMS: MechanismSpec[] = [
  { field: 'latency_ms', mechanism: 'gaussian', noise_multiplier: 1 },
  { field: 'tokens', mechanism: 'laplace', epsilon0: 0.1, compositions: 2 },
];
const SECOND_MECHANISMS: MechanismSpec[] = [{ field: 'latency_ms', mechanism: 'gaussian', noise_multiplier: 2 }];
const SYNTHETIC = ['{"id":"s1","latency_ms":412,"prompt":"[regenerated]"}', '{"id":"s2","latency_ms":97,"prompt":"[regenerated]"}', ''].join('\n');
const TIMESTAMP = '2026-01-15T09:30:00Z';

/** Relative closeness for values computed by another implementation (dp-accounting's numpy arithmetic). */
const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * expected);

async function generateArmoredKey(passphrase?: string): Promise<string> {
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: 'evalset test signer', email: 'test@evalset.invalid' }],
    passphrase,
    format: 'armored',
  });
  return privateKey;
}

interface Fixture {
  dir: string;
  key: SigningKey;
  ledgerPath: string;
  ledger: LedgerEntry[];
  input: StatementInput;
  statement: Statement;
  configSha256: string;
}

/** A release folder holding data.jsonl, statement.json and statement.asc, and a ledger with two releases; the second is attested. */
async function makeFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'evalset-attest-'));
  const keyFile = join(dir, 'signer.asc');
  writeFileSync(keyFile, await generateArmoredKey());
  const key = await loadSigningKey({ keyFile, demoDir: join(dir, 'keys'), env: {} });

  const ledgerPath = join(dir, 'privacy', 'ledger.jsonl');
  const source = sha256('the private source records');
  const releases = [
    { run_id: 'run-1', config: 'config of the first release', mechanisms: FIRST_MECHANISMS },
    { run_id: 'run-2', config: 'config of the second release', mechanisms: SECOND_MECHANISMS },
  ];
  for (const [i, release] of releases.entries()) {
    const rdp = composeRdp(release.mechanisms.map((spec) => mechanismRdp(spec)));
    await spendBudget({
      ledgerPath,
      budget: BUDGET,
      now: new Date(Date.UTC(2026, 0, 15, 9, i)),
      entry: {
        run_id: release.run_id,
        dataset: 'support-tickets',
        config_sha256: sha256(release.config),
        source_sha256: source,
        records: RECORDS,
        delta: DELTA,
        mechanisms: release.mechanisms,
        rdp,
        epsilon_run: rdpToEpsilon(rdp, DELTA).epsilon,
      },
    });
  }
  const ledger = readLedger(ledgerPath);
  const entry = ledger[1];
  // The digest of the ledger file's own bytes through the second line, not recomputed from the entries.
  const ledgerText = readFileSync(ledgerPath, 'utf8');
  const throughSecondLine = ledgerText.split('\n').slice(0, 2).join('\n') + '\n';

  writeFileSync(join(dir, 'data.jsonl'), SYNTHETIC);
  const input: StatementInput = {
    subjects: [{ name: 'data.jsonl', sha256: sha256File(join(dir, 'data.jsonl')) }],
    dataset: 'support-tickets',
    privacy: {
      epsilon: rdpToEpsilon(entry.rdp, entry.delta).epsilon,
      delta: entry.delta,
      mechanisms: entry.mechanisms,
      epsilon_run: entry.epsilon_run,
      cumulative: { epsilon_total: entry.epsilon_total, runs: 2, ledger_sha256_through_entry: sha256(throughSecondLine) },
    },
    fields: {
      id: { sensitivity: 'public', strategy: 'pass-through' },
      latency_ms: { sensitivity: 'internal', strategy: 'noise' },
      prompt: { sensitivity: 'confidential', strategy: 'regenerate' },
    },
    backend: { name: 'evalset-text', version: '1' },
    source_sha256: source,
    config_sha256: entry.config_sha256,
    timestamp: TIMESTAMP,
    demo_signed: key.demo,
  };
  const statement = buildStatement(input);
  const bytes = serializeStatement(statement);
  writeFileSync(join(dir, 'statement.json'), bytes);
  writeFileSync(join(dir, 'statement.asc'), await signDetached(Buffer.from(bytes), key.privateKey));
  return { dir, key, ledgerPath, ledger, input, statement, configSha256: entry.config_sha256 };
}

/** A copy of the fixture's folder to tamper with. */
function copyOf(fixture: Fixture): string {
  const dir = mkdtempSync(join(tmpdir(), 'evalset-attest-tampered-'));
  cpSync(fixture.dir, dir, { recursive: true });
  return dir;
}

function optionsFor(fixture: Fixture, dir = fixture.dir, overrides: Partial<VerifyAttestationOptions> = {}): VerifyAttestationOptions {
  return {
    statementPath: join(dir, 'statement.json'),
    signaturePath: join(dir, 'statement.asc'),
    publicKeyArmored: fixture.key.publicKeyArmored,
    files: { 'data.jsonl': join(dir, 'data.jsonl') },
    ledger: fixture.ledger,
    budget: BUDGET,
    configSha256: fixture.configSha256,
    ...overrides,
  };
}

/** The names of the checks that failed. */
const failed = (result: AttestationVerification) => result.checks.filter((c) => !c.ok).map((c) => c.check);
const reasonOf = (result: AttestationVerification, check: string) => result.checks.find((c) => c.check === check)?.reason ?? '';

let fixture: Fixture;
beforeAll(async () => {
  fixture = await makeFixture();
});

describe('the statement', () => {
  it('is an in-toto Statement v1 whose ε values are those dp-accounting gives', () => {
    const { statement, ledger } = fixture;
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe('https://evalset.dev/attestations/synthetic-data/v1');
    expect(statement.subject).toEqual([{ name: 'data.jsonl', digest: { sha256: sha256(SYNTHETIC) } }]);
    expect(statement.predicate.synthetic_sha256).toBe(sha256(SYNTHETIC));
    expect(statement.predicate.privacy.rdp_orders).toBe('dp-accounting default');
    expect(statement.predicate.demo_signed).toBe(false);
    close(ledger[0].epsilon_run, REFERENCE.firstRun);
    close(statement.predicate.privacy.epsilon, REFERENCE.secondRun);
    close(statement.predicate.privacy.epsilon_run, REFERENCE.secondRun);
    close(statement.predicate.privacy.cumulative.epsilon_total, REFERENCE.total);
  });

  it('is canonical JSON and a line break, the same bytes for the same inputs', () => {
    const bytes = readFileSync(join(fixture.dir, 'statement.json'), 'utf8');
    expect(bytes).toBe(canonicalJson(JSON.parse(bytes)) + '\n');
    expect(serializeStatement(buildStatement(structuredClone(fixture.input)))).toBe(bytes);
  });

  it('hashes the ledger through an entry as the file holds it', () => {
    const text = readFileSync(fixture.ledgerPath, 'utf8');
    expect(ledgerSha256Through(fixture.ledger, 1)).toBe(sha256(text));
    expect(ledgerSha256Through(fixture.ledger, 0)).toBe(sha256(text.slice(0, text.indexOf('\n') + 1)));
  });

  it('refuses a subject path outside the release, a malformed digest and a timestamp without a zone', () => {
    const bad = { ...fixture.input, subjects: [{ name: '../data.jsonl', sha256: 'abc' }], timestamp: '2026-01-15 09:30' };
    expect(() => buildStatement(bad)).toThrow(InvalidInputError);
    try {
      buildStatement(bad);
    } catch (err) {
      expect((err as InvalidInputError).issues.map((i) => i.field)).toEqual(['subject.0.name', 'subject.0.digest.sha256', 'predicate.timestamp']);
    }
  });
});

describe('verifyAttestation', () => {
  it('passes a signed statement, its data, the ledger and the budget', async () => {
    const result = await verifyAttestation(optionsFor(fixture));
    expect(failed(result)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.check)).toEqual(['statement', 'signature', 'subject', 'synthetic_sha256', 'config', 'ledger', 'epsilon']);
    expect(reasonOf(result, 'signature')).toContain(fixture.key.fingerprint);
  });

  it('gpg verifies the detached signature with the exported public key', () => {
    const gnupgHome = mkdtempSync(join(tmpdir(), 'evalset-gpg-'));
    chmodSync(gnupgHome, 0o700);
    const env = { ...process.env, GNUPGHOME: gnupgHome };
    const publicKeyPath = join(gnupgHome, 'signer-public.asc');
    writeFileSync(publicKeyPath, fixture.key.publicKeyArmored);
    try {
      const imported = spawnSync('gpg', ['--batch', '--import', publicKeyPath], { env, encoding: 'utf8' });
      expect(imported.status, imported.stderr).toBe(0);
      const verified = spawnSync('gpg', ['--batch', '--verify', join(fixture.dir, 'statement.asc'), join(fixture.dir, 'statement.json')], {
        env,
        encoding: 'utf8',
      });
      expect(verified.status, verified.stderr).toBe(0);
      expect(verified.stderr).toContain('Good signature');
      expect(verified.stderr).toContain(fixture.key.fingerprint);

      // And gpg refuses the same signature over other bytes.
      const other = join(gnupgHome, 'other.json');
      writeFileSync(other, readFileSync(join(fixture.dir, 'statement.json'), 'utf8').replace('support-tickets', 'support-tickett'));
      expect(spawnSync('gpg', ['--batch', '--verify', join(fixture.dir, 'statement.asc'), other], { env, encoding: 'utf8' }).status).not.toBe(0);
    } finally {
      spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env });
    }
  });

  it('fails the subject check when one byte of the synthetic data changes', async () => {
    const dir = copyOf(fixture);
    const data = readFileSync(join(dir, 'data.jsonl'));
    data[10] ^= 0x01;
    writeFileSync(join(dir, 'data.jsonl'), data);
    const result = await verifyAttestation(optionsFor(fixture, dir));
    expect(result.ok).toBe(false);
    expect(failed(result)).toEqual(['subject']);
    expect(reasonOf(result, 'subject')).toMatch(/data\.jsonl: its SHA-256 is [0-9a-f]{64}, the statement records/);
  });

  it('fails both the signature and the ε check when the statement claims another ε', async () => {
    const dir = copyOf(fixture);
    const edited = structuredClone(fixture.statement);
    edited.predicate.privacy.epsilon = 1;
    writeFileSync(join(dir, 'statement.json'), serializeStatement(edited));
    const result = await verifyAttestation(optionsFor(fixture, dir));
    expect(failed(result)).toEqual(['signature', 'epsilon']);
    expect(reasonOf(result, 'signature')).toMatch(/not a valid signature/);
    expect(reasonOf(result, 'epsilon')).toMatch(/claims ε = 1, but the release's recorded RDP curve gives ε = 2\.4191/);
  });

  it('fails the signature check for a signature by another key', async () => {
    const dir = copyOf(fixture);
    const other = await openpgp.readPrivateKey({ armoredKey: await generateArmoredKey() });
    writeFileSync(join(dir, 'statement.asc'), await signDetached(readFileSync(join(dir, 'statement.json')), other));
    const result = await verifyAttestation(optionsFor(fixture, dir));
    expect(failed(result)).toEqual(['signature']);
    expect(reasonOf(result, 'signature')).toMatch(new RegExp(`not a valid signature.*${other.getKeyID().toHex()}`, 'i'));
  });

  it('fails the ledger check when a ledger line before the release is edited', async () => {
    const dir = copyOf(fixture);
    const ledgerPath = join(dir, 'privacy', 'ledger.jsonl');
    writeFileSync(ledgerPath, readFileSync(ledgerPath, 'utf8').replace('"run_id":"run-1"', '"run_id":"run-0"'));
    const result = await verifyAttestation(optionsFor(fixture, dir, { ledger: readLedger(ledgerPath) }));
    expect(failed(result)).toEqual(['ledger']);
    expect(reasonOf(result, 'ledger')).toMatch(
      /the ledger through line 2 hashes to [0-9a-f]{64}, the statement records [0-9a-f]{64} \(a line up to it was edited\)/,
    );
  });

  it('fails the ledger check when a recorded curve or ε no longer recomposes', async () => {
    const dir = copyOf(fixture);
    const ledgerPath = join(dir, 'privacy', 'ledger.jsonl');
    const lines = readFileSync(ledgerPath, 'utf8').split('\n');
    const first = JSON.parse(lines[0]) as LedgerEntry;
    lines[0] = canonicalJson({ ...first, rdp: first.rdp.map((r) => r / 2), epsilon_run: first.epsilon_run / 2 });
    writeFileSync(ledgerPath, lines.join('\n'));
    const result = await verifyAttestation(optionsFor(fixture, dir, { ledger: readLedger(ledgerPath) }));
    expect(failed(result)).toContain('ledger');
    const reason = reasonOf(result, 'ledger');
    expect(reason).toContain('ledger line 1 (run-1): its rdp curve is not the composition of its mechanisms');
    expect(reason).toMatch(/ledger line 1 \(run-1\): epsilon_total is [\d.]+, but the curves up to it compose to/);
  });

  it('fails the config check when the configuration changed since the release', async () => {
    const result = await verifyAttestation(optionsFor(fixture, fixture.dir, { configSha256: sha256('another configuration') }));
    expect(failed(result)).toEqual(['config']);
    expect(reasonOf(result, 'config')).toMatch(/it changed since the release/);
  });

  it('fails the ε check when the cumulative ε is over the budget', async () => {
    const result = await verifyAttestation(optionsFor(fixture, fixture.dir, { budget: { version: 1, epsilon: 5 } }));
    expect(failed(result)).toContain('epsilon');
    expect(reasonOf(result, 'epsilon')).toMatch(/the cumulative ε = 5\.9772\d* is over the budget of ε = 5/);
  });
});

describe('signing keys', () => {
  it('generates the demo key once and reuses it, with its public part beside it', async () => {
    const demoDir = join(mkdtempSync(join(tmpdir(), 'evalset-demo-key-')), 'keys');
    const first = await loadSigningKey({ demoDir, env: {} });
    const second = await loadSigningKey({ demoDir, env: {} });
    expect(first.demo).toBe(true);
    expect(second.demo).toBe(true);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(first.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(readFileSync(join(demoDir, DEMO_PUBLIC_KEY_FILE), 'utf8')).toBe(first.publicKeyArmored);
    expect(statSync(join(demoDir, DEMO_PRIVATE_KEY_FILE)).mode & 0o777).toBe(0o600);
    const userIds = (await openpgp.readKey({ armoredKey: first.publicKeyArmored })).getUserIDs();
    expect(userIds).toEqual(['evalset demo signing key <demo@evalset.invalid>']);
  });

  it('reads a protected key from the environment and unlocks it with the passphrase', async () => {
    const armored = await generateArmoredKey('correct horse');
    const demoDir = join(mkdtempSync(join(tmpdir(), 'evalset-env-key-')), 'keys');
    const key = await loadSigningKey({ demoDir, env: { EVALSET_SIGNING_KEY: armored, EVALSET_SIGNING_KEY_PASSPHRASE: 'correct horse' } });
    expect(key.demo).toBe(false);
    const bytes = Buffer.from('{"a":1}\n');
    expect(await verifyDetached(bytes, await signDetached(bytes, key.privateKey), key.publicKeyArmored)).toEqual({
      valid: true,
      fingerprint: key.fingerprint,
    });
    await expect(loadSigningKey({ demoDir, env: { EVALSET_SIGNING_KEY: armored } })).rejects.toThrow(/EVALSET_SIGNING_KEY_PASSPHRASE is not set/);
    await expect(loadSigningKey({ demoDir, env: { EVALSET_SIGNING_KEY: armored, EVALSET_SIGNING_KEY_PASSPHRASE: 'wrong' } })).rejects.toThrow(
      InvalidInputError,
    );
  });

  it('says why instead of throwing for an unreadable signature or key', async () => {
    const bytes = Buffer.from('x');
    const garbage = await verifyDetached(bytes, 'not a signature', fixture.key.publicKeyArmored);
    expect(garbage.valid).toBe(false);
    expect(garbage.reason).toMatch(/the signature cannot be read/);
    const noKey = await verifyDetached(bytes, await signDetached(bytes, fixture.key.privateKey), 'not a key');
    expect(noKey).toMatchObject({ valid: false, reason: expect.stringMatching(/the public key cannot be read/) });
  });
});
