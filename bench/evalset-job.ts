/**
 * The evalset side of `npm run bench`: classify then sample one dataset, as `dvc repro` would run
 * the two stages, in one process. Started as a child by bench/sample.ts so that process start and
 * module loading count. Usage: node --import tsx bench/evalset-job.ts ROOT [DATASET]
 * Prints one JSON line on stdout at exit: peak RSS (KiB) and per-stage seconds.
 */
import { performance } from 'node:perf_hooks';
import { runClassify } from '../stages/classify.ts';
import { runSample } from '../stages/sample.ts';

const root = process.argv[2];
const dataset = process.argv[3] ?? 'bench';
if (!root) {
  process.stderr.write('usage: node --import tsx bench/evalset-job.ts ROOT [DATASET]\n');
  process.exit(2);
}

const steps: Record<string, number> = {};
let result: Record<string, unknown> = {};
process.on('exit', (code) => {
  if (code === 0) process.stdout.write(JSON.stringify({ maxrss_kib: process.resourceUsage().maxRSS, ...result, steps }) + '\n');
});

let t = performance.now();
const lap = (name: string) => {
  const now = performance.now();
  steps[name] = Math.round(now - t) / 1000;
  t = now;
};
const classified = await runClassify(root);
lap('classify');
const meta = await runSample(root, dataset);
lap('sample');
result = { pool: classified.examples, rows: meta.size.realised };
