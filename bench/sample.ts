/**
 * `npm run bench`: evalset's classify + sample against the same job done by pandas + pyarrow, on a
 * seeded pool of 1,000,000 candidates over the 15 strata of taxonomy/strata.json.
 *
 *   npm run bench [-- --runs N] [--json] [--pool N]
 *
 * --runs N   run each side N times and report the medians (default 1)
 * --json     print the result as JSON on stdout instead of a table
 * --pool N   candidates in the generated pool (default 1,000,000; smaller for a quick check)
 * --keep     keep the temporary folder (pool, params, outputs) and print its path, e.g. to profile
 *            `node --cpu-prof --import tsx bench/evalset-job.ts DIR` on it
 *
 * Each side is one child process, timed by wall clock around the spawn (process start and module
 * loading count); each reports its own peak RSS. The pool lives in a temporary folder that is
 * removed at the end. The pandas side runs in .bench-venv, created from bench/requirements.txt if
 * missing. Progress goes to stderr.
 */
import { VENV_PYTHON, ensureBenchVenv } from './venv.ts';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DEMO_ID_PREFIX, DEMO_POOL_COUNTS, SIGNAL_RANGES } from '../lib/demo/generate.ts';
import * as demoWords from '../lib/demo/prompts.ts';
import { Rng } from '../lib/demo/rng.ts';

const PROJECT = fileURLToPath(new URL('../', import.meta.url));
const BENCH = join(PROJECT, 'bench');

const DATASET = 'bench';
const SEED = 7;
const SIZE = 100_000;
const POOL_SEED = 20261126;
const GOAL_RATIO = 1.0;
const GOAL_RSS_BYTES = 1.5e9;

// ---------------------------------------------------------------------------------------------
// Arguments

interface Options {
  runs: number;
  json: boolean;
  pool: number;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 1, json: false, pool: 1_000_000, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (name: string): number => {
      const raw = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive integer, got "${raw}"`);
      return n;
    };
    if (arg === '--json') options.json = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--runs' || arg.startsWith('--runs=')) options.runs = value('--runs');
    else if (arg === '--pool' || arg.startsWith('--pool=')) options.pool = value('--pool');
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run bench -- [--runs N] [--json] [--pool N] [--keep]\n');
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}" (try --help)`);
  }
  return options;
}

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

// ---------------------------------------------------------------------------------------------
// The pool

interface Taxonomy {
  categories: { id: string }[];
  difficulty: { levels: { id: string }[] };
}

// The demo's vocabulary, widened a little so a million prompts repeat less.
const companies = [...demoWords.companies, 'Cobalt Freight', 'Ridgeway Bank'];
const people = [...demoWords.people, 'Ingrid Holm', 'Kwame Mensah'];
const cities = [...demoWords.cities, 'Montréal', 'Brisbane'];
const months = demoWords.months;
const documents = [
  'quarterly earnings call transcript',
  'city council meeting minutes',
  'software incident postmortem',
  'clinical trial press release',
  'customer support thread',
  'product launch memo',
  'board meeting summary',
];
const fields = [
  'invoice number',
  'due date',
  'total amount',
  'customer name',
  'shipping address',
  'order id',
  'contract start date',
  'policy number',
];
const languages = ['Python', 'TypeScript', 'Go', 'Rust', 'Java', 'SQL', 'Kotlin'];
const codeTasks = [
  'parses an ISO 8601 duration and returns the number of seconds',
  'merges overlapping intervals in a list of [start, end] pairs',
  'retries an HTTP request with exponential backoff and jitter',
  'computes a rolling median over a stream of integers',
  'validates a credit card number with the Luhn algorithm',
  'deduplicates records by email while keeping the newest one',
  'converts a nested dictionary into dotted-path keys',
  'implements an LRU cache with a fixed capacity',
];
const forms = ['sonnet', 'haiku sequence', 'short story', 'villanelle', 'diary entry', 'dialogue', 'fable', 'limerick'];
const themes = [
  'a lighthouse keeper who loses the light',
  'the last tram of the night',
  'a city where it never stops raining',
  'an apology written a decade too late',
  'two rivals sharing a lift',
  'a garden kept alive during a drought',
  'a robot learning to whistle',
];
const extras = [
  ' Keep the answer under 120 words.',
  ' Use plain language suitable for a general audience.',
  ' Do not invent facts that are not in the text.',
  ' Explain your reasoning briefly before the final answer.',
  ' Answer in English even if the source is in another language.',
  ' If information is missing, say so explicitly.',
  ' Format the result as a bulleted list.',
  ' Mention any assumption you had to make.',
];

type Writer = (r: Rng) => { prompt: string; reference: string | null; capabilities: string[] };

const WRITERS: Record<string, Writer> = {
  summarization: (r) => {
    const c = r.pick(companies);
    const doc = r.pick(documents);
    const growth = r.int(2, 19);
    return {
      prompt: `Summarize the following ${doc} from ${c} in ${r.int(2, 4)} sentences: "${c} reported growth of ${growth}% and flagged risks in ${r.pick(cities)} for ${r.pick(months)}."`,
      reference: `${c} grew ${growth}% and warned about ${r.pick(cities)}.`,
      capabilities: r.sample(['summarization', 'faithfulness', 'compression', 'long-context'], r.int(1, 3)),
    };
  },
  extraction: (r) => {
    const f = r.sample(fields, r.int(1, 3));
    const who = r.pick(people);
    return {
      prompt: `Extract the ${f.join(', ')} from this email by ${who} and return them as JSON: "Please settle invoice INV-${r.int(10000, 99999)} of ${r.int(100, 9999)}.${r.int(10, 99)} EUR by ${r.int(1, 28)} ${r.pick(months)}."`,
      reference: JSON.stringify(Object.fromEntries(f.map((k) => [k.replace(/ /g, '_'), `value-${r.int(1, 999)}`]))),
      capabilities: r.sample(['information-extraction', 'json-output', 'entity-recognition', 'instruction-following'], r.int(1, 3)),
    };
  },
  reasoning: (r) => {
    const a = r.int(3, 90);
    const b = r.int(2, 40);
    const speed = r.int(40, 120);
    return {
      prompt: `A train leaves ${r.pick(cities)} at ${r.int(5, 11)}:${String(r.int(0, 59)).padStart(2, '0')} travelling at ${speed} km/h; ${a} passengers board and ${b} leave at each of ${r.int(2, 6)} stops. How many passengers remain, and when does it arrive ${r.int(80, 600)} km later?`,
      reference: r.int(0, 4) === 0 ? null : `${a - b} passengers per stop net; arrival computed from ${speed} km/h.`,
      capabilities: r.sample(['arithmetic', 'multi-step-reasoning', 'unit-conversion', 'word-problems'], r.int(1, 3)),
    };
  },
  'code-generation': (r) => {
    const lang = r.pick(languages);
    return {
      prompt: `Write a ${lang} function that ${r.pick(codeTasks)}. Include type annotations and handle empty input without raising.`,
      reference: r.int(0, 2) === 0 ? null : `// reference solution in ${lang}, ${r.int(8, 60)} lines`,
      capabilities: r.sample(['code-generation', lang.toLowerCase(), 'edge-cases', 'testing', 'algorithms'], r.int(1, 3)),
    };
  },
  'creative-writing': (r) => ({
    prompt: `Write a ${r.pick(forms)} about ${r.pick(themes)}, set in ${r.pick(cities)} in ${r.pick(months)}, told from the point of view of ${r.pick(people)}.`,
    reference: null,
    capabilities: r.sample(['creative-writing', 'style-control', 'constraint-following', 'narrative'], r.int(1, 3)),
  }),
};

/** 100–250 characters: extra instructions appended until long enough, then cut at a word boundary. */
function shape(r: Rng, prompt: string): string {
  let text = prompt;
  const wanted = r.int(100, 250);
  while (text.length < wanted) text += r.pick(extras);
  if (text.length > 250) text = text.slice(0, text.lastIndexOf(' ', 250));
  return text;
}

/**
 * Signals that put an example at `level` under strata.json's thresholds: about 40% carry
 * failure_rate (a quarter of those also a weaker signal, which precedence must ignore), 30%
 * reasoning_steps only, 30% prompt_tokens only. Every record has one, so no tokenizer runs.
 * prompt_tokens counts the whole input (documents attached to the prompt included), so it can
 * exceed the length of the prompt text shown here.
 */
function signalsFor(r: Rng, level: number): Record<string, number> {
  const failure = SIGNAL_RANGES.failure_rate[level];
  const steps = SIGNAL_RANGES.reasoning_steps[level];
  const tokens = [
    [20, 249],
    [250, 799],
    [800, 4000],
  ][level];
  const mode = r.int(0, 9);
  if (mode <= 3) {
    const signals: Record<string, number> = { failure_rate: r.float(failure[0], failure[1]) };
    if (mode === 0) signals.reasoning_steps = r.int(1, 12);
    if (mode === 1) signals.prompt_tokens = r.int(20, 4000);
    return signals;
  }
  if (mode <= 6) return { reasoning_steps: r.int(steps[0], steps[1]) };
  return { prompt_tokens: r.int(tokens[0], tokens[1]) };
}

const sources = ['support-tickets-2026', 'red-team-sprint-3', 'partner-benchmarks', 'synthetic-templates-v2', 'user-feedback-q3'];
const START = Date.UTC(2026, 0, 5, 8, 0, 0);

/** Write a seeded pool of `count` candidates as JSONL; returns per-stratum counts. */
function generatePool(path: string, count: number, taxonomy: Taxonomy): Map<string, number> {
  const r = new Rng(POOL_SEED);
  const levels = taxonomy.difficulty.levels.map((l) => l.id);
  const cells: { category: string; level: number; stratum: string }[] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const { id: category } of taxonomy.categories) {
    levels.forEach((level, i) => {
      total += DEMO_POOL_COUNTS[category]?.[i] ?? 10; // the demo pool's uneven mix, so proportional allocation matters
      cells.push({ category, level: i, stratum: `${category}×${level}` });
      cumulative.push(total);
    });
  }
  const counts = new Map<string, number>();
  const fd = openSync(path, 'w');
  try {
    let buffer: string[] = [];
    for (let i = 1; i <= count; i++) {
      const u = r.int(0, total - 1);
      let k = 0;
      while (cumulative[k] <= u) k++;
      const cell = cells[k];
      counts.set(cell.stratum, (counts.get(cell.stratum) ?? 0) + 1);
      const text = WRITERS[cell.category](r);
      const created = new Date(START + r.int(0, 299) * 86_400_000 + r.int(0, 86_399) * 1000);
      const record = {
        id: `${DEMO_ID_PREFIX[cell.category] ?? cell.category}-${String(i).padStart(7, '0')}`,
        prompt: shape(r, text.prompt),
        reference: text.reference,
        task_category: cell.category,
        signals: signalsFor(r, cell.level),
        capabilities: text.capabilities,
        labels: { quality: r.pick(['gold', 'silver', 'bronze']), needs_review: r.int(0, 9) === 0, annotator: `a${r.int(1, 40)}` },
        source: r.pick(sources),
        created_at: created.toISOString().replace('.000Z', 'Z'),
      };
      buffer.push(JSON.stringify(record));
      if (buffer.length === 20_000 || i === count) {
        writeSync(fd, buffer.join('\n') + '\n');
        buffer = [];
      }
      if (i % 250_000 === 0) progress(`  ${i.toLocaleString('en')} / ${count.toLocaleString('en')} candidates`);
    }
  } finally {
    closeSync(fd);
  }
  return counts;
}

function paramsYaml(): string {
  return [
    'datasets:',
    `  ${DATASET}:`,
    '    version: 0.1.0',
    `    seed: ${SEED}`,
    `    size: ${SIZE}`,
    '    allocation:',
    '      mode: proportional',
    '    floor: 30',
    '    floors: {}',
    '    allow_pool_limited: true',
    '',
  ].join('\n');
}

function versionOf(python: string, code: string): string {
  return spawnSync(python, ['-c', code], { encoding: 'utf8' }).stdout.trim();
}

// ---------------------------------------------------------------------------------------------
// Running the two sides

interface Measurement {
  wall_s: number;
  maxrss_kib: number;
  rows: number;
  steps: Record<string, number>;
}

function timed(command: string, args: string[]): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: PROJECT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const wall = (performance.now() - start) / 1000;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited with ${code ?? signal}`));
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const report = JSON.parse(line) as { maxrss_kib: number; rows: number; steps: Record<string, number> };
        resolve({ wall_s: wall, maxrss_kib: report.maxrss_kib, rows: report.rows, steps: report.steps });
      } catch {
        reject(new Error(`${command}: no JSON report on stdout (got "${line.slice(0, 200)}")`));
      }
    });
  });
}

/** A fresh output state, so every run of classify does the same work (no previous table to compare with). */
function resetOutputs(root: string): void {
  for (const p of ['interim', 'evalsets', 'reports', 'peer', join('taxonomy', 'registry.jsonl')])
    rmSync(join(root, p), { recursive: true, force: true });
}

/** Both sides must have put every candidate in the stratum it was generated for: else the comparison is void. */
function checkAgreement(root: string, generated: ReadonlyMap<string, number>): void {
  const meta = JSON.parse(readFileSync(join(root, 'evalsets', DATASET, 'meta.json'), 'utf8')) as { strata: { stratum: string; pool: number }[] };
  const peer = JSON.parse(readFileSync(join(root, 'peer', 'meta.json'), 'utf8')) as { pool_strata: Record<string, number> };
  const evalsetPool = new Map(meta.strata.map((s) => [s.stratum, s.pool]));
  const wrong = [...generated].filter(([s, n]) => evalsetPool.get(s) !== n || peer.pool_strata[s] !== n);
  if (wrong.length) {
    const detail = wrong.map(([s, n]) => `${s}: generated ${n}, evalset ${evalsetPool.get(s)}, pandas ${peer.pool_strata[s]}`).join('; ');
    throw new Error(`the two sides classify the pool differently: ${detail}`);
  }
  progress('  both sides classified every candidate into its generated stratum');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function summarise(runs: Measurement[]) {
  return {
    wall_s: Number(median(runs.map((m) => m.wall_s)).toFixed(3)),
    peak_rss_mb: Number(((median(runs.map((m) => m.maxrss_kib)) * 1024) / 1e6).toFixed(1)),
    rows: runs[0].rows,
    steps_s: Object.fromEntries(Object.keys(runs[0].steps).map((k) => [k, Number(median(runs.map((m) => m.steps[k] ?? 0)).toFixed(3))])),
    runs: runs.map((m) => ({ wall_s: Number(m.wall_s.toFixed(3)), peak_rss_mb: Number(((m.maxrss_kib * 1024) / 1e6).toFixed(1)) })),
  };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  ensureBenchVenv(progress);

  const root = mkdtempSync(join(tmpdir(), 'evalset-bench-'));
  try {
    mkdirSync(join(root, 'datasets', 'pool'), { recursive: true });
    mkdirSync(join(root, 'taxonomy'), { recursive: true });
    copyFileSync(join(PROJECT, 'taxonomy', 'strata.json'), join(root, 'taxonomy', 'strata.json'));
    writeFileSync(join(root, 'params.yaml'), paramsYaml());
    const taxonomy = JSON.parse(readFileSync(join(root, 'taxonomy', 'strata.json'), 'utf8')) as Taxonomy;

    progress(`generating pool: ${options.pool.toLocaleString('en')} candidates in ${root}`);
    const poolPath = join(root, 'datasets', 'pool', 'pool.jsonl');
    let t = performance.now();
    const strata = generatePool(poolPath, options.pool, taxonomy);
    progress(`  done in ${((performance.now() - t) / 1000).toFixed(1)} s, ${(statSync(poolPath).size / 1e6).toFixed(0)} MB, ${strata.size} strata`);

    const evalset: Measurement[] = [];
    const pandas: Measurement[] = [];
    for (let i = 1; i <= options.runs; i++) {
      const tag = options.runs > 1 ? ` (run ${i}/${options.runs})` : '';
      resetOutputs(root);
      progress(`running evalset: classify + sample@${DATASET}${tag}`);
      // The same V8 flag as the DVC stages (dvc.yaml) run with.
      evalset.push(await timed(process.execPath, ['--max-semi-space-size=64', '--import', 'tsx', join(BENCH, 'evalset-job.ts'), root, DATASET]));
      progress(`  ${evalset.at(-1)!.wall_s.toFixed(2)} s`);
      progress(`running pandas: read_json + groupby().sample + to_parquet${tag}`);
      pandas.push(await timed(VENV_PYTHON, [join(BENCH, 'peer_pandas.py'), root, join(root, 'peer'), String(SIZE), String(SEED)]));
      progress(`  ${pandas.at(-1)!.wall_s.toFixed(2)} s`);
      if (i === 1) checkAgreement(root, strata);
    }

    const e = summarise(evalset);
    const p = summarise(pandas);
    const ratio = Number((e.wall_s / p.wall_s).toFixed(3));
    const result = {
      pool: options.pool,
      size: SIZE,
      runs: options.runs,
      machine: {
        cores: spawnSync('nproc', { encoding: 'utf8' }).stdout.trim(),
        node: process.version,
        python: versionOf(VENV_PYTHON, 'import platform; print(platform.python_version())'),
        pandas: versionOf(VENV_PYTHON, 'import pandas; print(pandas.__version__)'),
        pyarrow: versionOf(VENV_PYTHON, 'import pyarrow; print(pyarrow.__version__)'),
      },
      evalset: e,
      pandas: p,
      ratio_wall: ratio,
      goals: {
        ratio_wall_max: GOAL_RATIO,
        ratio_met: ratio <= GOAL_RATIO,
        evalset_peak_rss_max_mb: GOAL_RSS_BYTES / 1e6,
        rss_met: e.peak_rss_mb * 1e6 <= GOAL_RSS_BYTES,
      },
    };

    if (options.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    } else {
      const row = (name: string, s: typeof e) =>
        `${name.padEnd(9)} ${s.wall_s.toFixed(2).padStart(8)} ${s.peak_rss_mb.toFixed(0).padStart(9)} ${String(s.rows).padStart(8)}   ${Object.entries(
          s.steps_s,
        )
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(', ')}`;
      const lines = [
        `pool ${options.pool.toLocaleString('en')} candidates, sample ${SIZE.toLocaleString('en')}, ${options.runs === 1 ? '1 run' : `median of ${options.runs} runs`}; ${result.machine.cores} cores, node ${result.machine.node}, python ${result.machine.python} (pandas ${result.machine.pandas}, pyarrow ${result.machine.pyarrow})`,
        '',
        `side       wall s  peak RSS MB    rows   in-process steps (s)`,
        row('evalset', e),
        row('pandas', p),
        '',
        `evalset / pandas wall: ${ratio.toFixed(2)}  (goal ≤ ${GOAL_RATIO.toFixed(1)}: ${result.goals.ratio_met ? 'met' : 'NOT met'})`,
        `evalset peak RSS: ${(e.peak_rss_mb / 1000).toFixed(2)} GB  (goal ≤ ${GOAL_RSS_BYTES / 1e9} GB: ${result.goals.rss_met ? 'met' : 'NOT met'})  [MB = 10^6 bytes]`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
  } finally {
    if (options.keep) progress(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[bench] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
