import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTaxonomy, strataOf } from '../lib/config/taxonomy.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { classifyExample, levelIndex, loadTokenCounter } from '../lib/sampling/classify.ts';
import type { PoolExample } from '../lib/sampling/pool.ts';
import { projectRoot } from './helpers.ts';

const text = readFileSync(join(projectRoot, 'taxonomy', 'strata.json'), 'utf8');
const taxonomy = parseTaxonomy(text, 'taxonomy/strata.json');
const never = () => {
  throw new Error('the tokenizer must not run when a stronger signal decides');
};
const example = (signals: PoolExample['signals'], prompt = 'Summarize this.'): PoolExample => ({
  id: 'e1',
  prompt,
  reference: null,
  task_category: 'summarization',
  signals,
  capabilities: [],
  labels: {},
  source: '',
});

describe('difficulty thresholds', () => {
  it('puts a value at a threshold in the upper level', () => {
    expect(levelIndex(0.19, [0.2, 0.5])).toBe(0);
    expect(levelIndex(0.2, [0.2, 0.5])).toBe(1);
    expect(levelIndex(0.5, [0.2, 0.5])).toBe(2);
  });
});

describe('classifyExample', () => {
  it('lets failure_rate decide before reasoning_steps and prompt_tokens when they disagree', () => {
    const a = classifyExample(example({ failure_rate: 0.05, reasoning_steps: 9, prompt_tokens: 5000 }), taxonomy, never);
    expect(a).toMatchObject({ difficulty: 'routine', stratum: 'summarization×routine', decided_by: 'failure_rate' });
  });

  it('falls to reasoning_steps when failure_rate is absent', () => {
    const a = classifyExample(example({ reasoning_steps: 4, prompt_tokens: 10 }), taxonomy, never);
    expect(a).toMatchObject({ difficulty: 'moderate', decided_by: 'reasoning_steps', prompt_tokens: 10 });
  });

  it('counts tokens with cl100k_base when no other signal is present', async () => {
    const count = await loadTokenCounter('cl100k_base');
    // "hello world" is two tokens in cl100k_base (tiktoken: [15339, 1917]).
    expect(count('hello world')).toBe(2);
    const a = classifyExample(example({}, 'hello world'), taxonomy, count);
    expect(a).toMatchObject({ difficulty: 'routine', decided_by: 'prompt_tokens', prompt_tokens: 2 });
  });

  it('uses the documented default when the precedence lists no signal the example has', () => {
    const noTokens = { ...taxonomy, difficulty: { ...taxonomy.difficulty, precedence: ['failure_rate' as const] } };
    const a = classifyExample(example({ reasoning_steps: 9 }), noTokens, never);
    expect(a).toMatchObject({ difficulty: 'moderate', decided_by: 'default' });
  });
});

describe('taxonomy as configuration', () => {
  it('adds a difficulty bucket and a category by editing the JSON alone', () => {
    const json = JSON.parse(text);
    json.categories.push({ id: 'translation' });
    json.difficulty.levels.push({ id: 'expert' });
    for (const signal of Object.values(json.difficulty.signals) as { thresholds: number[] }[]) {
      signal.thresholds.push(signal.thresholds[signal.thresholds.length - 1] * 1.6);
    }
    const extended = parseTaxonomy(JSON.stringify(json), 't.json');
    expect(strataOf(extended).size).toBe(6 * 4);
    const a = classifyExample({ ...example({ failure_rate: 0.99 }), task_category: 'translation' }, extended, never);
    expect(a.stratum).toBe('translation×expert');
  });

  it('reports a threshold count that does not fit the levels, naming the field', () => {
    const json = JSON.parse(text);
    json.difficulty.signals.failure_rate.thresholds = [0.5];
    try {
      parseTaxonomy(JSON.stringify(json), 'taxonomy/strata.json');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).issues[0]).toMatchObject({
        file: 'taxonomy/strata.json',
        field: 'difficulty.signals.failure_rate.thresholds',
      });
    }
  });

  it('reports per-category thresholds that do not fit, with their lines and fields', () => {
    const json = JSON.parse(text);
    delete json.difficulty.signals.reasoning_steps;
    json.difficulty.precedence = ['failure_rate', 'prompt_tokens'];
    json.categories[0].thresholds = { prompt_tokens: [100] };
    json.categories[1].thresholds = { prompt_tokens: [900, 300] };
    json.categories[2].thresholds = { reasoning_steps: [2, 5] };
    const pretty = JSON.stringify(json, null, 2);
    const lineOf = (needle: string, from = 0) => pretty.split('\n').findIndex((l, i) => i >= from && l.includes(needle)) + 1;
    try {
      parseTaxonomy(pretty, 'taxonomy/strata.json');
      expect.unreachable();
    } catch (err) {
      const issues = (err as InvalidInputError).issues;
      expect(issues.map((i) => `${i.line}: ${i.field}: ${i.message}`)).toEqual([
        `${lineOf('"prompt_tokens": [')}: categories.0.thresholds.prompt_tokens: category "summarization": needs 2 thresholds (one between each pair of the 3 levels), has 1`,
        `${lineOf('"prompt_tokens": [', lineOf('"extraction"'))}: categories.1.thresholds.prompt_tokens: category "extraction": must be strictly ascending`,
        `${lineOf('"reasoning_steps": [')}: categories.2.thresholds.reasoning_steps: category "reasoning": signal "reasoning_steps" has no default thresholds in difficulty.signals to override`,
      ]);
    }
  });

  it('refuses a per-category override of a signal that does not exist, naming the field', () => {
    const json = JSON.parse(text);
    json.categories[1].thresholds = { tokens: [300, 900] };
    try {
      parseTaxonomy(JSON.stringify(json, null, 2), 'taxonomy/strata.json');
      expect.unreachable();
    } catch (err) {
      expect((err as InvalidInputError).issues).toEqual([expect.objectContaining({ field: 'categories.1.thresholds.tokens' })]);
    }
  });
});

describe('per-category thresholds', () => {
  const json = JSON.parse(text);
  json.categories.find((c: { id: string }) => c.id === 'extraction').thresholds = { prompt_tokens: [300, 900] };
  const perCategory = parseTaxonomy(JSON.stringify(json, null, 2), 'taxonomy/strata.json');

  it('classifies a category by its own thresholds and every other category by the defaults', () => {
    const at = (category: string, signals: PoolExample['signals']) =>
      classifyExample({ ...example(signals), task_category: category }, perCategory, never);
    // 260 tokens: moderate under the default [250, 800], routine under extraction's [300, 900].
    expect(at('summarization', { prompt_tokens: 260 })).toMatchObject({ difficulty: 'moderate', decided_by: 'prompt_tokens' });
    expect(at('extraction', { prompt_tokens: 260 })).toMatchObject({ difficulty: 'routine', stratum: 'extraction×routine' });
    expect(at('extraction', { prompt_tokens: 850 })).toMatchObject({ difficulty: 'moderate' });
    expect(at('extraction', { prompt_tokens: 900 })).toMatchObject({ difficulty: 'adversarial' });
    // A signal the category does not override keeps the default thresholds.
    expect(at('extraction', { failure_rate: 0.3 })).toMatchObject({ difficulty: 'moderate', decided_by: 'failure_rate' });
  });
});
