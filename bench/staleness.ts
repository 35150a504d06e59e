/**
 * `npm run bench:staleness`: the staleness check's statistics (lib/refresh/staleness.ts: each
 * dimension's Jensen–Shannon divergence and its bootstrap noise floor) against what a user would write
 * instead in Python, numpy + scipy (bench/peer_staleness.py), measured in the same run on the same
 * histograms.
 *
 *   npm run bench:staleness [-- --runs N] [--json]
 *
 * --runs N  repeat each timing N times and report the medians (default 5)
 * --json    print the result as JSON on stdout instead of a table
 *
 * Histograms (seeded xoroshiro128+, lib/demo/rng.ts), at the sizes the staleness stage sees with the
 * default params (window_days 7, trend_days 30, top_entities 20, noise_floor B = 1,000 at q = 0.95):
 * three dimensions, task_category (K = 6 bins), prompt_length (K = 6) and entities (K = 21: the top
 * 20 and "other"); a reference of n = 1,200 examples; current traffic drifting away from it, day d of
 * 30 a mixture (1 − t)·reference + t·target with t = 0.4·d/29. Two cases:
 * - window: one `staleness` call, the reference against n = 500 (a 7-day window, at the drift of the
 *   week's middle day);
 * - trend: 30 `staleness` calls, the reference against each day's n, drawn in 60–90 (about 75).
 * Every comparison of one dimension counts the same n observations on each side.
 *
 * evalset is timed in process around the `staleness` calls, after an untimed pass (V8 compiles the
 * code; that pass is reported as the cold first pass). The peer runs in one child process per bench:
 * timed inside Python around the computation alone, after its own cold pass (numpy's and scipy's lazy
 * set-up), so the interpreter's start, the imports and reading the histograms never count. The
 * end-to-end figure times a fresh process per side from spawn to exit (`node --import tsx` of this file
 * with --once, against `python peer_staleness.py --once`) that reads the histograms and runs both cases
 * once: start-up, imports (and tsx's transpiling) included.
 *
 * Agreement (the bench exits 1 without it):
 * - divergences: the same formula on the same counts, so |evalset − peer| ≤ 1e-12 nats everywhere;
 * - floors: the two sides draw different random numbers (MT19937 + conditional binomials against
 *   PCG64 + numpy's multinomial), so the floors differ by the bootstrap's own error and are compared
 *   with tolerances set by it. (1) Per floor: each side's floor lies between the other side's 91st and
 *   99th percentiles of its own B replicates. A floor estimates the null's 95th percentile, and B
 *   other replicates of the same null put it at their empirical CDF 0.95 ± √(2·0.95·0.05/B) = ± 0.0097
 *   (its error and theirs), so the band is about ± 4 SD and distribution-free; a side drawing from the
 *   wrong null is far outside it (e.g. drawing the current side at the reference's size moves the
 *   window floor by about 40%: the null JSD scales as 1/n_ref + 1/n_cur). (2) Systematic: the window's
 *   floors at 100 other seeds, independent draws on each side, so per dimension the difference of the
 *   two sides' means over the seeds, divided by its standard error from the seeds' own spread, is a z
 *   score: |z| ≤ 4 (a chance of about 6e-5 per dimension to exceed it when the two agree). The relative
 *   standard error of a 95th percentile of B = 1,000 is about 3.2% when 4n·JSD is near χ² with 5 degrees
 *   of freedom (K = 6; sqrt(q(1 − q)/B) / f(x_q) / x_q, Wilks 1938) and less with more bins, so the
 *   difference of two means over 100 seeds has SD ≈ 3.2%·√2/√100 ≈ 0.45% or less: a bias of 2% of the
 *   floor fails the check. The relative difference is printed beside z.
 *
 * Progress goes to stderr.
 */
import { VENV_PYTHON, ensureBenchVenv } from './venv.ts';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../lib/demo/rng.ts';
import type { HistogramPair } from '../lib/refresh/histogram.ts';
import { noiseFloor } from '../lib/refresh/noiseFloor.ts';
import { staleness, type StalenessDimension } from '../lib/refresh/staleness.ts';
import { spread } from './timing.ts';

const SELF = fileURLToPath(import.meta.url);
const PROJECT = fileURLToPath(new URL('../', import.meta.url));
const PEER = join(PROJECT, 'bench', 'peer_staleness.py');

/** Seed of the histograms. */
const DATA_SEED = 20261127;
/** Seed of the noise floors: params.yaml's staleness.seed. */
const SEED = 3301;
const REPLICATES = 1000;
const QUANTILE = 0.95;
const N_REFERENCE = 1200;
const N_WINDOW = 500;
const TREND_DAYS = 30;
const DAY_SIZES = [60, 90] as const;
const MAX_DRIFT = 0.4;

const JSD_TOLERANCE = 1e-12;
/** The quantiles of one side's own replicates between which the other side's floor must lie (the peer's BAND). */
const BAND = [0.91, 0.99] as const;
const AGREEMENT_SEEDS = Array.from({ length: 100 }, (_, i) => i + 1);
/** The largest |z| of the difference of the two sides' mean floors over AGREEMENT_SEEDS. */
const Z_LIMIT = 4;

/** Per dimension: the reference shares and the shares the traffic drifts towards. */
const DIMENSIONS: { name: string; reference: number[]; target: number[] }[] = [
  { name: 'task_category', reference: [0.3, 0.22, 0.18, 0.12, 0.1, 0.08], target: [0.15, 0.2, 0.15, 0.3, 0.1, 0.1] },
  { name: 'prompt_length', reference: [0.1, 0.25, 0.3, 0.2, 0.1, 0.05], target: [0.05, 0.15, 0.25, 0.25, 0.18, 0.12] },
  {
    name: 'entities',
    // 20 named entities with Zipf(1.1) shares of 60% of the mentions, "other" the remaining 40%; the
    // traffic's new topic lifts entities 15 and 18 to 10% each.
    reference: zipfWithOther(20, 1.1, 0.4),
    target: zipfWithOther(20, 1.1, 0.4).map((p, k) => (k === 14 || k === 17 ? p + 0.1 : p * 0.8)),
  },
];

function zipfWithOther(k: number, s: number, other: number): number[] {
  const weights = Array.from({ length: k }, (_, i) => 1 / (i + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  return [...weights.map((w) => ((1 - other) * w) / total), other];
}

// ---------------------------------------------------------------------------------------------
// Histograms

/** Counts per bin of n categorical draws from `shares` (which sum to 1, up to rounding). */
function draw(rng: Rng, shares: readonly number[], n: number): number[] {
  const total = shares.reduce((a, b) => a + b, 0);
  const counts = new Array<number>(shares.length).fill(0);
  for (let i = 0; i < n; i++) {
    let u = (rng.int(0, 999_999) / 1_000_000) * total;
    let k = 0;
    while (k < shares.length - 1 && u >= shares[k]) u -= shares[k++];
    counts[k]++;
  }
  return counts;
}

const mix = (a: readonly number[], b: readonly number[], t: number) => a.map((x, k) => (1 - t) * x + t * b[k]);

interface Cases {
  window: StalenessDimension[][];
  trend: StalenessDimension[][];
}

function histograms(): Cases {
  const rng = new Rng(DATA_SEED);
  const reference = DIMENSIONS.map((d) => draw(rng, d.reference, N_REFERENCE));
  const comparison = (n: number, t: number): StalenessDimension[] =>
    DIMENSIONS.map((d, i): StalenessDimension => {
      const histogram: HistogramPair = {
        bins: d.reference.map((_, k) => `${d.name}-${k}`),
        reference: reference[i],
        current: draw(rng, mix(d.reference, d.target, t), n),
      };
      return { name: d.name, histogram };
    });
  const drift = (day: number) => (MAX_DRIFT * day) / (TREND_DAYS - 1);
  const window = [comparison(N_WINDOW, drift(TREND_DAYS - 4))];
  const trend = Array.from({ length: TREND_DAYS }, (_, day) => comparison(rng.int(DAY_SIZES[0], DAY_SIZES[1]), drift(day)));
  return { window, trend };
}

/** The peer's input: the same counts, and what the agreement checks need. */
function peerSpec(cases: Cases) {
  const side = (comparisons: StalenessDimension[][]) =>
    comparisons.map((dims) => ({
      dimensions: dims.map(({ name, histogram }) => ({ name, reference: histogram.reference, current: histogram.current })),
    }));
  return {
    seed: SEED,
    replicates: REPLICATES,
    quantile: QUANTILE,
    agreement_seeds: AGREEMENT_SEEDS,
    cases: { window: side(cases.window), trend: side(cases.trend) },
  };
}

function casesFromSpec(spec: ReturnType<typeof peerSpec>): Cases {
  const side = (comparisons: ReturnType<typeof peerSpec>['cases']['window']) =>
    comparisons.map((c) =>
      c.dimensions.map(({ name, reference, current }) => ({ name, histogram: { bins: reference.map((_, k) => String(k)), reference, current } })),
    );
  return { window: side(spec.cases.window), trend: side(spec.cases.trend) };
}

// ---------------------------------------------------------------------------------------------
// Measuring

const progress = (message: string) => process.stderr.write(`[bench:staleness] ${message}\n`);

const options = (seed = SEED) => ({ seed, replicates: REPLICATES, quantile: QUANTILE });
const runCase = (comparisons: StalenessDimension[][], seed = SEED) => comparisons.map((dims) => staleness(dims, options(seed)));

function time<T>(f: () => T): [T, number] {
  const start = performance.now();
  const value = f();
  return [value, (performance.now() - start) / 1000];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
};

/** A child process's stdout, and its wall time from spawn to exit. */
function child(command: string, args: string[]): Promise<{ out: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const proc = spawn(command, args, { cwd: PROJECT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`));
      resolve({ out, seconds });
    });
  });
}

interface PeerFloor {
  jsd: number;
  floor: number;
  band: [number, number];
}

interface PeerReport {
  cold_s: Record<keyof Cases, number>;
  runs_s: Record<keyof Cases, number[]>;
  results: Record<keyof Cases, PeerFloor[][]>;
  seed_floors: number[][];
  versions: { numpy: string; scipy: string };
}

// ---------------------------------------------------------------------------------------------
// Agreement

function agreement(cases: Cases, peer: PeerReport) {
  let maxJsdDiff = 0;
  const outside: string[] = [];
  let floors = 0;
  for (const name of ['window', 'trend'] as const) {
    const ours = runCase(cases[name]);
    cases[name].forEach((dims, c) =>
      dims.forEach(({ name: dimension, histogram }, d) => {
        const mine = ours[c].dimensions[d];
        const theirs = peer.results[name][c][d];
        maxJsdDiff = Math.max(maxJsdDiff, Math.abs(mine.jsd - theirs.jsd));
        // Same seed, same replicates: these are the floor's own replicates at the band's quantiles.
        const [lo, hi] = BAND.map((q) => noiseFloor(histogram.reference, histogram.current, { ...options(), quantile: q }));
        const where = `${name} ${c + 1} ${dimension}`;
        if (!(theirs.floor >= lo && theirs.floor <= hi)) outside.push(`${where}: peer ${theirs.floor} outside evalset's [${lo}, ${hi}]`);
        if (!(mine.noise_floor >= theirs.band[0] && mine.noise_floor <= theirs.band[1]))
          outside.push(`${where}: evalset ${mine.noise_floor} outside the peer's [${theirs.band[0]}, ${theirs.band[1]}]`);
        floors++;
      }),
    );
  }
  const perSeed = AGREEMENT_SEEDS.map((seed) => staleness(cases.window[0], options(seed)).dimensions.map((d) => d.noise_floor));
  const means = cases.window[0].map(({ name }, d) => {
    const ours = perSeed.map((floorsAtSeed) => floorsAtSeed[d]);
    const theirs = peer.seed_floors.map((floorsAtSeed) => floorsAtSeed[d]);
    const relative = mean(ours) / mean(theirs) - 1;
    const z = (mean(ours) - mean(theirs)) / Math.sqrt(variance(ours) / ours.length + variance(theirs) / theirs.length);
    return { dimension: name, evalset: mean(ours), peer: mean(theirs), relative_diff: relative, z, ok: Math.abs(z) <= Z_LIMIT };
  });
  const ok = maxJsdDiff <= JSD_TOLERANCE && outside.length === 0 && means.every((m) => m.ok);
  return { max_jsd_diff: maxJsdDiff, floors_checked: floors, floors_outside_band: outside, seeds: AGREEMENT_SEEDS.length, means, ok };
}

// ---------------------------------------------------------------------------------------------

/** `--once PATH`: the end-to-end child, one pass of both cases from the histograms in PATH. */
function once(path: string): void {
  const cases = casesFromSpec(JSON.parse(readFileSync(path, 'utf8')) as ReturnType<typeof peerSpec>);
  const results = { window: runCase(cases.window), trend: runCase(cases.trend) };
  const floors = (r: typeof results.window) => r.reduce((n, c) => n + c.dimensions.length, 0);
  process.stdout.write(JSON.stringify({ window: floors(results.window), trend: floors(results.trend) }) + '\n');
}

const ms = (s: number) => (s * 1000).toFixed(1);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false }, once: { type: 'string' } },
  });
  if (values.once) return once(values.once);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs needs a positive integer, got "${values.runs}"`);
  ensureBenchVenv(progress, 'numpy, scipy');
  const load_before = loadavg()[0];

  const cases = histograms();
  const dir = mkdtempSync(join(tmpdir(), 'evalset-bench-staleness-'));
  try {
    const path = join(dir, 'histograms.json');
    writeFileSync(path, JSON.stringify(peerSpec(cases)));

    progress('evalset: cold pass, then timed runs');
    const cold = { window: time(() => runCase(cases.window))[1], trend: time(() => runCase(cases.trend))[1] };
    const ours = { window: [] as number[], trend: [] as number[] };
    for (let i = 0; i < runs; i++) {
      ours.window.push(time(() => runCase(cases.window))[1]);
      ours.trend.push(time(() => runCase(cases.trend))[1]);
    }

    progress('peer: cold pass, then timed runs (in one process)');
    const peer = JSON.parse((await child(VENV_PYTHON, [PEER, path, '--runs', String(runs)])).out.trim().split('\n').pop()!) as PeerReport;

    progress('end to end: a fresh process per side, alternating');
    const endToEnd = { evalset: [] as number[], peer: [] as number[] };
    for (let i = 0; i < runs; i++) {
      endToEnd.evalset.push((await child(process.execPath, ['--import', 'tsx', SELF, '--once', path])).seconds);
      endToEnd.peer.push((await child(VENV_PYTHON, [PEER, path, '--once'])).seconds);
    }

    progress('agreement (untimed)');
    const agree = agreement(cases, peer);

    const both = (w: number[], t: number[]) => w.map((x, i) => x + t[i]);
    const row = (evalset: number[], other: number[]) => {
      const e = spread(evalset);
      const p = spread(other);
      return { evalset: e, peer: p, ratio: Number((e.median_s / p.median_s).toFixed(2)) };
    };
    const timings = {
      window: row(ours.window, peer.runs_s.window),
      trend: row(ours.trend, peer.runs_s.trend),
      window_and_trend: row(both(ours.window, ours.trend), both(peer.runs_s.window, peer.runs_s.trend)),
      cold_first_pass: {
        evalset_s: Number((cold.window + cold.trend).toFixed(4)),
        peer_s: Number((peer.cold_s.window + peer.cold_s.trend).toFixed(4)),
      },
      end_to_end: row(endToEnd.evalset, endToEnd.peer),
    };
    const machine = {
      cores: spawnSync('nproc', { encoding: 'utf8' }).stdout.trim(),
      load_average: [Number(load_before.toFixed(2)), Number(loadavg()[0].toFixed(2))],
      node: process.version,
      python: spawnSync(VENV_PYTHON, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).stdout.trim(),
      ...peer.versions,
    };
    const sizes = {
      dimensions: cases.window[0].map(({ name, histogram }) => ({ name, bins: histogram.bins.length })),
      n_reference: N_REFERENCE,
      n_window: N_WINDOW,
      trend_days: TREND_DAYS,
      trend_n: [Math.min(...cases.trend.map((d) => sum(d[0].histogram.current))), Math.max(...cases.trend.map((d) => sum(d[0].histogram.current)))],
      trend_n_mean: mean(cases.trend.map((d) => sum(d[0].histogram.current))),
    };
    const result = { runs, machine, sizes, seed: SEED, replicates: REPLICATES, quantile: QUANTILE, timings, agreement: agree };

    if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      const t = timings;
      const cell = (s: ReturnType<typeof spread>) => `${ms(s.median_s)} (${ms(s.min_s)}–${ms(s.max_s)})`;
      const line = (label: string, r: ReturnType<typeof row>) =>
        `${label.padEnd(44)} ${cell(r.evalset).padStart(26)} ${cell(r.peer).padStart(26)} ${r.ratio.toFixed(2).padStart(13)}`;
      const lines = [
        `median of ${runs} runs; ${machine.cores} cores (load average ${machine.load_average.join(' → ')}), node ${machine.node}, python ${machine.python} (numpy ${machine.numpy}, scipy ${machine.scipy})`,
        `${sizes.dimensions.map((d) => `${d.name} K = ${d.bins}`).join(', ')}; reference n = ${N_REFERENCE.toLocaleString('en')}; noise floor B = ${REPLICATES.toLocaleString('en')}, q = ${QUANTILE}, seed ${SEED}`,
        '',
        `${'case'.padEnd(44)} ${'evalset ms'.padStart(26)} ${'peer ms'.padStart(26)} ${'evalset/peer'.padStart(13)}`,
        line(`window: 1 × (1,200 vs ${N_WINDOW})`, t.window),
        line(`trend: ${TREND_DAYS} × (1,200 vs ${sizes.trend_n[0]}–${sizes.trend_n[1]})`, t.trend),
        line('window + trend', t.window_and_trend),
        `${'cold first pass (untimed above)'.padEnd(44)} ${ms(t.cold_first_pass.evalset_s).padStart(26)} ${ms(t.cold_first_pass.peer_s).padStart(26)}`,
        line('end to end: fresh process, window + trend', t.end_to_end),
        '  (peer in process: timed inside Python around the computation, interpreter start and imports excluded;',
        '   end to end: spawn to exit of `node --import tsx bench/staleness.ts --once` vs `python bench/peer_staleness.py --once`)',
        '',
        `divergences: max |evalset − peer| ${agree.max_jsd_diff.toExponential(1)} nats over ${agree.floors_checked} dimensions (tolerance ${JSD_TOLERANCE})`,
        `noise floors: ${agree.floors_outside_band.length === 0 ? 'each' : 'NOT each'} side's floor within the other's [q${BAND[0]}, q${BAND[1]}] of its own replicates (${agree.floors_outside_band.length} misses)`,
        ...agree.floors_outside_band.map((m) => `  ${m}`),
        `noise floors, window, mean over ${agree.seeds} seeds (|z| ≤ ${Z_LIMIT}):`,
        ...agree.means.map(
          (m) =>
            `  ${m.dimension.padEnd(14)} evalset ${m.evalset.toExponential(4)}  peer ${m.peer.toExponential(4)}  ${(m.relative_diff * 100).toFixed(2).padStart(6)}%  z ${m.z.toFixed(2).padStart(5)}  ${m.ok ? 'ok' : 'DIFFER'}`,
        ),
        '',
        agree.ok ? 'the two sides agree' : 'THE TWO SIDES DISAGREE',
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    if (!agree.ok) {
      progress('the two sides disagree (see above)');
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:staleness] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
