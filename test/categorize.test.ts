import { beforeAll, describe, expect, it } from 'vitest';
import { demoPool } from '../lib/demo/generate.ts';
import { Rng } from '../lib/demo/rng.ts';
import { trainCategoryClassifier, words } from '../lib/refresh/categorize.ts';
import { loadTokenCounter } from '../lib/sampling/classify.ts';
import type { PoolExample } from '../lib/sampling/pool.ts';

let train: PoolExample[];
let heldOut: PoolExample[];
let categories: string[];

beforeAll(async () => {
  const pool = demoPool(await loadTokenCounter('cl100k_base'));
  // Every fifth example of the id-ordered pool is held out: 634 prompts, in every category.
  heldOut = pool.filter((_, i) => i % 5 === 0);
  train = pool.filter((_, i) => i % 5 !== 0);
  categories = [...new Set(pool.map((e) => e.task_category))];
});

describe('the category classifier', () => {
  it('classifies held-out demo prompts correctly (measured: 634 of 634)', async () => {
    const classifier = await trainCategoryClassifier(train, categories);
    let correct = 0;
    for (const example of heldOut) if ((await classifier.classify(example.prompt)) === example.task_category) correct++;
    // The demo's categories come from separate templates whose words barely overlap (code specs,
    // documents to summarise, word problems, forms, stories), so naive Bayes should all but never err:
    // measured 100% here, and 99.9% with only 10 training prompts per category. A classifier that
    // broke (NaN scores, a null answer, a tie rule gone wrong) would fall far below 98%; guessing the
    // most frequent category scores 23%.
    expect(correct / heldOut.length).toBeGreaterThan(0.98);
  });

  it('gives the same answers whatever the order of the examples and of the categories', async () => {
    const reference = await trainCategoryClassifier(train, categories);
    const shuffled = await trainCategoryClassifier(new Rng(7).sample(train, train.length), [...categories].reverse());
    const prompts = [...heldOut.map((e) => e.prompt), '', 'a prompt of words the pool never had: zyx qwv'];
    for (const prompt of prompts) expect(await shuffled.classify(prompt)).toBe(await reference.classify(prompt));
  });

  it('breaks a tie towards the first category in code point order, not the order of learning', async () => {
    // Equal priors, equal word counts: an unseen word scores both categories alike. The first prompt
    // learned ("alpha") is b-cat's, so without registering categories in sorted order b-cat would win.
    const classifier = await trainCategoryClassifier(
      [
        { prompt: 'alpha', task_category: 'b-cat' },
        { prompt: 'beta', task_category: 'a-cat' },
      ],
      ['b-cat', 'a-cat', 'unused'],
    );
    expect(await classifier.classify('gamma')).toBe('a-cat');
    expect(await classifier.classify('alpha')).toBe('b-cat');
  });

  it('counts words that name Object.prototype members (ttezel/bayes issue 14)', async () => {
    const classifier = await trainCategoryClassifier(
      [
        { prompt: 'Write a class whose constructor overrides toString and valueOf', task_category: 'code-generation' },
        { prompt: 'Write a story about a lighthouse', task_category: 'creative-writing' },
      ],
      ['code-generation', 'creative-writing'],
    );
    expect(await classifier.classify('constructor')).toBe('code-generation');
    expect(await classifier.classify('tostring hasOwnProperty __proto__')).toBe('code-generation');
    expect(await classifier.classify('lighthouse')).toBe('creative-writing');
  });

  it('refuses an example outside the categories, and an empty training set', async () => {
    await expect(trainCategoryClassifier([{ prompt: 'x', task_category: 'poetry' }], ['code-generation'])).rejects.toThrow(/"poetry"/);
    await expect(trainCategoryClassifier([], ['code-generation'])).rejects.toThrow(/at least one/);
  });
});

describe('words', () => {
  it('splits on anything but letters and digits, in any script, lower-cased and NFC', () => {
    expect(words('Valparaíso, 数据 & CO2-levels!')).toEqual(['valparaíso', '数据', 'co2', 'levels']);
    // "e" + combining acute (NFD) is the same word as the precomposed "é".
    expect(words('Cafe\u0301 CAFÉ')).toEqual(['café', 'café']);
    expect(words('  ')).toEqual([]);
  });
});
