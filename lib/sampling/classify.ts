import { stratumId, type SignalName, type Taxonomy } from '../config/taxonomy.ts';
import type { PoolExample } from './pool.ts';

export type TokenCounter = (text: string) => number;

/**
 * The tokenizer that fills `prompt_tokens` when a record lacks it. cl100k_base (the GPT-4 /
 * GPT-3.5 BPE, via gpt-tokenizer) by default: its vocabulary ships inside the npm package, so the
 * count is the same on every machine and offline, and it is the encoding most evaluation harnesses
 * report token counts in. The taxonomy names the encoding, so changing it is a config edit.
 */
export async function loadTokenCounter(name: Taxonomy['tokenizer']): Promise<TokenCounter> {
  const encoding = name === 'o200k_base' ? await import('gpt-tokenizer/encoding/o200k_base') : await import('gpt-tokenizer/encoding/cl100k_base');
  return (text) => encoding.countTokens(text);
}

export interface Assignment {
  id: string;
  task_category: string;
  difficulty: string;
  stratum: string;
  /** The signal that decided the difficulty, or `default` when none was present. */
  decided_by: SignalName | 'default';
  /** The prompt's token count when it was given or had to be counted; null when a stronger signal decided first. */
  prompt_tokens: number | null;
}

/** Index of the level a value falls in: below the first threshold → 0, at or above the last → levels-1. */
export function levelIndex(value: number, thresholds: readonly number[]): number {
  let i = 0;
  while (i < thresholds.length && value >= thresholds[i]) i++;
  return i;
}

// The stratum ids of a taxonomy, built once: a million examples share fifteen strings.
const strataCache = new WeakMap<Taxonomy, Map<string, string>>();
function stratumOf(taxonomy: Taxonomy, category: string, difficulty: string): string {
  let ids = strataCache.get(taxonomy);
  if (!ids) strataCache.set(taxonomy, (ids = new Map()));
  const key = `${category}\0${difficulty}`;
  let id = ids.get(key);
  if (id === undefined) ids.set(key, (id = stratumId(category, difficulty)));
  return id;
}

export type SignalThresholds = Partial<Record<SignalName, readonly number[]>>;

// Each category's thresholds per signal, built once per taxonomy: the defaults of
// `difficulty.signals`, overridden signal by signal by the category's own `thresholds`.
const thresholdCache = new WeakMap<Taxonomy, { defaults: SignalThresholds; byCategory: Map<string, SignalThresholds> }>();

/**
 * The thresholds that classify an example of `category`. One global pair does not fit real data (in
 * Dolly, open-QA prompts have a median of 9 tokens and extraction prompts 164), so a category may
 * override any signal's thresholds; the others keep the defaults.
 */
export function thresholdsFor(taxonomy: Taxonomy, category: string): SignalThresholds {
  let table = thresholdCache.get(taxonomy);
  if (!table) {
    const defaults: SignalThresholds = Object.fromEntries(Object.entries(taxonomy.difficulty.signals).map(([name, s]) => [name, s!.thresholds]));
    const byCategory = new Map(taxonomy.categories.map((c) => [c.id, { ...defaults, ...c.thresholds }]));
    thresholdCache.set(taxonomy, (table = { defaults, byCategory }));
  }
  return table.byCategory.get(category) ?? table.defaults;
}

/**
 * Assign one stratum. The difficulty is decided by the first signal in the taxonomy's precedence
 * that the example has (failure_rate, an observation of model behaviour, before reasoning_steps,
 * an annotation, before prompt_tokens, a proxy), against the thresholds of the example's category;
 * `prompt_tokens` is counted when it is needed and absent. With no signal at all, the taxonomy's
 * default level applies.
 */
export function classifyExample(example: PoolExample, taxonomy: Taxonomy, countTokens: TokenCounter): Assignment {
  const { levels, precedence } = taxonomy.difficulty;
  const thresholds = thresholdsFor(taxonomy, example.task_category);
  let promptTokens: number | null = example.signals.prompt_tokens ?? null;
  let difficulty = taxonomy.difficulty.default;
  let decidedBy: Assignment['decided_by'] = 'default';
  for (const name of precedence) {
    let value = example.signals[name];
    if (value === undefined && name === 'prompt_tokens') value = promptTokens = countTokens(example.prompt);
    if (value === undefined) continue;
    difficulty = levels[levelIndex(value, thresholds[name]!)].id;
    decidedBy = name;
    break;
  }
  return {
    id: example.id,
    task_category: example.task_category,
    difficulty,
    stratum: stratumOf(taxonomy, example.task_category, difficulty),
    decided_by: decidedBy,
    prompt_tokens: promptTokens,
  };
}
