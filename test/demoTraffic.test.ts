import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoPool } from '../lib/demo/generate.ts';
import { DEMO_DRIFT_START, DEMO_NEW_ENTITIES, DEMO_TRAFFIC_DAYS, DEMO_TRAFFIC_END, demoTraffic, writeDemoTraffic } from '../lib/demo/traffic.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { entitiesOf } from '../lib/refresh/entities.ts';
import { categoryHistograms } from '../lib/refresh/histogram.ts';
import { readTraffic, trafficPartitions, type TrafficDay, type TrafficPrompt } from '../lib/refresh/traffic.ts';
import { loadTokenCounter, type TokenCounter } from '../lib/sampling/classify.ts';
import type { PoolExample } from '../lib/sampling/pool.ts';
import { jensenShannonDivergence } from '../lib/stats/jensenShannonDivergence.ts';

let countTokens: TokenCounter;
let days: TrafficDay[];
let pool: PoolExample[];
const DAY = 86_400_000;

beforeAll(async () => {
  countTokens = await loadTokenCounter('cl100k_base');
  days = demoTraffic(countTokens);
  pool = demoPool(countTokens);
});

const prompts = (some: readonly TrafficDay[]): TrafficPrompt[] => some.flatMap((day) => day.prompts);
const firstWeek = () => prompts(days.slice(0, 7));
const lastWeek = () => prompts(days.slice(-7));
const meanTokens = (texts: readonly string[]) => texts.reduce((sum, text) => sum + countTokens(text), 0) / texts.length;
/** The category JSD (nats) between the pool and the prompts that carry a category: the omitted 30% are left out at random, so the rest is an unbiased sample. */
const categoryJsd = (traffic: readonly TrafficPrompt[]) => {
  const { reference, current } = categoryHistograms(
    pool.map((e) => e.task_category),
    traffic.filter((p) => p.task_category !== undefined).map((p) => p.task_category!),
  );
  return jensenShannonDivergence(reference, current);
};

describe('demo traffic', () => {
  it('covers consecutive UTC days up to the fixed end, lighter at weekends', () => {
    expect(days).toHaveLength(DEMO_TRAFFIC_DAYS);
    expect(days.at(-1)!.date).toBe(DEMO_TRAFFIC_END);
    days.forEach((day, i) => {
      expect(Date.parse(`${day.date}T00:00:00Z`)).toBe(Date.parse(`${DEMO_TRAFFIC_END}T00:00:00Z`) - (DEMO_TRAFFIC_DAYS - 1 - i) * DAY);
      expect(day.prompts.length).toBeGreaterThanOrEqual(50);
      expect(day.prompts.length).toBeLessThanOrEqual(90);
    });
    const weekend = days.filter((d) => [0, 6].includes(new Date(`${d.date}T00:00:00Z`).getUTCDay()));
    const weekdays = days.filter((d) => !weekend.includes(d));
    const mean = (ds: TrafficDay[]) => ds.reduce((s, d) => s + d.prompts.length, 0) / ds.length;
    expect(weekend).toHaveLength(12);
    expect(mean(weekend)).toBeLessThan(mean(weekdays) - 10);
  });

  it('writes one file per day whose every ts is on its date, and reads back as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalset-demo-traffic-'));
    const written = writeDemoTraffic(dir, days);
    expect(written.map((p) => relative(dir, p))).toEqual(days.map((d) => `${d.date}.jsonl`));
    const rel = (p: string) => relative(dir, p);
    // readTraffic checks every ts against its file's date, and orders each day as the generator does.
    expect(readTraffic(trafficPartitions(dir, rel), rel)).toEqual(days);
    for (const day of days) for (const p of day.prompts) expect(p.ts.slice(0, 10)).toBe(day.date);
  });

  it('is deterministic: the same bytes from the same seed, others from another', () => {
    const bytes = (ds: TrafficDay[]) => ds.map((d) => toJsonl(d.prompts)).join('');
    expect(bytes(demoTraffic(countTokens))).toBe(bytes(days));
    expect(bytes(demoTraffic(countTokens, 1))).not.toBe(bytes(days));
    const dir = mkdtempSync(join(tmpdir(), 'evalset-demo-traffic-'));
    writeDemoTraffic(dir, days);
    expect(readFileSync(join(dir, `${DEMO_TRAFFIC_END}.jsonl`), 'utf8')).toBe(toJsonl(days.at(-1)!.prompts));
  });

  it('leaves task_category out of about 30% of prompts', () => {
    const all = prompts(days);
    const share = all.filter((p) => p.task_category === undefined).length / all.length;
    // Binomial over ~7,000 prompts: standard deviation 0.55 percentage points; measured 30.0%.
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
  });

  it("matches the pool's category mix before the drift, and not after it", () => {
    // Before: sampling noise only. For two multinomial samples of one distribution over K bins,
    // E[JSD] ≈ (K − 1)/8 · (1/n₁ + 1/n₂) (the G-test's χ² limit, see lib/refresh/noiseFloor.ts) ≈ 0.0008
    // nats for ~840 labelled prompts against 3,166; measured 0.0010. 0.01 leaves ten times that.
    expect(categoryJsd(firstWeek())).toBeLessThan(0.01);
    // After: code-generation at 70% of traffic against 21% in the pool gives 0.125 nats; measured 0.123.
    expect(categoryJsd(lastWeek())).toBeGreaterThan(0.1);
  });

  it('gets longer with the drift (mean prompt tokens, cl100k_base)', () => {
    const poolMean = meanTokens(pool.map((e) => e.prompt));
    // Measured: pool 84.4, first week 83.5, last week 207.4.
    expect(Math.abs(meanTokens(firstWeek().map((p) => p.prompt)) / poolMean - 1)).toBeLessThan(0.1);
    expect(meanTokens(lastWeek().map((p) => p.prompt))).toBeGreaterThan(2 * poolMean);
  });

  it('names the new entities only from the drift on, and compromise finds each of them', () => {
    const names = [...DEMO_NEW_ENTITIES.companies, ...DEMO_NEW_ENTITIES.people, ...DEMO_NEW_ENTITIES.cities];
    const before = prompts(days.filter((d) => d.date < DEMO_DRIFT_START));
    expect(before.length).toBeGreaterThan(1400);
    const naming = (texts: string[]) => texts.filter((text) => names.some((name) => text.includes(name)));
    expect(naming(before.map((p) => p.prompt))).toEqual([]);
    expect(naming(pool.map((e) => e.prompt))).toEqual([]);
    expect(naming(lastWeek().map((p) => p.prompt)).length).toBeGreaterThan(150);

    const normalised = names.map((name) => name.toLowerCase().replace(/\.$/, ''));
    const found = (ps: TrafficPrompt[]) => new Set(ps.flatMap((p) => entitiesOf(p.prompt)));
    const early = found(prompts(days.slice(0, 2)));
    const late = found(prompts(days.slice(-2)));
    expect(normalised.filter((name) => early.has(name))).toEqual([]);
    expect(normalised.filter((name) => !late.has(name))).toEqual([]);
  });
});
