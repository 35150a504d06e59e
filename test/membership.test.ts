import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawEligible } from '../lib/eligibility/draw.ts';
import { EndpointResponseError, LogprobsUnavailableError } from '../lib/errors.ts';
import { allocateStrata } from '../lib/sampling/allocate.ts';
import { LogprobCache } from '../lib/contamination/membership/cache.ts';
import { calibrationStats, zScore } from '../lib/contamination/membership/calibration.ts';
import { scoreTexts } from '../lib/contamination/membership/client.ts';
import { startDemoModelServer, type DemoModelServer } from '../lib/contamination/membership/demoServer.ts';
import { parseRetryAfter, promptTokenLogprobs, promptTokenLogprobsBatch, type LogprobEndpoint } from '../lib/contamination/membership/endpoint.ts';
import { KneserNeyModel } from '../lib/contamination/membership/ngramModel.ts';
import { meanLogprob, minKPercentProb } from '../lib/contamination/membership/score.ts';
import { membershipScreen } from '../lib/contamination/membership/screen.ts';
import { projectRoot } from './helpers.ts';
import { wordProblems } from './support/membershipTexts.ts';

const corpus = wordProblems(400, 1); // the "training data" of the demo model
const calibrationTexts = wordProblems(40, 2); // known not to be in it
const fresh = wordProblems(200, 3); // held out: must not be flagged
const memorised = corpus.slice(0, 50);

let server: DemoModelServer;
const openai = (extra: Partial<LogprobEndpoint> = {}): LogprobEndpoint => ({
  api: 'openai',
  baseUrl: `${server.url}/v1`,
  model: server.model,
  timeoutMs: 5000,
  ...extra,
});
const tmp = () => mkdtempSync(join(tmpdir(), 'evalset-mi-'));

beforeAll(async () => {
  server = await startDemoModelServer({ corpus });
});
afterAll(async () => {
  await server?.close();
});

/** What the demo model trained on `training` gives for the tokens of `text` after the first. */
async function modelLogprobs(training: readonly string[], text: string): Promise<number[]> {
  const lm = await KneserNeyModel.train(training);
  const ids = lm.tokenize(text);
  return ids.slice(1).map((_, i) => lm.logprobAt(ids, i + 1));
}

/** A small server for fault injection: a short corpus trains at once. */
const faulty = (faults: NonNullable<Parameters<typeof startDemoModelServer>[0]['faults']>, extra = {}) =>
  startDemoModelServer({ corpus: corpus.slice(0, 20), faults, ...extra });

/** A server that answers every request with this status and body (for shapes the demo server does not produce). */
async function fixedServer(
  answer: (auth: string | undefined) => { status: number; body: string },
): Promise<{ url: string; close: () => Promise<void> }> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, body } = answer(req.headers.authorization);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise((r) => s.close(() => r())) };
}

describe('scores', () => {
  it('Min-K% Prob and the mean against hand-computed values (Shi et al. 2024: mean of the lowest ⌊k·n⌋ log-probabilities)', () => {
    const lp = [-1, -5, -2, -0.5, -3, -4, -0.1, -2.5, -6, -1.5];
    expect(meanLogprob(lp)).toBeCloseTo(-25.6 / 10, 12);
    expect(minKPercentProb(lp)).toBe(-5.5); // k = 0.2: the 2 lowest, −6 and −5
    expect(minKPercentProb(lp, 0.3)).toBe(-5); // 3 lowest: −6, −5, −4
    expect(minKPercentProb(lp, 0.25)).toBe(-5.5); // ⌊2.5⌋ = 2
    expect(minKPercentProb(lp, 1)).toBeCloseTo(-2.56, 12);
    expect(minKPercentProb([-0.2, -3, -1])).toBe(-3); // ⌊0.6⌋ = 0, at least one
    expect(meanLogprob([])).toBeNaN();
  });

  it('calibration: n, mean and sample sd (n − 1) against the textbook example; too few examples are not enough', () => {
    const stats = calibrationStats([2, 4, 4, 4, 5, 5, 7, 9], 8);
    expect(stats).toMatchObject({ n: 8, mean: 5, enough: true });
    expect(stats.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(zScore(5 + 3 * stats.sd!, stats)).toBeCloseTo(3, 12);
    const few = calibrationStats([2, 4, 4], 20);
    expect(few.enough).toBe(false);
    expect(few.reason).toMatch(/3 calibration examples, fewer than 20/);
    expect(() => zScore(1, few)).toThrow(/enough calibration/);
    expect(calibrationStats([1, 1, 1], 2)).toMatchObject({ enough: false, reason: expect.stringMatching(/sd = 0/) });
  });

  it('Retry-After: delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('1')).toBe(1000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('the endpoint adapters against the demo server', () => {
  it('echo + logprobs, prompt_logprobs and TGI prefill give the same log-probabilities, first token dropped', async () => {
    const text = corpus[3];
    const expected = await modelLogprobs(corpus, text);
    expect(await promptTokenLogprobs(openai(), text)).toEqual(expected);
    expect(await promptTokenLogprobs(openai({ promptLogprobs: true }), text)).toEqual(expected);
    expect(await promptTokenLogprobs({ api: 'tgi', baseUrl: server.url, model: server.model, timeoutMs: 5000 }, text)).toEqual(expected);
    const batch = await promptTokenLogprobsBatch(openai(), [corpus[0], text, fresh[0]]);
    expect(batch[1]).toEqual(expected);
    expect(batch[2]).toEqual(await promptTokenLogprobs(openai(), fresh[0]));
  });

  it('answers in the documented shapes: first token null in every form', async () => {
    const post = async (path: string, body: object) => (await fetch(`${server.url}${path}`, { method: 'POST', body: JSON.stringify(body) })).json();
    const echo = await post('/v1/completions', { model: server.model, prompt: 'Lobek has 12 apples.', echo: true, logprobs: 1, max_tokens: 0 });
    const lp = echo.choices[0].logprobs;
    expect(lp.token_logprobs[0]).toBeNull();
    expect(lp.top_logprobs[0]).toBeNull();
    expect(lp.text_offset[0]).toBe(0);
    expect(lp.tokens.join('')).toBe('Lobek has 12 apples.');
    expect(echo.usage.prompt_tokens).toBe(lp.tokens.length);
    const pl = await post('/v1/completions', { model: server.model, prompt: 'Lobek has 12 apples.', prompt_logprobs: 1, max_tokens: 1 });
    expect(pl.choices[0].prompt_logprobs[0]).toBeNull();
    expect(Object.values(pl.choices[0].prompt_logprobs[1])).toContainEqual(expect.objectContaining({ rank: 1 }));
    const tgi = await post('/generate', {
      inputs: 'Lobek has 12 apples.',
      parameters: { details: true, decoder_input_details: true, max_new_tokens: 1 },
    });
    expect(tgi.details.prefill[0].logprob).toBeNull();
    expect(tgi.details.prefill).toHaveLength(lp.tokens.length);
    const zero = await fetch(`${server.url}/generate`, { method: 'POST', body: JSON.stringify({ inputs: 'x', parameters: { max_new_tokens: 0 } }) });
    expect(zero.status).toBe(422);
    const models = await (await fetch(`${server.url}/v1/models`)).json();
    expect(models.data[0].id).toBe(server.model);
  });

  it('rejects a malformed body with a clear error, at once (no retry)', async () => {
    const s = await faulty({ malformedEvery: 1 });
    try {
      const endpoint = { ...openai(), baseUrl: `${s.url}/v1` };
      const err = await scoreTexts([fresh[0]], { endpoint, cache: LogprobCache.inMemory(), minRetryDelayMs: 1 }).catch((e) => e);
      expect(err).toBeInstanceOf(EndpointResponseError);
      expect(err.message).toMatch(/malformed body \(not JSON\)/);
      expect(err.hint).toMatch(/speaks the API/);
      expect(s.stats.requests).toBe(1);
    } finally {
      await s.close();
    }
    const wrong = await fixedServer(() => ({
      status: 200,
      body: JSON.stringify({ choices: [{ index: 0, logprobs: { token_logprobs: [-1, -2] } }] }),
    }));
    try {
      await expect(promptTokenLogprobs({ ...openai(), baseUrl: wrong.url }, 'abc')).rejects.toThrow(
        /token_logprobs\[0\] is not null: the prompt was not echoed/,
      );
    } finally {
      await wrong.close();
    }
  });

  it('a 4xx other than 429 fails at once', async () => {
    const err = await scoreTexts([fresh[0]], {
      endpoint: openai({ model: 'no-such-model' }),
      cache: LogprobCache.inMemory(),
      minRetryDelayMs: 1,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(EndpointResponseError);
    expect(err.details.status).toBe(404);
    expect(err.hint).toMatch(/model id/);
  });
});

describe('retries', () => {
  it('honours Retry-After: a 429 asking for 1 s is retried no sooner', async () => {
    const s = await faulty({ rateLimitEvery: 2, retryAfterSeconds: 1 });
    try {
      const endpoint = { ...openai(), baseUrl: `${s.url}/v1` };
      await scoreTexts([fresh[0]], { endpoint, cache: LogprobCache.inMemory(), minRetryDelayMs: 10 }); // request 1
      const started = performance.now();
      const result = await scoreTexts([fresh[1]], { endpoint, cache: LogprobCache.inMemory(), minRetryDelayMs: 10 }); // 2 is a 429, 3 succeeds
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(1000);
      expect(waited).toBeLessThan(2500); // the backoff alone is 10–20 ms: Retry-After is the minimum, not added to a long wait
      expect(result.retries).toBe(1);
      expect(s.stats).toMatchObject({ requests: 3, faults: 1 });
      expect(result.logprobs[0]).toEqual(await modelLogprobs(corpus.slice(0, 20), fresh[1]));
    } finally {
      await s.close();
    }
  });

  it('retries a 500 and a timeout, then succeeds', async () => {
    const s = await faulty({ serverErrorEvery: 2, slowMs: 400, slowEvery: 3 });
    try {
      const endpoint = { ...openai(), baseUrl: `${s.url}/v1`, timeoutMs: 200 };
      const result = await scoreTexts([fresh[0], fresh[1]], { endpoint, cache: LogprobCache.inMemory(), concurrency: 1, minRetryDelayMs: 5 });
      // 1 ok; 2 → 500; 3 → slow, timed out; 4 → 500; 5 ok
      expect(s.stats.requests).toBe(5);
      expect(result.retries).toBe(3);
      expect(result.logprobs).toEqual([await modelLogprobs(corpus.slice(0, 20), fresh[0]), await modelLogprobs(corpus.slice(0, 20), fresh[1])]);
    } finally {
      await s.close();
    }
  });
});

describe('the cache', () => {
  it('a second run makes zero requests for cached texts, and only the new ones are asked', async () => {
    const path = join(tmp(), 'membership.jsonl');
    const first = LogprobCache.open(path);
    const before = server.stats.requests;
    const a = await scoreTexts(fresh.slice(0, 30), { endpoint: openai(), cache: first, concurrency: 4 });
    first.close();
    expect(server.stats.requests - before).toBe(30);
    expect(a.requests).toBe(30);

    const again = LogprobCache.open(path);
    const mid = server.stats.requests;
    const b = await scoreTexts(fresh.slice(0, 30), { endpoint: openai(), cache: again });
    expect(server.stats.requests - mid).toBe(0);
    expect(b).toMatchObject({ requests: 0, cacheHits: 30 });
    expect(b.logprobs).toEqual(a.logprobs);
    const c = await scoreTexts(fresh.slice(0, 40), { endpoint: openai(), cache: again, batchSize: 4 });
    expect(server.stats.requests - mid).toBe(3); // 10 new texts, 4 per request
    expect(c.cacheHits).toBe(30);
    again.close();
  });

  it('compacts to the same bytes whatever order the answers came in; a torn last line is dropped with a warning', async () => {
    const dir = tmp();
    const answers = (await scoreTexts(fresh.slice(0, 12), { endpoint: openai(), cache: LogprobCache.inMemory() })).logprobs;
    const fill = (path: string, order: number[]) => {
      const cache = LogprobCache.open(path);
      for (const i of order)
        cache.append({ baseUrl: `${server.url}/v1`, model: server.model, request: 'r', sha256: String(i).padStart(64, 'a'), logprobs: answers[i] });
      cache.compact();
      return cache;
    };
    const forward = fill(join(dir, 'a.jsonl'), [...answers.keys()]);
    const backward = fill(join(dir, 'b.jsonl'), [...answers.keys()].reverse());
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'b.jsonl'), 'utf8'));
    expect(forward.digest()).toBe(backward.digest());

    appendFileSync(join(dir, 'a.jsonl'), '{"baseUrl":"http://x","mod');
    const warnings: string[] = [];
    const reopened = LogprobCache.open(join(dir, 'a.jsonl'), (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringMatching(/dropped a torn last line/)]);
    expect(reopened.size).toBe(12);
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'b.jsonl'), 'utf8')); // cut off the file
    writeFileSync(join(dir, 'c.jsonl'), 'not json\n{}\n');
    expect(() => LogprobCache.open(join(dir, 'c.jsonl'))).toThrow(/c\.jsonl:1: is not a membership cache entry/);
  });

  it('a run killed midway keeps its answers; the resumed run asks only for the missing texts', async () => {
    const dir = tmp();
    const texts = fresh.slice(0, 120);
    const slow = await startDemoModelServer({ corpus, latencyMs: 25 });
    try {
      writeFileSync(join(dir, 'texts.json'), JSON.stringify(texts));
      const cachePath = join(dir, 'membership.jsonl');
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          join(projectRoot, 'test/support/membershipScoreChild.ts'),
          `${slow.url}/v1`,
          slow.model,
          cachePath,
          join(dir, 'texts.json'),
          '2',
        ],
        { cwd: projectRoot, stdio: 'ignore' },
      );
      const exited = new Promise((r) => child.on('exit', r));
      const lines = () => (existsSync(cachePath) ? readFileSync(cachePath, 'utf8').split('\n').length - 1 : 0);
      while (lines() < 15) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      await exited;
      const cache = LogprobCache.open(cachePath, () => {});
      const kept = cache.size;
      expect(kept).toBeGreaterThanOrEqual(15);
      expect(kept).toBeLessThan(texts.length);
      const before = slow.stats.requests;
      const resumed = await scoreTexts(texts, { endpoint: { ...openai(), baseUrl: `${slow.url}/v1` }, cache, concurrency: 8 });
      expect(slow.stats.requests - before).toBe(texts.length - kept);
      expect(resumed.cacheHits).toBe(kept);
      expect(cache.size).toBe(texts.length);
      const reference = await scoreTexts(texts, { endpoint: openai(), cache: LogprobCache.inMemory(), concurrency: 8, batchSize: 8 });
      expect(resumed.logprobs).toEqual(reference.logprobs);
    } finally {
      await slow.close();
    }
  });

  it('never holds the API key, and no error message shows it', async () => {
    const apiKey = 'sk-evalset-test-0123456789abcdef';
    const s = await startDemoModelServer({ corpus: corpus.slice(0, 20), apiKey });
    const dir = tmp();
    try {
      const cache = LogprobCache.open(join(dir, 'm.jsonl'));
      await scoreTexts(fresh.slice(0, 5), { endpoint: { ...openai(), baseUrl: `${s.url}/v1`, apiKey }, cache });
      cache.compact();
      expect(cache.size).toBe(5);
      expect(readFileSync(join(dir, 'm.jsonl'), 'utf8')).not.toContain(apiKey);
      const denied = await scoreTexts([fresh[9]], { endpoint: { ...openai(), baseUrl: `${s.url}/v1`, apiKey: 'sk-wrong-key-000' }, cache }).catch(
        (e) => e,
      );
      expect(denied).toBeInstanceOf(EndpointResponseError);
      expect(denied.details.status).toBe(401);
      expect(denied.hint).toMatch(/API key/);
      expect(`${denied.message}${denied.hint}${denied.stack}`).not.toContain('sk-wrong-key-000');
    } finally {
      await s.close();
    }
    const echoing = await fixedServer((auth) => ({ status: 400, body: JSON.stringify({ error: `bad request with ${auth}` }) }));
    try {
      const err = await promptTokenLogprobs({ ...openai(), baseUrl: echoing.url, apiKey }, 'abc').catch((e) => e);
      expect(err.message).toMatch(/HTTP 400: .*Bearer \[redacted\]/);
      expect(`${err.message}${err.stack}`).not.toContain(apiKey);
    } finally {
      await echoing.close();
    }
  });
});

describe('the membership screen', () => {
  it('flags memorised text (z > 3) and not fresh text of the same kind; strata without calibration are reported', async () => {
    const texts = new Map<string, string>([...memorised.map((t, i) => [`mem-${i}`, t] as const), ...fresh.map((t, i) => [`new-${i}`, t] as const)]);
    const cache = LogprobCache.inMemory();
    const before = server.stats.requests;
    const screen = membershipScreen({
      endpoint: openai(),
      cache,
      concurrency: 8,
      batchSize: 8,
      textOf: (id) => texts.get(id)!,
      calibrationTexts: new Map([['math/easy', calibrationTexts]]),
    });
    const memIds = memorised.map((_, i) => `mem-${i}`);
    const newIds = fresh.map((_, i) => `new-${i}`);
    const flaggedMem = await screen.screen('math/easy', memIds);
    const flaggedNew = await screen.screen('math/easy', newIds);
    expect(flaggedMem.map((e) => e.id)).toEqual(memIds); // every memorised text
    expect(flaggedNew.length).toBeLessThanOrEqual(2); // ≤ 1% false flags on 200 fresh texts (1 measured)
    expect(flaggedMem[0]).toMatchObject({
      check: 'membership',
      reason: expect.stringMatching(/^suspected memorisation: z = \d+\.\d\d > 3 \(mean token log-probability/),
    });
    expect(flaggedMem.every((e) => e.score! > 3)).toBe(true);
    expect(await screen.screen('code/hard', ['new-0', 'new-1'])).toEqual([]);
    const report = screen.report();
    expect(report.strata).toEqual([
      expect.objectContaining({ stratum: 'code/hard', screened: 2, flagged: 0, unscreenedNoCalibration: 2 }),
      expect.objectContaining({ stratum: 'math/easy', screened: 250, flagged: 50 + flaggedNew.length, unscreenedNoCalibration: 0 }),
    ]);
    expect(report.strata[1].calibration).toMatchObject({ n: 40, enough: true });
    expect(report.lackingCalibration).toEqual([{ stratum: 'code/hard', reason: 'no calibration examples' }]);
    expect(report.requests).toBe(Math.ceil(40 / 8) + Math.ceil(50 / 8) + Math.ceil(200 / 8));
    expect(server.stats.requests - before).toBe(report.requests);

    // All cached: a rebuild makes no request, with the endpoint configured or with none at all.
    for (const endpoint of [openai(), null]) {
      const mid = server.stats.requests;
      const again = membershipScreen({
        endpoint,
        cache,
        textOf: (id) => texts.get(id)!,
        calibrationTexts: new Map([['math/easy', calibrationTexts]]),
      });
      expect(await again.screen('math/easy', memIds)).toEqual(flaggedMem);
      expect(server.stats.requests - mid).toBe(0);
      expect(again.report()).toMatchObject({ requests: 0, cacheHits: 40 + 50 });
    }
    const none = membershipScreen({
      endpoint: null,
      cache,
      textOf: () => 'never scored text',
      calibrationTexts: new Map([['math/easy', calibrationTexts]]),
    });
    await expect(none.screen('math/easy', ['x'])).rejects.toBeInstanceOf(LogprobsUnavailableError);
  });

  it('drawEligible screens lazily in draw-rank order, only as far as the allocation needs', async () => {
    const texts = new Map<string, string>([
      ...memorised.slice(0, 10).map((t, i) => [`m${i}`, t] as const),
      ...fresh.slice(0, 90).map((t, i) => [`f${i}`, t] as const),
    ]);
    const cache = LogprobCache.inMemory();
    const screen = membershipScreen({
      endpoint: openai(),
      cache,
      concurrency: 4,
      batchSize: 4,
      textOf: (id) => texts.get(id)!,
      calibrationTexts: new Map([['s', calibrationTexts]]),
    });
    const draw = await drawEligible({
      strata: new Map([['s', [...texts.keys()]]]),
      seed: 11,
      allocate: (eligible) =>
        allocateStrata({
          dataset: 't',
          size: 20,
          strata: [...eligible].map(([stratum, pool]) => ({ stratum, pool, share: 1, floor: 5 })),
          allowPoolLimited: true,
        }),
      exclusions: new Map(),
      lazy: [screen],
    });
    const taken = draw.drawn.get('s')!;
    expect(taken).toHaveLength(20);
    expect(taken.some((id) => id.startsWith('m'))).toBe(false);
    const screened = draw.lazyScreened.get('membership')!;
    expect(screened).toBeLessThan(texts.size); // not the whole pool
    expect(screen.report().strata[0].screened).toBe(screened);
    expect(cache.size).toBe(screened + calibrationTexts.length);
    // Every candidate passed over was flagged by this screen: the memorised ones ranked ahead of the last drawn, and at
    // most the one fresh text of the 90 whose z exceeds 3 (fresh[7], a run of the grammar's most predictable templates).
    expect(draw.quarantined.length).toBeGreaterThan(0);
    expect(draw.quarantined.every((q) => q.check === 'membership' && q.score! > 3)).toBe(true);
    expect(draw.quarantined.filter((q) => q.id.startsWith('f')).length).toBeLessThanOrEqual(1);
  });
});
