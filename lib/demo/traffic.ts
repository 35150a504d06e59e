import { join } from 'node:path';
import { writeAllAtomic } from '../io/atomic.ts';
import { toJsonl } from '../io/jsonl.ts';
import { byCodePoint } from '../io/order.ts';
import type { TrafficDay, TrafficPrompt } from '../refresh/traffic.ts';
import type { TokenCounter } from '../sampling/classify.ts';
import { DEMO_POOL_COUNTS, DEMO_SEED, demoPool } from './generate.ts';
import { DEMO_WRITERS, cities, companies, people } from './prompts.ts';
import { Rng } from './rng.ts';

export const DEMO_TRAFFIC_SEED = 20261120;
/** The last day of demo traffic, fixed: the demo never reads the clock. */
export const DEMO_TRAFFIC_END = '2026-11-20';
/** Days of demo traffic, ending on DEMO_TRAFFIC_END: 2026-10-10 … 2026-11-20, six whole weeks. */
export const DEMO_TRAFFIC_DAYS = 42;
/** The first day of the planted drift, day 22 of 42. */
export const DEMO_DRIFT_START = '2026-10-31';
/** The drift reaches full strength on its RAMP-th day (2026-11-06) and stays there. */
export const DEMO_DRIFT_RAMP_DAYS = 7;
/** code-generation's share of traffic once the drift is full (before it: its share of the pool, 21%). */
export const DEMO_DRIFT_CODE_SHARE = 0.7;
/** The difficulty mix (routine, moderate, adversarial) every category moves to once the drift is full. */
export const DEMO_DRIFT_LEVELS: readonly [number, number, number] = [0.15, 0.35, 0.5];

/**
 * Names that traffic starts to mention with the drift, and that neither the pool nor the traffic
 * before it holds. Each is one compromise recognises (lib/refresh/entities.ts): an organisation with
 * a tell-tale word, a person with a first name in its lexicon, a city it knows.
 */
export const DEMO_NEW_ENTITIES = {
  companies: [
    'Quillfeather Labs',
    'Meridian Analytics Inc.',
    'Saltmarsh Energy Corp',
    'Bluefin Capital Group',
    'Pelican Airlines',
    'Copperleaf Systems Inc.',
  ],
  people: ['Elena Petrova', 'Sofia Lindqvist', 'Omar Farouk', 'Grace Liu', 'Mateo Alvarez', 'Ingrid Johansson'],
  cities: ['Montevideo', 'Gdansk', 'Nairobi', 'Brisbane', 'Kraków', 'Helsinki'],
} as const;

const DAY = 86_400_000;

/** The suffix the demo pool gives a prompt whose text another example already has; the same form as generate.ts writes. */
const REQUESTED_BY = / \(Requested by [^)]*\)\s*$/;
function requester(r: Rng): string {
  return ` (Requested by ${r.pick(people)}, ${r.pick(companies)}, ${r.pick(cities)} office, ticket ${r.int(1000, 9999)}.)`;
}

/** Sentences of the context paragraph that drifted prompts carry, naming the new customers, people and offices. */
const CONTEXT_SENTENCES: ((r: Rng) => string)[] = [
  (r) =>
    `${r.pick(DEMO_NEW_ENTITIES.companies)} is moving its customer workloads to a new platform, and ${r.pick(DEMO_NEW_ENTITIES.people)} in ${r.pick(DEMO_NEW_ENTITIES.cities)} owns the migration.`,
  (r) => `The answer will be reviewed by ${r.pick(DEMO_NEW_ENTITIES.people)} before it goes to the ${r.pick(DEMO_NEW_ENTITIES.cities)} team.`,
  (r) => `Assume the reader works at ${r.pick(DEMO_NEW_ENTITIES.companies)} and has not seen the earlier threads.`,
  (r) => `Keep the terminology consistent with the style guide that ${r.pick(DEMO_NEW_ENTITIES.people)} published last quarter.`,
  () => 'If something is ambiguous, state the assumption you made rather than asking a follow-up question.',
  () => 'Earlier drafts were rejected for being too vague, so be specific and cite the figures you use.',
  () => 'The output will be pasted into a shared document, so avoid tables wider than eighty characters.',
];

/**
 * The demo's production traffic: DEMO_TRAFFIC_DAYS consecutive UTC days ending on DEMO_TRAFFIC_END,
 * 70–90 prompts on a weekday and 50–60 on a weekend, written by the pool's own writers
 * (DEMO_WRITERS), so that until the drift the traffic is drawn from the pool's distribution:
 * - category shares ∝ the pool's totals per category (DEMO_POOL_COUNTS), and within a category the
 *   difficulty levels ∝ the pool's counts per level;
 * - the "(Requested by …)" suffix the pool adds to a repeated prompt, at the rate the pool has it per
 *   category (most code-generation prompts carry one, no summarization prompt does), so that the
 *   names it mentions and the tokens it adds match the pool's too. (This is why the pool is generated
 *   here, hence `countTokens`, which also measures the context paragraph below.)
 * About 30% of prompts leave `task_category` out, so the classifier path (lib/refresh/categorize.ts)
 * runs. Each `ts` is a uniformly drawn second of its day. Deterministic bytes from the seed.
 *
 * Planted ground truth, the drift: from DEMO_DRIFT_START (2026-10-31, day 22) its weight w rises by
 * 1/DEMO_DRIFT_RAMP_DAYS a day, to 1 on 2026-11-06, and stays there to the end. At weight w:
 * - code-generation's share goes from the pool's 21% to 21% + w·(70% − 21%), the other categories
 *   keeping their proportions among themselves (category JSD against the pool 0.125 nats at w = 1,
 *   above the 0.1 re-curate threshold: a surge only to 45% would give 0.032);
 * - the difficulty mix moves towards DEMO_DRIFT_LEVELS (more moderate and adversarial prompts);
 * - with probability 0.8·w a prompt gets a context paragraph of 80–200 tokens (its sentences name the
 *   new entities), so prompts get longer although the surging category is a short one;
 * - with probability 0.5·w the pool's companies, people and cities in a prompt are replaced by new
 *   ones (DEMO_NEW_ENTITIES), which appear nowhere before the drift.
 */
export function demoTraffic(countTokens: TokenCounter, seed = DEMO_TRAFFIC_SEED): TrafficDay[] {
  const r = new Rng(seed);
  const categories = Object.keys(DEMO_POOL_COUNTS).sort(byCodePoint);
  const totals = categories.map((c) => DEMO_POOL_COUNTS[c].reduce((a, b) => a + b, 0));
  const all = totals.reduce((a, b) => a + b, 0);
  const baseShares = totals.map((n) => n / all);
  const code = categories.indexOf('code-generation');

  const pool = demoPool(countTokens, DEMO_SEED);
  const requestedRate = new Map(
    categories.map((c) => {
      const prompts = pool.filter((e) => e.task_category === c);
      return [c, prompts.filter((e) => REQUESTED_BY.test(e.prompt)).length / prompts.length];
    }),
  );

  const end = Date.parse(`${DEMO_TRAFFIC_END}T00:00:00Z`);
  const driftStart = Date.parse(`${DEMO_DRIFT_START}T00:00:00Z`);
  const days: TrafficDay[] = [];
  for (let d = DEMO_TRAFFIC_DAYS - 1; d >= 0; d--) {
    const midnight = end - d * DAY;
    const date = new Date(midnight).toISOString().slice(0, 10);
    const w = midnight < driftStart ? 0 : Math.min(1, ((midnight - driftStart) / DAY + 1) / DEMO_DRIFT_RAMP_DAYS);
    const codeShare = baseShares[code] + w * (DEMO_DRIFT_CODE_SHARE - baseShares[code]);
    const shares = baseShares.map((s, i) => (i === code ? codeShare : (s * (1 - codeShare)) / (1 - baseShares[code])));
    const weekday = new Date(midnight).getUTCDay();
    const count = weekday === 0 || weekday === 6 ? r.int(50, 60) : r.int(70, 90);
    const prompts: TrafficPrompt[] = [];
    for (let i = 0; i < count; i++) {
      const category = categories[drawIndex(r, shares)];
      const poolLevels = DEMO_POOL_COUNTS[category];
      const poolTotal = poolLevels.reduce((a, b) => a + b, 0);
      const level = drawIndex(
        r,
        poolLevels.map((n, l) => (1 - w) * (n / poolTotal) + w * DEMO_DRIFT_LEVELS[l]),
      );
      let prompt = DEMO_WRITERS[category](r, level).prompt;
      if (chance(r, requestedRate.get(category)!)) prompt += requester(r);
      if (w > 0 && chance(r, 0.5 * w)) prompt = withNewEntities(r, prompt);
      if (w > 0 && chance(r, 0.8 * w)) prompt += contextParagraph(r, countTokens, r.int(80, 200));
      const ts = new Date(midnight + r.int(0, 86_399) * 1000).toISOString().replace('.000Z', 'Z');
      prompts.push(r.int(0, 9) < 3 ? { ts, prompt } : { ts, prompt, task_category: category });
    }
    prompts.sort((a, b) => byCodePoint(a.ts, b.ts) || byCodePoint(a.prompt, b.prompt) || byCodePoint(a.task_category ?? '', b.task_category ?? ''));
    days.push({ date, prompts });
  }
  return days;
}

/** Write each day to `dir/YYYY-MM-DD.jsonl`, all files or none (writeAllAtomic). The paths written, by date. */
export function writeDemoTraffic(dir: string, days: readonly TrafficDay[]): string[] {
  const files = Object.fromEntries(days.map((day) => [join(dir, `${day.date}.jsonl`), toJsonl(day.prompts)]));
  writeAllAtomic(files);
  return Object.keys(files);
}

/** True with probability p, on the generator's grid of 10⁻⁶. */
function chance(r: Rng, p: number): boolean {
  return r.int(0, 999_999) < p * 1_000_000;
}

/** An index drawn with probability ∝ weights[i] (which sum to about 1), on a grid of 10⁻⁶. */
function drawIndex(r: Rng, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  const u = (r.int(0, 999_999) / 1_000_000) * total;
  let cumulative = 0;
  for (let i = 0; i < weights.length; i++) {
    cumulative += weights[i];
    if (u < cumulative) return i;
  }
  return weights.length - 1;
}

/** The prompt with each of the pool's companies, people and cities it names replaced by a new one (the same new name for every mention). */
function withNewEntities(r: Rng, prompt: string): string {
  const lists: [readonly string[], readonly string[]][] = [
    [companies, DEMO_NEW_ENTITIES.companies],
    [people, DEMO_NEW_ENTITIES.people],
    [cities, DEMO_NEW_ENTITIES.cities],
  ];
  for (const [old, replacements] of lists) for (const name of old) if (prompt.includes(name)) prompt = prompt.split(name).join(r.pick(replacements));
  return prompt;
}

/** "\n\nContext: …", sentences drawn until the paragraph holds at least `tokens` tokens. */
function contextParagraph(r: Rng, countTokens: TokenCounter, tokens: number): string {
  const sentences: string[] = [];
  while (countTokens(sentences.join(' ')) < tokens) sentences.push(r.pick(CONTEXT_SENTENCES)(r));
  return `\n\nContext: ${sentences.join(' ')}`;
}
