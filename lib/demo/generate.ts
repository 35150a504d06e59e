import { join } from 'node:path';
import { writeAtomic } from '../io/atomic.ts';
import { toJsonl } from '../io/jsonl.ts';
import { poolFiles, type PoolExample } from '../sampling/pool.ts';
import { loadTokenCounter, type TokenCounter } from '../sampling/classify.ts';
import type { Taxonomy } from '../config/taxonomy.ts';
import { DEMO_WRITERS, cities, companies, people } from './prompts.ts';
import { normalizePrompt } from '../eligibility/duplicates.ts';
import { Rng } from './rng.ts';
import { demoAnnotations } from './annotations.ts';
import { demoPrivateSource } from './privateSource.ts';
import { demoTraffic, writeDemoTraffic } from './traffic.ts';
import { byId } from '../io/order.ts';
import { InputsNotPulledError, trackedInputs } from './trackedPool.ts';
import { demoContamination } from './contamination.ts';

/**
 * How many candidates the demo pool holds per category and difficulty (routine, moderate,
 * adversarial). creative-writing×adversarial is deliberately below the default floor of 30, so the
 * pool-limited path runs on every demo.
 */
export const DEMO_POOL_COUNTS: Record<string, [number, number, number]> = {
  summarization: [320, 260, 90],
  extraction: [340, 230, 70],
  reasoning: [250, 300, 160],
  'code-generation': [280, 270, 120],
  'creative-writing': [300, 150, 14],
};

/** Id prefixes per category. */
export const DEMO_ID_PREFIX: Record<string, string> = {
  summarization: 'sum',
  extraction: 'ext',
  reasoning: 'rsn',
  'code-generation': 'code',
  'creative-writing': 'cw',
};

export const DEMO_SEED = 20261126;
const START = Date.UTC(2026, 0, 5, 8, 0, 0);

/** Per level (routine, moderate, adversarial), the range of each signal that lands there under the demo taxonomy's thresholds. */
export const SIGNAL_RANGES = {
  failure_rate: [
    [0.0, 0.19],
    [0.2, 0.49],
    [0.5, 0.95],
  ],
  reasoning_steps: [
    [1, 2],
    [3, 5],
    [6, 12],
  ],
} as const;

/** Signals that put an example at the given level under the demo taxonomy's thresholds. */
function signalsFor(r: Rng, level: number): PoolExample['signals'] {
  const mode = r.int(0, 9);
  const failure = SIGNAL_RANGES.failure_rate[level];
  const steps = SIGNAL_RANGES.reasoning_steps[level];
  if (mode <= 4 || (mode >= 8 && level > 0)) return { failure_rate: r.float(failure[0], failure[1]) };
  if (mode <= 7) return { reasoning_steps: r.int(steps[0], steps[1]) };
  return {}; // routine and unannotated: the prompt's token count decides
}

/**
 * Who asked for an example: added to a generated prompt whose normalised text another example
 * already has, so that the templates' limited combinations do not turn into unplanned duplicates.
 */
function requester(r: Rng): string {
  return ` (Requested by ${r.pick(people)}, ${r.pick(companies)}, ${r.pick(cities)} office, ticket ${r.int(1000, 9999)}.)`;
}

/**
 * Planted duplicates, the duplicates screen's ground truth: this many examples get a twin whose prompt
 * differs only in letter case and whitespace. The twin takes the next id of its category, so the
 * original (the smaller id) is the one kept.
 */
export const DEMO_PLANTED_DUPLICATES = 12;

/** The demo pool: realistic prompts per category, deterministic bytes from one seed. */
export function demoPool(countTokens: TokenCounter, seed = DEMO_SEED): PoolExample[] {
  const r = new Rng(seed);
  const examples: PoolExample[] = [];
  const seen = new Set<string>();
  for (const [category, counts] of Object.entries(DEMO_POOL_COUNTS)) {
    const levels = counts.flatMap((n, level) => Array.from({ length: n }, () => level));
    // Interleave the levels so ids carry no hint of difficulty.
    const order = r.sample(levels, levels.length);
    order.forEach((level, i) => {
      const text = DEMO_WRITERS[category](r, level);
      while (seen.has(normalizePrompt(text.prompt))) text.prompt = text.prompt.replace(/( \(Requested by [^)]*\))?$/, requester(r));
      seen.add(normalizePrompt(text.prompt));
      const signals = signalsFor(r, level);
      if (r.int(0, 9) < 3) signals.prompt_tokens = countTokens(text.prompt);
      const created = new Date(START + r.int(0, 299) * 86_400_000 + r.int(0, 599) * 60_000);
      examples.push({
        id: `${DEMO_ID_PREFIX[category]}-${String(i + 1).padStart(4, '0')}`,
        prompt: text.prompt,
        reference: text.reference,
        task_category: category,
        signals,
        capabilities: text.capabilities,
        labels: { quality: r.pick(['gold', 'silver']), needs_review: r.int(0, 9) === 0 },
        source: r.pick(['support-tickets-2026', 'red-team-sprint-3', 'partner-benchmarks', 'synthetic-templates-v2']),
        created_at: created.toISOString().replace('.000Z', 'Z'),
      });
    });
  }
  const next = new Map(Object.entries(DEMO_POOL_COUNTS).map(([category, counts]) => [category, counts.reduce((a, b) => a + b, 0)]));
  for (const original of r.sample(examples, DEMO_PLANTED_DUPLICATES)) {
    const n = next.get(original.task_category)! + 1;
    next.set(original.task_category, n);
    examples.push({
      ...original,
      id: `${DEMO_ID_PREFIX[original.task_category]}-${String(n).padStart(4, '0')}`,
      prompt: `${original.prompt.charAt(0).toLowerCase()}${original.prompt.slice(1).replace(/ /, '  ')}\n`,
      source: 'copied-from-a-forum',
    });
  }
  return examples.sort(byId);
}

export interface DemoResult {
  written: string[];
  skipped: string[];
}

/**
 * Write the demo inputs under `datasets/` (the pool with planted contamination, its annotations, a
 * private source, six weeks of production traffic, a reference corpus and calibration sets) when the pool is empty. A pool that holds any `*.jsonl`
 * file is the user's data and is never touched, unless `force` says so. An empty pool is the demo's
 * to fill only when no datasets.dvc tracks the inputs, or the one there tracks the demo itself;
 * otherwise the inputs were not pulled yet, and writing the demo would replace them at the next
 * `dvc repro`: `InputsNotPulledError`, nothing written (again unless `force`).
 */
export async function writeDemo(datasetsDir: string, tokenizer: Taxonomy['tokenizer'], force = false): Promise<DemoResult> {
  const pool = join(datasetsDir, 'pool');
  const path = join(pool, 'demo.jsonl');
  if (!force && poolFiles(pool).length > 0) return { written: [], skipped: [path] };
  if (!force) {
    const tracked = trackedInputs(datasetsDir);
    if (tracked.kind === 'other') throw new InputsNotPulledError(tracked.md5);
  }
  const countTokens = await loadTokenCounter(tokenizer);
  const examples = demoPool(countTokens);
  const contamination = demoContamination(examples);
  const annotations = join(datasetsDir, 'annotations', 'demo.jsonl');
  writeAtomic(path, toJsonl([...examples, ...contamination.planted].sort(byId)));
  writeAtomic(annotations, toJsonl(demoAnnotations(examples, DEMO_SEED).annotations));
  const privateSource = demoPrivateSource();
  const source = join(datasetsDir, 'private', 'source.jsonl');
  const fields = join(datasetsDir, 'private', 'fields.yaml');
  writeAtomic(source, toJsonl(privateSource.records));
  writeAtomic(fields, privateSource.fieldsYaml);
  const traffic = join(datasetsDir, 'traffic');
  writeDemoTraffic(traffic, demoTraffic(countTokens));
  const corpus = join(datasetsDir, 'reference-corpus', 'demo-crawl.jsonl');
  const calibration = join(datasetsDir, 'calibration', 'demo.jsonl');
  writeAtomic(corpus, toJsonl(contamination.corpus));
  writeAtomic(calibration, toJsonl(contamination.calibration));
  return { written: [path, annotations, source, fields, traffic, corpus, calibration], skipped: [] };
}
