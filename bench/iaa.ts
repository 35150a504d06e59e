/**
 * `npm run bench:iaa`: evalset's inter-annotator agreement (Krippendorff's alpha, its bootstrap
 * interval, the pairwise kappas) against the Python `krippendorff` package, on synthetic and real data.
 *
 *   npm run bench:iaa [-- --runs N] [--json] [--rte PATH]
 *
 * --runs N    repeat each timing N times and report the medians (default 3)
 * --json      print the result as JSON on stdout instead of a table
 * --rte PATH  the Snow et al. (2008) RTE annotations CSV (default ../shared/data/snow2008_rte_annotations.csv,
 *             relative to the project); when it is absent that part is skipped, and the output says why
 *
 * Synthetic: 10 annotators × 100,000 units (1,000,000 cells), 5 values (1–5), each cell missing with
 * probability 0.2; each unit has a true value that an annotator copies with probability 0.75, else
 * draws uniformly (seeded xoroshiro128+, lib/demo/rng.ts). The matrix is written once to a temporary
 * file of signed bytes (annotator-major, −1 = missing) that both sides read, so both compute on the
 * same labels. Per level of measurement (nominal, ordinal, interval, ratio):
 * - evalset, matrix path: ReliabilityData built from the in-memory matrix, then `krippendorffAlpha`;
 *   timed in process around both;
 * - evalset, records path: from the annotation records ({example_id, annotator_id, label}, one per
 *   labelled cell, built once per run and timed apart), `groupByExample` + `labelScale` +
 *   `reliabilityData` + `krippendorffAlpha`; timed in process around the four;
 * - peer: `bench/peer_krippendorff.py` in .bench-venv, one child process per run, timed inside
 *   Python around the `krippendorff.alpha` call alone (loading the file into a NaN matrix is reported
 *   apart), so the peer's process start and imports never count.
 *
 * Real data: nominal alpha on the Snow et al. RTE annotations both ways (evalset: `readAnnotationsCsv`,
 * then as above; peer: pandas `read_csv` + `pivot` + `krippendorff.alpha`), then evalset's
 * `bootstrapAlpha` (1,000 replicates) and the whole `analyzeAgreement` (alpha, interval, Cohen's kappa
 * per pair of annotators sharing items).
 *
 * Both sides are timed warm: evalset after an untimed pass of both paths on the first 1,000 units (V8
 * compiles the code), the peer after one call at the first level in its process, whose time (numpy's
 * one-off set-up and the allocator's first large blocks) is reported apart as its cold first call.
 *
 * The bench exits 1 when the two sides' alphas differ by more than 1e-9 anywhere. Progress goes to stderr.
 */
import { VENV_PYTHON, ensureBenchVenv } from './venv.ts';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { analyzeAgreement } from '../lib/annotation/analysis.ts';
import { groupByExample, type Annotation, type Label } from '../lib/annotation/annotations.ts';
import { bootstrapAlpha } from '../lib/annotation/bootstrapAlpha.ts';
import { readAnnotationsCsv } from '../lib/annotation/csv.ts';
import { krippendorffAlpha, type Level, type ReliabilityData } from '../lib/annotation/krippendorffAlpha.ts';
import { labelScale, reliabilityData } from '../lib/annotation/reliabilityData.ts';
import { Rng } from '../lib/demo/rng.ts';
import { median, spread } from './timing.ts';

const PROJECT = fileURLToPath(new URL('../', import.meta.url));
const BENCH = join(PROJECT, 'bench');
const PEER = join(BENCH, 'peer_krippendorff.py');

const ANNOTATORS = 10;
const UNITS = 100_000;
const VALUES = [1, 2, 3, 4, 5];
const MISSING = 0.2;
const COPY = 0.75;
const SEED = 20261127;
const LEVELS: readonly Level[] = ['nominal', 'ordinal', 'interval', 'ratio'];

const RTE_DEFAULT = join('..', 'shared', 'data', 'snow2008_rte_annotations.csv');
/** The RTE file's columns: item, worker, 0/1 label (Snow, O'Connor, Jurafsky & Ng 2008, as standardised by CrowdTruth). */
const RTE_COLUMNS = ['orig_id', '!amt_worker_ids', 'response'] as const;
const RTE_BOOTSTRAP = { samples: 1000, confidence: 0.95 };
const RTE_SEED = 1;
const MIN_PAIR_ITEMS = 20;

const TOLERANCE = 1e-9;
const GOAL_RATIO = 1.0;

// ---------------------------------------------------------------------------------------------
// Arguments

interface Options {
  runs: number;
  json: boolean;
  rte: string;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 3, json: false, rte: resolve(PROJECT, RTE_DEFAULT) };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const raw = () => (arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i]);
    if (arg === '--json') options.json = true;
    else if (arg === '--runs' || arg.startsWith('--runs=')) {
      const text = raw();
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--runs needs a positive integer, got "${text}"`);
      options.runs = n;
    } else if (arg === '--rte' || arg.startsWith('--rte=')) {
      const path = raw();
      if (!path) throw new Error('--rte needs a path');
      options.rte = resolve(path);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run bench:iaa -- [--runs N] [--json] [--rte PATH]\n');
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}" (try --help)`);
  }
  return options;
}

const progress = (message: string) => process.stderr.write(`[bench:iaa] ${message}\n`);

function versionOf(code: string): string {
  return spawnSync(VENV_PYTHON, ['-c', code], { encoding: 'utf8' }).stdout.trim();
}

/** Run the peer once; it prints one JSON line on stdout. */
function peer<T>(args: string[]): Promise<T> {
  return new Promise((resolvePeer, reject) => {
    const child = spawn(VENV_PYTHON, [PEER, ...args], { cwd: PROJECT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`peer_krippendorff.py ${args[0]} exited with ${code ?? signal}`));
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolvePeer(JSON.parse(line) as T);
      } catch {
        reject(new Error(`peer_krippendorff.py: no JSON report on stdout (got "${line.slice(0, 200)}")`));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Measuring

function time<T>(f: () => T): [T, number] {
  const start = performance.now();
  const value = f();
  return [value, (performance.now() - start) / 1000];
}

const differs = (a: number, b: number) => !(Math.abs(a - b) <= TOLERANCE);

// ---------------------------------------------------------------------------------------------
// Synthetic data

/**
 * The seeded matrix, annotator-major: cell (a, u) at a × UNITS + u holds the label 1–5, or −1 when
 * missing (probability MISSING). Unit u has a true value; each annotator present copies it with
 * probability COPY, else draws one of the five uniformly.
 */
function syntheticMatrix(): Int8Array {
  const rng = new Rng(SEED);
  const matrix = new Int8Array(ANNOTATORS * UNITS);
  const missingOutOf1000 = Math.round(MISSING * 1000);
  const copyOutOf1000 = Math.round(COPY * 1000);
  for (let u = 0; u < UNITS; u++) {
    const truth = VALUES[rng.int(0, VALUES.length - 1)];
    for (let a = 0; a < ANNOTATORS; a++) {
      let cell = -1;
      if (rng.int(0, 999) >= missingOutOf1000) cell = rng.int(0, 999) < copyOutOf1000 ? truth : VALUES[rng.int(0, VALUES.length - 1)];
      matrix[a * UNITS + u] = cell;
    }
  }
  return matrix;
}

/** ReliabilityData from an annotator-major matrix of `count` units: per unit, the value indexes of the labels present. */
function reliabilityDataFromMatrix(matrix: Int8Array, count = UNITS): ReliabilityData {
  // One buffer for every label, each unit a view on its stretch of it: one allocation, not one per unit.
  const all = new Int32Array(matrix.length);
  const units: Int32Array[] = new Array(count);
  let end = 0;
  for (let u = 0; u < count; u++) {
    const start = end;
    for (let a = 0; a < ANNOTATORS; a++) {
      const cell = matrix[a * count + u];
      if (cell >= 0) all[end++] = cell - 1; // value v is at index v − 1 of VALUES
    }
    units[u] = all.subarray(start, end);
  }
  return { values: VALUES, units };
}

const exampleId = (u: number) => `ex-${String(u + 1).padStart(6, '0')}`;
const annotatorId = (a: number) => `ann-${String(a + 1).padStart(2, '0')}`;

/** One annotation record per labelled cell of an annotator-major matrix of `count` units, annotator by annotator (as each annotator's file would list them). */
function annotationRecords(matrix: Int8Array, count = UNITS): Annotation[] {
  const ids = Array.from({ length: count }, (_, u) => exampleId(u));
  const records: Annotation[] = [];
  for (let a = 0; a < ANNOTATORS; a++) {
    const annotator = annotatorId(a);
    for (let u = 0; u < count; u++) {
      const cell = matrix[a * count + u];
      if (cell >= 0)
        records.push({ example_id: ids[u], annotator_id: annotator, label: cell, annotated_at: null, file: 'synthetic', line: records.length + 1 });
    }
  }
  return records;
}

/** The pipeline's path from annotation records to alpha. */
function alphaFromRecords(records: readonly Annotation[], level: Level) {
  const [units, group_s] = time(() => groupByExample(records));
  const [alpha, rest_s] = time(() => {
    const labels: Label[] = [];
    for (const unit of units.values()) for (const label of unit.labels.values()) labels.push(label);
    const scale = labelScale(labels, level);
    return krippendorffAlpha(reliabilityData([...units.values()], scale), level).alpha;
  });
  return { alpha, group_s, rest_s };
}

interface PeerMatrixReport {
  load_s: number;
  cold_first_call_s: number;
  labels: number;
  levels: Record<string, { alpha: number; seconds: number }>;
  versions: { krippendorff: string; numpy: string; pandas: string };
}

interface LevelResult {
  level: Level;
  alpha_evalset: number;
  alpha_evalset_records: number;
  alpha_peer: number;
  abs_diff: number;
  evalset_matrix: ReturnType<typeof spread> & { build_median_s: number };
  evalset_records: ReturnType<typeof spread> & { groupByExample_median_s: number };
  peer_alpha_call: ReturnType<typeof spread>;
  ratio_matrix: number;
  ratio_records: number;
}

async function synthetic(runs: number, dir: string) {
  progress(
    `synthetic: ${ANNOTATORS} annotators × ${UNITS.toLocaleString('en')} units, ${VALUES.length} values, ${MISSING * 100}% missing, seed ${SEED}`,
  );
  const matrix = syntheticMatrix();
  const path = join(dir, 'matrix.int8');
  writeFileSync(path, matrix);
  const labelled = matrix.reduce((n, cell) => n + (cell >= 0 ? 1 : 0), 0);
  progress(`  ${labelled.toLocaleString('en')} labels of ${matrix.length.toLocaleString('en')} cells, written to the shared matrix file`);

  // Untimed warm-up of both paths on the first 1,000 units, so that the first timed run is not also V8's compile run.
  const head = new Int8Array(ANNOTATORS * 1000);
  for (let a = 0; a < ANNOTATORS; a++) head.set(matrix.subarray(a * UNITS, a * UNITS + 1000), a * 1000);
  for (const level of LEVELS) {
    krippendorffAlpha(reliabilityDataFromMatrix(head, 1000), level);
    alphaFromRecords(annotationRecords(head, 1000), level);
  }

  const matrixTimes = new Map<Level, number[]>(LEVELS.map((l) => [l, []]));
  const matrixBuildTimes = new Map<Level, number[]>(LEVELS.map((l) => [l, []]));
  const recordTimes = new Map<Level, number[]>(LEVELS.map((l) => [l, []]));
  const groupTimes = new Map<Level, number[]>(LEVELS.map((l) => [l, []]));
  const peerTimes = new Map<Level, number[]>(LEVELS.map((l) => [l, []]));
  const buildTimes: number[] = [];
  const peerLoad: number[] = [];
  const peerCold: number[] = [];
  const alphas = new Map<Level, { matrix: number; records: number; peer: number }>();
  let peerReport: PeerMatrixReport | undefined;

  for (let i = 1; i <= runs; i++) {
    const tag = runs > 1 ? ` (run ${i}/${runs})` : '';
    progress(`  evalset, matrix path${tag}`);
    const fromMatrix = new Map<Level, number>();
    for (const level of LEVELS) {
      const [data, build] = time(() => reliabilityDataFromMatrix(matrix));
      const [alpha, seconds] = time(() => krippendorffAlpha(data, level).alpha);
      fromMatrix.set(level, alpha);
      matrixTimes.get(level)!.push(build + seconds);
      matrixBuildTimes.get(level)!.push(build);
    }
    progress(`  evalset, records path${tag}`);
    const [records, build] = time(() => annotationRecords(matrix));
    buildTimes.push(build);
    const fromRecords = new Map<Level, number>();
    for (const level of LEVELS) {
      const start = performance.now();
      const { alpha, group_s } = alphaFromRecords(records, level);
      recordTimes.get(level)!.push((performance.now() - start) / 1000);
      groupTimes.get(level)!.push(group_s);
      fromRecords.set(level, alpha);
    }
    progress(`  peer: krippendorff.alpha${tag}`);
    peerReport = await peer<PeerMatrixReport>(['matrix', path, String(ANNOTATORS), String(UNITS), LEVELS.join(',')]);
    if (peerReport.labels !== labelled) throw new Error(`the peer read ${peerReport.labels} labels from the matrix file, evalset ${labelled}`);
    peerLoad.push(peerReport.load_s);
    peerCold.push(peerReport.cold_first_call_s);
    for (const level of LEVELS) {
      peerTimes.get(level)!.push(peerReport.levels[level].seconds);
      alphas.set(level, { matrix: fromMatrix.get(level)!, records: fromRecords.get(level)!, peer: peerReport.levels[level].alpha });
    }
  }

  const levels: LevelResult[] = LEVELS.map((level) => {
    const a = alphas.get(level)!;
    const m = spread(matrixTimes.get(level)!);
    const r = spread(recordTimes.get(level)!);
    const p = spread(peerTimes.get(level)!);
    return {
      level,
      alpha_evalset: a.matrix,
      alpha_evalset_records: a.records,
      alpha_peer: a.peer,
      abs_diff: Math.max(Math.abs(a.matrix - a.peer), Math.abs(a.records - a.peer)),
      evalset_matrix: { ...m, build_median_s: Number(median(matrixBuildTimes.get(level)!).toFixed(4)) },
      evalset_records: { ...r, groupByExample_median_s: Number(median(groupTimes.get(level)!).toFixed(4)) },
      peer_alpha_call: p,
      ratio_matrix: Number((m.median_s / p.median_s).toFixed(2)),
      ratio_records: Number((r.median_s / p.median_s).toFixed(2)),
    };
  });
  const agree = LEVELS.every((level) => {
    const a = alphas.get(level)!;
    return !differs(a.matrix, a.peer) && !differs(a.records, a.peer);
  });
  return {
    annotators: ANNOTATORS,
    units: UNITS,
    cells: matrix.length,
    labels: labelled,
    values: VALUES,
    missing: MISSING,
    copy: COPY,
    seed: SEED,
    records_build: spread(buildTimes),
    peer_load: spread(peerLoad),
    peer_cold_first_call: { level: LEVELS[0], ...spread(peerCold) },
    levels,
    agree,
    versions: peerReport!.versions,
  };
}

// ---------------------------------------------------------------------------------------------
// Real data: Snow et al. (2008) RTE

interface PeerCsvReport {
  read_s: number;
  pivot_s: number;
  alpha_s: number;
  alpha: number;
  annotators: number;
  items: number;
  labels: number;
}

async function realData(runs: number, path: string) {
  if (!existsSync(path)) {
    const reason = `${path} does not exist (the shared data folder is absent)`;
    progress(`real data: skipped: ${reason}`);
    return { skipped: reason };
  }
  const file = 'snow2008_rte_annotations.csv';
  progress(`real data: ${file}`);
  const read: number[] = [];
  const alphaTimes: number[] = [];
  const bootTimes: number[] = [];
  const analysisTimes: number[] = [];
  const peerRead: number[] = [];
  const peerPivot: number[] = [];
  const peerAlpha: number[] = [];
  let summary:
    | {
        annotations: number;
        items: number;
        annotators: number;
        alpha_evalset: number;
        alpha_peer: number;
        analysis_alpha: number | null;
        ci: [number, number];
        bootstrap_kept: number;
        analysis_ci: [number, number] | null;
        pairs: number;
        pairs_min_items: number;
        pairs_with_kappa: number;
      }
    | undefined;
  for (let i = 1; i <= runs; i++) {
    const tag = runs > 1 ? ` (run ${i}/${runs})` : '';
    progress(`  evalset: read, alpha, bootstrapAlpha, analyzeAgreement${tag}`);
    const [annotations, readSeconds] = time(() => readAnnotationsCsv(path, file, [...RTE_COLUMNS]));
    read.push(readSeconds);
    const [{ units, data, alpha }, alphaSeconds] = time(() => {
      const units = groupByExample(annotations);
      const labels: Label[] = [];
      for (const unit of units.values()) for (const label of unit.labels.values()) labels.push(label);
      const data = reliabilityData([...units.values()], labelScale(labels, 'nominal'));
      return { units, data, alpha: krippendorffAlpha(data, 'nominal').alpha };
    });
    alphaTimes.push(alphaSeconds);
    const [boot, bootSeconds] = time(() => bootstrapAlpha(data, 'nominal', { ...RTE_BOOTSTRAP, seed: RTE_SEED }));
    bootTimes.push(bootSeconds);
    const [report, analysisSeconds] = time(() =>
      analyzeAgreement([...units.values()], { type: 'nominal', minPairItems: MIN_PAIR_ITEMS, bootstrap: RTE_BOOTSTRAP, seed: RTE_SEED }),
    );
    analysisTimes.push(analysisSeconds);
    progress(`  peer: read_csv + pivot + krippendorff.alpha${tag}`);
    const p = await peer<PeerCsvReport>(['csv', path, ...RTE_COLUMNS]);
    peerRead.push(p.read_s);
    peerPivot.push(p.pivot_s);
    peerAlpha.push(p.alpha_s);
    if (p.items !== units.size || p.labels !== data.units.reduce((n, u) => n + u.length, 0))
      throw new Error(`the peer sees ${p.items} items and ${p.labels} labels, evalset ${units.size} and ${annotations.length}`);
    summary = {
      annotations: annotations.length,
      items: units.size,
      annotators: report.annotators,
      alpha_evalset: alpha,
      alpha_peer: p.alpha,
      analysis_alpha: report.overall.alpha,
      ci: boot.ci,
      bootstrap_kept: boot.samples,
      analysis_ci: report.overall.ci,
      pairs: report.pairs.length,
      pairs_min_items: report.pairs.filter((pair) => pair.n >= MIN_PAIR_ITEMS).length,
      pairs_with_kappa: report.pairs.filter((pair) => pair.kappa !== null).length,
    };
  }
  const s = summary!;
  const agree = !differs(s.alpha_evalset, s.alpha_peer) && s.analysis_alpha !== null && !differs(s.analysis_alpha, s.alpha_peer);
  const evalsetTotal = read.map((r, i) => r + alphaTimes[i]);
  const peerTotal = peerRead.map((r, i) => r + peerPivot[i] + peerAlpha[i]);
  return {
    file,
    ...s,
    abs_diff: Math.abs(s.alpha_evalset - s.alpha_peer),
    agree,
    min_pair_items: MIN_PAIR_ITEMS,
    bootstrap: { ...RTE_BOOTSTRAP, seed: RTE_SEED },
    evalset: {
      read: spread(read),
      group_scale_alpha: spread(alphaTimes),
      read_to_alpha: spread(evalsetTotal),
      bootstrapAlpha: spread(bootTimes),
      analyzeAgreement: spread(analysisTimes),
    },
    peer: {
      read_csv: spread(peerRead),
      pivot: spread(peerPivot),
      alpha_call: spread(peerAlpha),
      pivot_alpha: spread(peerPivot.map((p, i) => p + peerAlpha[i])),
      read_to_alpha: spread(peerTotal),
    },
    // Annotations in memory to alpha: groupByExample + labelScale + reliabilityData + alpha against pivot + alpha.
    ratio_records_to_alpha: Number((median(alphaTimes) / median(peerPivot.map((p, i) => p + peerAlpha[i]))).toFixed(2)),
    ratio_read_to_alpha: Number((median(evalsetTotal) / median(peerTotal)).toFixed(2)),
  };
}

// ---------------------------------------------------------------------------------------------

const ms = (s: number) => (s * 1000).toFixed(1);
const alphaText = (x: number | null) => (x === null ? 'undefined' : x.toFixed(6));

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  ensureBenchVenv(progress, 'krippendorff, numpy, pandas');
  const dir = mkdtempSync(join(tmpdir(), 'evalset-bench-iaa-'));
  try {
    const syn = await synthetic(options.runs, dir);
    const real = await realData(options.runs, options.rte);
    const machine = {
      cores: spawnSync('nproc', { encoding: 'utf8' }).stdout.trim(),
      ram_gib: Number((totalmem() / 2 ** 30).toFixed(1)),
      node: process.version,
      python: versionOf('import platform; print(platform.python_version())'),
      ...syn.versions,
    };
    const ok = syn.agree && (!('agree' in real) || real.agree);
    const result = {
      runs: options.runs,
      machine,
      tolerance: TOLERANCE,
      goal_ratio_max: GOAL_RATIO,
      synthetic: { ...syn, versions: undefined },
      real,
      ok,
    };

    if (options.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    else {
      const lines = [
        `${options.runs === 1 ? '1 run' : `median of ${options.runs} runs`}; ${machine.cores} cores, node ${machine.node}, python ${machine.python} (krippendorff ${machine.krippendorff}, numpy ${machine.numpy}, pandas ${machine.pandas})`,
        '',
        `synthetic: ${syn.annotators} annotators × ${syn.units.toLocaleString('en')} units = ${syn.cells.toLocaleString('en')} cells, ${syn.labels.toLocaleString('en')} labels, seed ${syn.seed}`,
        `  building the ${syn.labels.toLocaleString('en')} annotation records: ${ms(syn.records_build.median_s)} ms; peer loading the matrix: ${ms(syn.peer_load.median_s)} ms; peer's cold first call (${syn.peer_cold_first_call.level}, untimed below): ${ms(syn.peer_cold_first_call.median_s)} ms`,
        '',
        `level       alpha evalset        alpha peer    |diff|   evalset matrix ms  evalset records ms (groupBy)  peer alpha() ms   ratio matrix  ratio records`,
        ...syn.levels.map(
          (l) =>
            `${l.level.padEnd(9)} ${l.alpha_evalset.toFixed(12).padStart(15)} ${l.alpha_peer.toFixed(12).padStart(17)} ${l.abs_diff.toExponential(1).padStart(9)} ${ms(l.evalset_matrix.median_s).padStart(19)} ${ms(l.evalset_records.median_s).padStart(19)} (${ms(l.evalset_records.groupByExample_median_s).padStart(6)}) ${ms(l.peer_alpha_call.median_s).padStart(16)} ${l.ratio_matrix.toFixed(2).padStart(14)} ${l.ratio_records.toFixed(2).padStart(14)}`,
        ),
        `  goal: evalset / peer ≤ ${GOAL_RATIO.toFixed(1)}; matrix path ${syn.levels.every((l) => l.ratio_matrix <= GOAL_RATIO) ? 'met' : 'NOT met'} at every level: ${syn.levels.map((l) => `${l.level} ${l.ratio_matrix <= GOAL_RATIO ? 'met' : 'not met'}`).join(', ')}`,
        '',
      ];
      if ('skipped' in real) lines.push(`real data: skipped: ${real.skipped}`);
      else {
        lines.push(
          `real data: ${real.file}: ${real.annotations.toLocaleString('en')} labels, ${real.items} items, ${real.annotators} annotators`,
          `  nominal alpha: evalset ${real.alpha_evalset.toFixed(12)}, peer ${real.alpha_peer.toFixed(12)}, |diff| ${real.abs_diff.toExponential(1)}`,
          `  evalset: readAnnotationsCsv ${ms(real.evalset.read.median_s)} ms + group/scale/alpha ${ms(real.evalset.group_scale_alpha.median_s)} ms; peer: read_csv ${ms(real.peer.read_csv.median_s)} ms + pivot ${ms(real.peer.pivot.median_s)} ms + alpha() ${ms(real.peer.alpha_call.median_s)} ms`,
          `  ratio evalset / peer: annotations to alpha (group/scale/alpha vs pivot + alpha()) ${real.ratio_records_to_alpha.toFixed(2)}, read to alpha ${real.ratio_read_to_alpha.toFixed(2)}`,
          `  bootstrapAlpha (${real.bootstrap.samples} replicates, seed ${real.bootstrap.seed}): ${ms(real.evalset.bootstrapAlpha.median_s)} ms, ${real.bootstrap.confidence * 100}% interval [${real.ci[0].toFixed(4)}, ${real.ci[1].toFixed(4)}]`,
          `  analyzeAgreement (alpha ${alphaText(real.analysis_alpha)}, interval + pairwise kappas): ${ms(real.evalset.analyzeAgreement.median_s)} ms; ${real.pairs} pairs share an item, ${real.pairs_min_items} share ≥ ${real.min_pair_items} (${real.pairs_with_kappa} with a defined kappa)`,
        );
      }
      lines.push('', ok ? `alphas agree within ${TOLERANCE}` : `ALPHAS DIFFER by more than ${TOLERANCE}`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    if (!ok) {
      progress(`the two sides' alphas differ by more than ${TOLERANCE}`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench:iaa] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
