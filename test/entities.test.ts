import { beforeAll, describe, expect, it } from 'vitest';
import { demoPool } from '../lib/demo/generate.ts';
import { cities, companies, people } from '../lib/demo/prompts.ts';
import { Rng } from '../lib/demo/rng.ts';
import { demoTraffic } from '../lib/demo/traffic.ts';
import { entitiesOf, entitiesOfWhole, normalizeEntity } from '../lib/refresh/entities.ts';
import { loadTokenCounter, type TokenCounter } from '../lib/sampling/classify.ts';

let countTokens: TokenCounter;
beforeAll(async () => {
  countTokens = await loadTokenCounter('cl100k_base');
});

describe('entitiesOf', () => {
  it('finds the people, places and organisations of plain sentences, in order, every mention', () => {
    expect(entitiesOf('Barack Obama visited Paris with Angela Merkel.')).toEqual(['barack obama', 'paris', 'angela merkel']);
    expect(entitiesOf('Microsoft and Google opened new offices in London and Tokyo.')).toEqual(['microsoft', 'google', 'london', 'tokyo']);
    expect(entitiesOf('The United Nations met in Geneva.')).toEqual(['united nations', 'geneva']);
    expect(entitiesOf('Maria Okafor met Daniel Reyes in Denver, then flew to Osaka to meet Daniel Reyes again.')).toEqual([
      'maria okafor',
      'daniel reyes',
      'denver',
      'osaka',
      'daniel reyes',
    ]);
    expect(entitiesOf('Write a function that merges overlapping intervals.')).toEqual([]);
    expect(entitiesOf('')).toEqual([]);
  });

  it('spells one name one way: case, spacing, Unicode form, trailing punctuation and common nouns', () => {
    expect(entitiesOf('The Rotterdam city council met.')).toEqual(['rotterdam']);
    expect(entitiesOf('(Requested by Aiko  Tanaka, Tessellate Labs, Tallinn office, ticket 1234.)')).toEqual([
      'aiko tanaka',
      'tessellate labs',
      'tallinn',
    ]);
    // NFD "i" + combining acute and the precomposed "í" are one city.
    expect(entitiesOf('We met in Valparai\u0301so.')).toEqual(entitiesOf('We met in Valparaíso.'));
    expect(entitiesOf('i flew from paris to new york city')).toEqual(['paris', 'new york city']);
  });

  it('gives what tagging the whole prompt gives, on demo pool and traffic prompts', () => {
    // The per-sentence memo and the skip of sentences without entity tags must change nothing.
    const pool = demoPool(countTokens).map((e) => e.prompt);
    const traffic = demoTraffic(countTokens)
      .slice(-3)
      .flatMap((day) => day.prompts.map((p) => p.prompt));
    const sample = [...new Rng(11).sample(pool, 60), ...new Rng(12).sample(traffic, 60)];
    for (const prompt of sample) expect(entitiesOf(prompt), prompt).toEqual(entitiesOfWhole(prompt));
    expect(sample.flatMap((p) => entitiesOf(p)).length).toBeGreaterThan(100);
  });

  it('reads the whole sentences that fit in the limit, cutting only a first sentence that is longer', () => {
    const text = 'Maria Okafor wrote this. ' + 'The weather was fine and nothing happened. '.repeat(3) + 'Daniel Reyes signed it.';
    expect(entitiesOf(text)).toEqual(['maria okafor', 'daniel reyes']);
    expect(entitiesOf(text, 100)).toEqual(['maria okafor']);
    expect(entitiesOf('Maria Okafor and Daniel Reyes', 16)).toEqual(['maria okafor']);
    expect(() => entitiesOf(text, 0)).toThrow(RangeError);
  });

  it("finds these of the demo's names, as compromise 14.17 tags them", () => {
    const found = (sentence: (name: string) => string, names: readonly string[]) => names.filter((name) => entitiesOf(sentence(name)).length > 0);
    // Invented companies without a word such as Labs, Inc. or Group are not organisations to it.
    expect(found((c) => `Invoice INV-12345 from ${c}, issued 3 May 2026.`, companies)).toEqual(['Tessellate Labs']);
    expect(found((p) => `Hi team, ${p} here. Please book the offsite.`, people)).toEqual(people.filter((p) => p !== 'Priya Natarajan'));
    expect(found((c) => `Analysts asked about the delayed plant in ${c}, which is now expected to open next year.`, cities)).toEqual(
      cities.filter((c) => c !== 'Valparaíso' && c !== 'Pune'),
    );
  });
});

describe('normalizeEntity', () => {
  const terms = (...words: string[]) => words.map((text, i) => ({ text, pre: '', post: i < words.length - 1 ? ' ' : '' }));

  it('drops lower-case words after a capitalised name, keeps an all lower-case name whole, removes possessives', () => {
    expect(normalizeEntity(terms('Pune', 'office'))).toBe('pune');
    expect(normalizeEntity(terms('new', 'york', 'city'))).toBe('new york city');
    expect(normalizeEntity(terms('Bank', 'of', 'America'))).toBe('bank of america');
    expect(normalizeEntity(terms("Okafor's"))).toBe('okafor');
    expect(normalizeEntity(terms('Lagos’s'))).toBe('lagos');
    expect(
      normalizeEntity([
        { text: 'Apple', pre: '(', post: ' ' },
        { text: 'Inc', pre: '', post: '.),' },
      ]),
    ).toBe('apple inc');
    expect(normalizeEntity(terms('—'))).toBe('');
  });
});
