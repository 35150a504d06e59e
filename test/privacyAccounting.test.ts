import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../lib/errors.ts';
import { canonicalJson, sha256 } from '../lib/io/hash.ts';
import {
  PrivacyBudgetExceededError,
  budgetStatus,
  loadBudget,
  readLedger,
  spendBudget,
  type LedgerEntry,
  type PrivacyBudget,
} from '../lib/privacy/ledger.ts';
import { RDP_ORDERS, composeRdp, epsilonOf, gaussianRdp, laplaceRdp, mechanismRdp, rdpToEpsilon, type MechanismSpec } from '../lib/privacy/rdp.ts';
import { projectRoot, runAsync } from './helpers.ts';

// Reference values: dp-accounting 0.6.0 (numpy 2.4.6, scipy 1.17.1), `dp_accounting.rdp.RdpAccountant()` with
// its default orders, composing the events named beside each value, then `get_epsilon_and_optimal_order(delta)`;
// Laplace RDP values from `rdp_privacy_accountant._laplace_rdp(eps, order)`, the function the accountant
// uses for `LaplaceDpEvent(noise_multiplier = 1/eps)`.
const TOLERANCE = 1e-9;
const DELTA = 1e-5;

const gaussian = (noise_multiplier: number, compositions?: number): MechanismSpec => ({
  field: 'score',
  mechanism: 'gaussian',
  noise_multiplier,
  compositions,
});
const laplace = (epsilon0: number, compositions?: number): MechanismSpec => ({ field: 'count', mechanism: 'laplace', epsilon0, compositions });
const at = (curve: number[], order: number) => curve[RDP_ORDERS.indexOf(order)];

describe('RDP accountant', () => {
  it('uses dp-accounting’s default orders', () => {
    // DEFAULT_RDP_ORDERS = [1 + x/10 for x in 1..99] + [11..63] + [128, 256, 512, 1024]: 156 orders.
    expect(RDP_ORDERS).toHaveLength(156);
    expect(RDP_ORDERS.slice(0, 3)).toEqual([1.1, 1.2, 1.3]);
    expect(RDP_ORDERS.slice(97, 101)).toEqual([10.8, 10.9, 11, 12]);
    expect(RDP_ORDERS.slice(-5)).toEqual([63, 128, 256, 512, 1024]);
  });

  it('gives the Gaussian mechanism’s ε and optimal order as dp-accounting does', () => {
    // GaussianDpEvent(1.0), δ = 1e-5: (4.728507067217623, 5.4)
    const one = rdpToEpsilon(gaussianRdp(1), DELTA);
    expect(one.epsilon).toBeCloseTo(4.728507067217623, 9);
    expect(one.order).toBe(5.4);
    // SelfComposedDpEvent(GaussianDpEvent(1.0), 10), δ = 1e-5: (19.05359753163139, 2.5)
    const ten = rdpToEpsilon(mechanismRdp(gaussian(1, 10)), DELTA);
    expect(Math.abs(ten.epsilon - 19.05359753163139)).toBeLessThan(TOLERANCE);
    expect(ten.order).toBe(2.5);
    expect(Math.abs(rdpToEpsilon(composeRdp(Array.from({ length: 10 }, () => gaussianRdp(1))), DELTA).epsilon - 19.05359753163139)).toBeLessThan(
      TOLERANCE,
    );
    // GaussianDpEvent(2.0), δ = 1e-5: (2.165715659029443, 9.6)
    const two = rdpToEpsilon(gaussianRdp(2), DELTA);
    expect(Math.abs(two.epsilon - 2.165715659029443)).toBeLessThan(TOLERANCE);
    expect(two.order).toBe(9.6);
    // SelfComposedDpEvent(GaussianDpEvent(4.0), 3), δ = 1e-6: (2.068043523753668, 12)
    const four = rdpToEpsilon(mechanismRdp(gaussian(4, 3)), 1e-6);
    expect(Math.abs(four.epsilon - 2.068043523753668)).toBeLessThan(TOLERANCE);
    expect(four.order).toBe(12);
  });

  it('gives the Laplace mechanism’s RDP curve (Mironov 2017, Prop. 6) as dp-accounting does, without overflow at α = 1024', () => {
    const curve = laplaceRdp(1);
    // _laplace_rdp(1.0, order) at orders 2, 10, 1024 and 1.1
    expect(Math.abs(at(curve, 2) - 0.6191236299985929)).toBeLessThan(TOLERANCE);
    expect(Math.abs(at(curve, 10) - 0.9286829020966803)).toBeLessThan(TOLERANCE);
    expect(Math.abs(at(curve, 1024) - 0.999322914193488)).toBeLessThan(TOLERANCE);
    expect(Math.abs(at(curve, 1.1) - 0.40001752816402125)).toBeLessThan(TOLERANCE);
    // _laplace_rdp(50.0, 1024) and (50.0, 2): exp(1023 · 50) overflows, its logarithm does not.
    const large = laplaceRdp(50, [2, 1024]);
    expect(Math.abs(large[0] - 49.59453489189183)).toBeLessThan(TOLERANCE);
    expect(Math.abs(large[1] - 49.999322914193485)).toBeLessThan(TOLERANCE);
    // Below α = 1.1 (Taylor series) and at α = 1 (the KL limit): _laplace_rdp(1.0, 1.05), (1.0, 1.0), (0.5, 1.01)
    const nearOne = laplaceRdp(1, [1.05, 1]);
    expect(Math.abs(nearOne[0] - 0.3841334629368067)).toBeLessThan(TOLERANCE);
    expect(Math.abs(nearOne[1] - 0.36787944117144233)).toBeLessThan(TOLERANCE);
    expect(Math.abs(laplaceRdp(0.5, [1.01])[0] - 0.10755995924294964)).toBeLessThan(TOLERANCE);
    // LaplaceDpEvent(1.0), δ = 1e-5: (1.0028243238705594, 1024)
    const pure = rdpToEpsilon(curve, DELTA);
    expect(Math.abs(pure.epsilon - 1.0028243238705594)).toBeLessThan(TOLERANCE);
    expect(pure.order).toBe(1024);
  });

  it('composes Gaussian and Laplace releases as dp-accounting does', () => {
    // GaussianDpEvent(1.0) then LaplaceDpEvent(1.0), δ = 1e-5: (5.592354089284781, 5.3)
    const both = rdpToEpsilon(composeRdp([mechanismRdp(gaussian(1)), mechanismRdp(laplace(1))]), DELTA);
    expect(Math.abs(both.epsilon - 5.592354089284781)).toBeLessThan(TOLERANCE);
    expect(both.order).toBe(5.3);
    // GaussianDpEvent(1.0) then SelfComposedDpEvent(LaplaceDpEvent(2.0), 3), i.e. ε0 = 0.5 three times, δ = 1e-5: (5.816610172599196, 5.1)
    const specs = [gaussian(1), laplace(0.5, 3)];
    const three = rdpToEpsilon(composeRdp(specs.map((spec) => mechanismRdp(spec))), DELTA);
    expect(Math.abs(three.epsilon - 5.816610172599196)).toBeLessThan(TOLERANCE);
    expect(three.order).toBe(5.1);
    expect(epsilonOf(specs, DELTA)).toBe(three.epsilon);
  });

  it('handles compute_epsilon’s edge cases as dp-accounting does', () => {
    // compute_epsilon(DEFAULT_RDP_ORDERS, [0]*156, 1e-5) = (0, 1.1)
    expect(rdpToEpsilon(composeRdp([]), DELTA)).toEqual({ epsilon: 0, order: 1.1 });
    // δ = 0: compute_epsilon([1.5, 2], [0, 1], 0) = (inf, 0); all zeros gives (0, 0)
    expect(rdpToEpsilon([0, 1], 0, [1.5, 2])).toEqual({ epsilon: Infinity, order: 0 });
    expect(rdpToEpsilon([0, 0], 0, [1.5, 2])).toEqual({ epsilon: 0, order: 0 });
    // a negative divergence counts as ε = 0: compute_epsilon([1.5, 2, 3], [-1, 0.5, 1], 1e-5) = (0, 1.5)
    expect(rdpToEpsilon([-1, 0.5, 1], DELTA, [1.5, 2, 3])).toEqual({ epsilon: 0, order: 1.5 });
    // orders ≤ 1.01 are never used: compute_epsilon([1.0, 1.005], [0.5, 0.5], 1e-5) = (inf, 1.0)
    expect(rdpToEpsilon([0.5, 0.5], DELTA, [1, 1.005])).toEqual({ epsilon: Infinity, order: 1 });
    // the KL bound: compute_epsilon([2, 3], [1e-12, 1e-12], 0.5) = (0, 2)
    expect(rdpToEpsilon([1e-12, 1e-12], 0.5, [2, 3])).toEqual({ epsilon: 0, order: 2 });
    expect(() => rdpToEpsilon([1, 2], DELTA, [2])).toThrow(RangeError);
    expect(() => rdpToEpsilon([NaN], DELTA, [2])).toThrow(RangeError);
    expect(() => rdpToEpsilon([1], -1, [2])).toThrow(RangeError);
  });
});

// --- the ledger ------------------------------------------------------------------------------------

const freshDir = () => mkdtempSync(join(tmpdir(), 'evalset-privacy-'));

type NewEntry = Omit<LedgerEntry, 'epsilon_total' | 'recorded_at'>;

function release(name: string, mechanisms: MechanismSpec[], delta: number, source = 'the source records'): NewEntry {
  const rdp = composeRdp(mechanisms.map((spec) => mechanismRdp(spec)));
  return {
    run_id: name,
    dataset: 'demo',
    config_sha256: sha256(`config of ${name}`),
    source_sha256: sha256(source),
    records: 316,
    delta,
    mechanisms,
    rdp,
    epsilon_run: rdpToEpsilon(rdp, delta).epsilon,
  };
}

function ledgerLine(name: string, overrides: Record<string, unknown> = {}): string {
  const entry = { ...release(name, [gaussian(1)], DELTA), recorded_at: '2025-01-01T00:00:00.000Z', epsilon_total: 4.7, ...overrides };
  return canonicalJson(entry) + '\n';
}

describe('privacy budget file', () => {
  it('reads a valid budget', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'budget.yaml'), 'version: 1\nepsilon: 8\ndelta: 1.0e-5\n');
    expect(loadBudget(join(dir, 'budget.yaml'), 'privacy/budget.yaml')).toEqual({ version: 1, epsilon: 8, delta: 1e-5 });
    writeFileSync(join(dir, 'budget.yaml'), 'version: 1\nepsilon: 2.5\n');
    expect(loadBudget(join(dir, 'budget.yaml'))).toEqual({ version: 1, epsilon: 2.5 });
  });

  it('names the file, line and field of each problem', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'budget.yaml'), 'version: 2\nepsilon: -1\ndelta: 1.5\nbudget: 3\n');
    let error: unknown;
    try {
      loadBudget(join(dir, 'budget.yaml'), 'privacy/budget.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    const issues = (error as InvalidInputError).issues.map(({ file, line, field }) => ({ file, line, field }));
    expect(issues).toEqual(
      expect.arrayContaining([
        { file: 'privacy/budget.yaml', line: 1, field: 'version' },
        { file: 'privacy/budget.yaml', line: 2, field: 'epsilon' },
        { file: 'privacy/budget.yaml', line: 3, field: 'delta' },
        { file: 'privacy/budget.yaml', line: 4, field: 'budget' },
      ]),
    );
    expect(() => loadBudget(join(dir, 'missing.yaml'), 'privacy/budget.yaml')).toThrow(/privacy\/budget.yaml/);
  });
});

describe('privacy ledger', () => {
  it('reads a missing ledger as empty, and names the line of a malformed or inconsistent entry', () => {
    const dir = freshDir();
    const path = join(dir, 'ledger.jsonl');
    expect(readLedger(path)).toEqual([]);
    const good = ledgerLine('a');
    const shortRdp = ledgerLine('c', { rdp: [0.5, 1] });
    const negative = ledgerLine('d', { rdp: RDP_ORDERS.map((_, i) => (i === 5 ? -0.1 : 1)) });
    const missing = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(ledgerLine('e'))).filter(([key]) => key !== 'epsilon_run'))) + '\n';
    writeFileSync(path, good + '{"run_id": "b",\n' + shortRdp + negative + missing);
    let error: unknown;
    try {
      readLedger(path, 'privacy/ledger.jsonl');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    const issues = (error as InvalidInputError).issues;
    expect(issues.map(({ file, line, field }) => ({ file, line, field }))).toEqual([
      { file: 'privacy/ledger.jsonl', line: 2, field: undefined },
      { file: 'privacy/ledger.jsonl', line: 3, field: 'rdp' },
      { file: 'privacy/ledger.jsonl', line: 4, field: 'rdp.5' },
      { file: 'privacy/ledger.jsonl', line: 5, field: 'epsilon_run' },
    ]);
    expect(issues[0].message).toMatch(/malformed JSON/);
    expect(issues[1].message).toMatch(/156 values/);
    expect((error as Error).message).toContain('privacy/ledger.jsonl:2');
  });

  it('records a spend as one canonical, newline-terminated line and reports the status', async () => {
    const dir = freshDir();
    const ledgerPath = join(dir, 'privacy', 'ledger.jsonl');
    const budget: PrivacyBudget = { version: 1, epsilon: 10, delta: DELTA };
    const now = new Date('2025-06-01T12:00:00Z');
    const first = await spendBudget({ ledgerPath, budget, entry: release('gaussian', [gaussian(1)], 1e-5), now });
    // GaussianDpEvent(1.0), δ = 1e-5: 4.728507067217623 (dp-accounting 0.6.0)
    expect(first).toMatchObject({ recorded: true, reused: false });
    expect(Math.abs(first.epsilon_total - 4.728507067217623)).toBeLessThan(TOLERANCE);
    expect(first.remaining).toBeCloseTo(10 - first.epsilon_total, 12);
    const second = await spendBudget({ ledgerPath, budget, entry: release('laplace', [laplace(1)], 1e-5), now });
    // GaussianDpEvent(1.0) then LaplaceDpEvent(1.0), δ = 1e-5: 5.592354089284781 (dp-accounting 0.6.0)
    expect(Math.abs(second.epsilon_total - 5.592354089284781)).toBeLessThan(TOLERANCE);

    const text = readFileSync(ledgerPath, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toBe(canonicalJson(JSON.parse(line)));
    expect(JSON.parse(lines[0]).recorded_at).toBe('2025-06-01T12:00:00.000Z');

    const status = budgetStatus(budget, readLedger(ledgerPath));
    expect(status).toMatchObject({ epsilon_budget: 10, delta: DELTA });
    expect(status.spent).toBe(second.epsilon_total);
    expect(status.remaining).toBe(second.remaining);
    expect(status.runs.map((run) => [run.run_id, run.dataset, run.epsilon_total])).toEqual([
      ['gaussian', 'demo', first.epsilon_total],
      ['laplace', 'demo', second.epsilon_total],
    ]);
    expect(budgetStatus({ version: 1, epsilon: 1 }, [])).toEqual({ epsilon_budget: 1, delta: null, spent: 0, remaining: 1, runs: [] });
  });

  it('refuses a spend over the budget before appending anything', async () => {
    const dir = freshDir();
    const ledgerPath = join(dir, 'ledger.jsonl');
    const budget: PrivacyBudget = { version: 1, epsilon: 5, delta: DELTA };
    await spendBudget({ ledgerPath, budget, entry: release('first', [gaussian(1)], DELTA) });
    const before = readFileSync(ledgerPath);
    let error: unknown;
    try {
      await spendBudget({ ledgerPath, budget, entry: release('second', [laplace(1)], DELTA) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PrivacyBudgetExceededError);
    const exceeded = error as PrivacyBudgetExceededError;
    expect(exceeded.exitCode).toBe(1);
    // Gaussian σ = 1 then Laplace ε0 = 1 at δ = 1e-5: 5.592354089284781; σ = 1 alone: 4.728507067217623 (dp-accounting 0.6.0)
    expect(Math.abs(exceeded.projectedEpsilon - 5.592354089284781)).toBeLessThan(TOLERANCE);
    expect(exceeded.budgetEpsilon).toBe(5);
    expect(Math.abs(exceeded.remainingEpsilon - (5 - 4.728507067217623))).toBeLessThan(TOLERANCE);
    expect(exceeded.message).toContain('5.592');
    expect(exceeded.message).toContain('over the budget of ε = 5;');
    expect(exceeded.message).toContain('δ = 1e-5');
    expect(exceeded.message).toContain('0.2715');
    expect(readFileSync(ledgerPath).equals(before)).toBe(true);
  });

  it('does not spend again on a release of the same config and source', async () => {
    const dir = freshDir();
    const ledgerPath = join(dir, 'ledger.jsonl');
    const budget: PrivacyBudget = { version: 1, epsilon: 6 };
    const entry = release('once', [gaussian(1)], DELTA);
    const first = await spendBudget({ ledgerPath, budget, entry });
    const before = readFileSync(ledgerPath);
    const again = await spendBudget({ ledgerPath, budget, entry: { ...entry, run_id: 'once-again' } });
    expect(again).toEqual({ recorded: false, reused: true, epsilon_total: first.epsilon_total, remaining: first.remaining });
    expect(readFileSync(ledgerPath).equals(before)).toBe(true);
    // The same config on other source records is another release, and it spends (here: past the budget).
    await expect(spendBudget({ ledgerPath, budget, entry: release('once', [gaussian(1)], DELTA, 'other records') })).rejects.toBeInstanceOf(
      PrivacyBudgetExceededError,
    );
  });

  it('refuses a new entry that the ledger could not read back', async () => {
    const dir = freshDir();
    const ledgerPath = join(dir, 'ledger.jsonl');
    const entry = { ...release('bad', [gaussian(1)], DELTA), rdp: [1, 2, 3] };
    await expect(spendBudget({ ledgerPath, budget: { version: 1, epsilon: 100 }, entry })).rejects.toBeInstanceOf(InvalidInputError);
    expect(existsSync(ledgerPath)).toBe(false);
  });

  it('lets exactly as many of 20 concurrent runs spend as the budget holds', async () => {
    const dir = freshDir();
    const ledgerPath = join(dir, 'privacy', 'ledger.jsonl');
    // SelfComposedDpEvent(GaussianDpEvent(5.0), k), δ = 1e-4 (dp-accounting 0.6.0): k = 5 gives 1.6572399549900032 and
    // k = 6 gives 1.8370943611621708, so a budget of ε = 1.75 holds exactly 5 releases of σ = 5.
    const budget: PrivacyBudget = { version: 1, epsilon: 1.75, delta: 1e-4 };
    const fits = 5;
    const runs = Array.from({ length: 20 }, (_, i) => {
      const entry = release(`run-${i}`, [gaussian(5)], 1e-4);
      return runAsync(process.execPath, [
        '--import',
        'tsx',
        join(projectRoot, 'test', 'support', 'spendOnce.ts'),
        ledgerPath,
        JSON.stringify(budget),
        JSON.stringify(entry),
      ]).then(({ status, stdout, stderr }) => ({ code: status, out: stdout, err: stderr }));
    });
    const results = await Promise.all(runs);
    const recorded = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code !== 0);
    expect(recorded.map((r) => JSON.parse(r.out).recorded)).toEqual(Array(fits).fill(true));
    expect(refused).toHaveLength(20 - fits);
    for (const r of refused) {
      expect(r.code, r.err).toBe(1);
      expect(JSON.parse(r.out).error).toBe('PrivacyBudgetExceededError');
    }

    const ledger = readLedger(ledgerPath); // every line parses and validates
    expect(ledger).toHaveLength(fits);
    expect(new Set(ledger.map((e) => e.run_id)).size).toBe(fits);
    const totals = ledger.map((e) => e.epsilon_total);
    expect([...totals].sort((a, b) => a - b)).toEqual(totals);
    expect(totals[fits - 1]).toBeLessThanOrEqual(budget.epsilon);
    expect(Math.abs(totals[fits - 1] - 1.6572399549900032)).toBeLessThan(TOLERANCE);
    expect(budgetStatus(budget, ledger).spent).toBe(totals[fits - 1]);
  });
});
