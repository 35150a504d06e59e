import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoPrivateSource, DEMO_FIELDS_YAML } from '../lib/demo/privateSource.ts';
import { sha256File } from '../lib/io/hash.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { PrivacyBudgetExceededError, readLedger } from '../lib/privacy/ledger.ts';
import { PRIVACY_PATHS } from '../lib/privacy/project.ts';
import { releaseEpsilon } from '../lib/privacy/rdp.ts';
import { UtilityRejectedError } from '../lib/privacy/utility.ts';
import { runAttestation } from '../stages/attestation.ts';
import { runSynthesize } from '../stages/synthesize.ts';
import { runUtility } from '../stages/utility.ts';
import { evalset, projectRoot, workspace, writeFile } from './helpers.ts';
import { startNemoServer } from './support/nemoServer.ts';

/** A workspace with the project's params, budget and demo key, and the demo's private source. */
function privateWorkspace(budget = 'version: 1\nepsilon: 10\n'): string {
  const dir = workspace('evalset-privacy-');
  cpSync(join(projectRoot, 'privacy', 'demo-key'), join(dir, 'privacy', 'demo-key'), { recursive: true });
  writeFile(join(dir, PRIVACY_PATHS.budget), budget);
  const demo = demoPrivateSource();
  writeFile(join(dir, PRIVACY_PATHS.source), toJsonl(demo.records));
  writeFile(join(dir, PRIVACY_PATHS.fields), DEMO_FIELDS_YAML);
  return dir;
}
const outputsOf = (dir: string) =>
  Object.fromEntries(
    [...readdirSync(join(dir, PRIVACY_PATHS.dir)).filter((f) => f !== 'quality'), 'quality/utility.json'].map((f) => [
      f,
      sha256File(join(dir, PRIVACY_PATHS.dir, f)),
    ]),
  );
const verify = (dir: string) => evalset(['attest', 'verify', PRIVACY_PATHS.statement], { cwd: dir });

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('privacy-safe synthesis through its stages', () => {
  it('synthesises, validates and signs; `attest verify` checks the whole chain and catches a changed byte', async () => {
    const dir = privateWorkspace();
    const release = await runSynthesize(dir);
    expect(release).toMatchObject({ status: 'released', records: 400, reused: false, noise_seed: 'public (params.yaml)' });
    expect(release.warnings!.join('\n')).toMatch(/"internal_notes" is not annotated/);
    await runUtility(dir);
    await runAttestation(dir);
    const ok = verify(dir);
    expect(ok.stdout).toMatch(/verified/);
    expect(ok.status).toBe(0);

    const data = join(dir, PRIVACY_PATHS.data);
    const bytes = readFileSync(data);
    bytes[10] ^= 1;
    writeFileSync(data, bytes);
    const bad = verify(dir);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/FAIL subject: data\.jsonl/);
  });

  it('leaks no planted secret: no canary of a restricted or confidential field in any output', async () => {
    const dir = privateWorkspace();
    await runSynthesize(dir);
    await runUtility(dir);
    await runAttestation(dir);
    const files = [
      ...readdirSync(join(dir, PRIVACY_PATHS.dir))
        .filter((f) => f !== 'quality')
        .map((f) => join(PRIVACY_PATHS.dir, f)),
      PRIVACY_PATHS.utility,
      PRIVACY_PATHS.ledger,
      'reports/utility.json',
    ];
    const everything = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
    const { canaries } = demoPrivateSource();
    expect(canaries.length).toBeGreaterThan(100);
    expect(canaries.filter((c) => everything.includes(c))).toEqual([]);
  });

  it('charges a release once: a re-run writes the same bytes and spends nothing', async () => {
    const dir = privateWorkspace();
    await runSynthesize(dir);
    await runUtility(dir);
    await runAttestation(dir);
    const ledger = readFileSync(join(dir, PRIVACY_PATHS.ledger), 'utf8');
    const before = outputsOf(dir);
    const again = await runSynthesize(dir);
    await runUtility(dir);
    await runAttestation(dir);
    expect(again.reused).toBe(true);
    expect(readFileSync(join(dir, PRIVACY_PATHS.ledger), 'utf8')).toBe(ledger);
    expect(outputsOf(dir)).toEqual(before);
  });

  it('refuses a release over budget before synthesising or recording anything', async () => {
    const dir = privateWorkspace('version: 1\nepsilon: 2\n');
    await expect(runSynthesize(dir)).rejects.toBeInstanceOf(PrivacyBudgetExceededError);
    expect(existsSync(join(dir, PRIVACY_PATHS.data))).toBe(false);
    expect(readFileSync(join(dir, PRIVACY_PATHS.ledger), 'utf8')).toBe('');
    const r = evalset(['synthesize'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PrivacyBudgetExceededError: .*over the budget of ε = 2/);
  });

  it('rejects a synthetic set below the utility threshold, naming what degraded, and writes nothing', async () => {
    const dir = privateWorkspace();
    await runSynthesize(dir);
    writeFileSync(join(dir, 'params.yaml'), readFileSync(join(dir, 'params.yaml'), 'utf8').replace('min_spearman: 0.85', 'min_spearman: 0.999'));
    const err = await runUtility(dir).catch((e) => e);
    expect(err).toBeInstanceOf(UtilityRejectedError);
    expect(err.message).toMatch(
      /downstream: Spearman ρ between the scores of each real row and its synthetic row \(n = \d+\) is 0\.9\d+, below the minimum 0\.999/,
    );
    expect(err.hint).toMatch(/Raise ε/);
    expect(existsSync(join(dir, PRIVACY_PATHS.utility))).toBe(false);
  });

  it('names file, line and field of a numeric field without bounds (exit 2)', () => {
    const dir = privateWorkspace();
    writeFileSync(join(dir, PRIVACY_PATHS.fields), DEMO_FIELDS_YAML.replace('bounds: [18, 90], ', ''));
    const r = evalset(['synthesize'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/datasets\/private\/fields\.yaml:\d+: fields\.customer_age\.bounds: /);
  });

  it('prices a planned release before anything runs (dp-accounting: Gaussian σ = 1, δ = 1e-5 → ε = 4.728507067217623)', () => {
    const r = evalset(['privacy', 'cost', '--mechanism', 'gaussian', '--sigma', '1', '--delta', '1e-5', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Math.abs(out.epsilon - 4.728507067217623)).toBeLessThan(1e-9);
    expect(out.order).toBe(5.4);
  });

  it('regenerates text through NeMo Safe Synthesizer (its local stand-in), recording its (ε, δ) in the ledger', async () => {
    const server = await startNemoServer({ apiKey: 'test-key', pollsToComplete: 2 });
    try {
      const dir = privateWorkspace('version: 1\nepsilon: 12\ndelta: 1e-5\n');
      const params = readFileSync(join(dir, 'params.yaml'), 'utf8')
        .replace('backend: builtin', 'backend: nemo')
        .replace('base_url: "http://127.0.0.1:8787"', `base_url: "${server.url}"`);
      writeFileSync(join(dir, 'params.yaml'), params);
      process.env.NEMO_API_KEY = 'test-key';
      process.env.EVALSET_NEMO_POLL_MS = '0';
      const release = await runSynthesize(dir);
      expect(release.backend!.name).toBe('nemo-safe-synthesizer');
      const [entry] = readLedger(join(dir, PRIVACY_PATHS.ledger));
      const nemo = entry.mechanisms.find((m) => m.field === 'message')!;
      expect(nemo).toEqual({ field: 'message', mechanism: 'approximate-dp', epsilon: 4, delta: entry.delta / 2 });
      expect(entry.epsilon_run).toBeCloseTo(releaseEpsilon(entry.rdp, entry.mechanisms, entry.delta).epsilon, 12);
      const create = server.requests.find((r) => r.method === 'POST' && !r.path.includes('cancel'))!;
      expect(JSON.stringify(create.body)).toMatch(/"dp_enabled":true/);
      const rows = readFileSync(join(dir, PRIVACY_PATHS.data), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rows).toHaveLength(400);
      expect(rows.every((r) => typeof r.message === 'string' && r.message.length > 0)).toBe(true);
      await runUtility(dir);
      await runAttestation(dir);
      expect(verify(dir).status).toBe(0);
    } finally {
      await server.close();
    }
  });
});
