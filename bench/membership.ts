/**
 * `npm run bench:membership`: membership inference's client against the demo model server (lib/contamination/membership),
 * as issue 7 asks: 10,000 examples with 50 ms added latency per request at concurrency 32 (goal ≥ 500 examples/s), then
 * the same examples again from the cache (goal ≤ 1 s, opening the cache file included).
 *
 *   npm run bench:membership [-- --examples N] [--latency MS] [--concurrency C] [--json]
 *
 * The server runs in a child process (this file with --serve), as a model endpoint runs apart from its client, so the
 * client's figures are its own. Its model is the 4-gram Kneser–Ney of ngramModel.ts trained on 2,000 word problems
 * (test/support/membershipTexts.ts); the examples are 2,000 of those (memorised) and 8,000 fresh ones of the same
 * grammar, 6–9 sentences (about 120 cl100k tokens) each. Three runs: one prompt per request (`echo`), eight prompts per
 * request (the completions route takes a list), and the cached re-run. The detection figures at the end use the first
 * 200 fresh examples as the calibration set (z > 3 flags).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calibrationStats, zScore } from '../lib/contamination/membership/calibration.ts';
import { LogprobCache } from '../lib/contamination/membership/cache.ts';
import { scoreTexts } from '../lib/contamination/membership/client.ts';
import { startDemoModelServer } from '../lib/contamination/membership/demoServer.ts';
import type { LogprobEndpoint } from '../lib/contamination/membership/endpoint.ts';
import { meanLogprob } from '../lib/contamination/membership/score.ts';
import { wordProblems } from '../test/support/membershipTexts.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const corpus = wordProblems(2000, 1);

if (process.argv.includes('--serve')) {
  const server = await startDemoModelServer({ corpus, latencyMs: arg('latency', 50) });
  process.stdout.write(`${JSON.stringify({ url: server.url, model: server.model })}\n`);
  process.stdin.on('data', () => process.stdout.write(`${JSON.stringify(server.stats)}\n`));
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
} else {
  const examples = arg('examples', 10_000);
  const latency = arg('latency', 50);
  const concurrency = arg('concurrency', 32);
  const json = process.argv.includes('--json');
  const memorisedCount = Math.round(examples / 5);
  const texts = [...corpus.slice(0, memorisedCount), ...wordProblems(examples - memorisedCount, 5)];

  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', '--latency', String(latency)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const nextLine = () => new Promise<string>((resolve) => (lines.length ? resolve(lines.shift()!) : waiters.push(resolve)));
  const serverStats = async () => {
    child.stdin.write('\n');
    return JSON.parse(await nextLine()) as { requests: number; prompts: number };
  };

  const { url, model } = JSON.parse(await nextLine()) as { url: string; model: string };
  const endpoint: LogprobEndpoint = { api: 'openai', baseUrl: `${url}/v1`, model, timeoutMs: 30_000 };
  const dir = mkdtempSync(join(tmpdir(), 'evalset-bench-mi-'));
  const runs: Record<string, unknown>[] = [];
  try {
    const timed = async (name: string, path: string, batchSize: number) => {
      const before = await serverStats();
      const started = performance.now();
      const cache = LogprobCache.open(path);
      const result = await scoreTexts(texts, { endpoint, cache, concurrency, batchSize });
      cache.close();
      const seconds = (performance.now() - started) / 1000;
      const after = await serverStats();
      const row = {
        run: name,
        examples: texts.length,
        seconds: Number(seconds.toFixed(3)),
        examples_per_s: Math.round(texts.length / seconds),
        requests: after.requests - before.requests,
        cache_hits: result.cacheHits,
        cache_bytes: statSync(path).size,
      };
      runs.push(row);
      return result;
    };
    const first = await timed(`1 prompt/request, concurrency ${concurrency}, ${latency} ms latency`, join(dir, 'one.jsonl'), 1);
    await timed(`8 prompts/request, concurrency ${concurrency}, ${latency} ms latency`, join(dir, 'eight.jsonl'), 8);
    await timed('cached re-run (open the cache file + score)', join(dir, 'one.jsonl'), 1);

    const scores = first.logprobs.map(meanLogprob);
    const calibration = calibrationStats(scores.slice(memorisedCount, memorisedCount + 200));
    const flagged = (from: number, to: number) => scores.slice(from, to).filter((s) => zScore(s, calibration) > 3).length;
    const detection = {
      calibration: { n: calibration.n, mean: Number(calibration.mean!.toFixed(4)), sd: Number(calibration.sd!.toFixed(4)) },
      memorised_flagged: `${flagged(0, memorisedCount)} / ${memorisedCount}`,
      fresh_flagged: `${flagged(memorisedCount + 200, texts.length)} / ${texts.length - memorisedCount - 200}`,
    };
    if (json) process.stdout.write(`${JSON.stringify({ runs, detection }, null, 2)}\n`);
    else {
      console.table(runs);
      console.log('detection (mean log-prob, z > 3):', detection);
    }
  } finally {
    child.stdin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}
