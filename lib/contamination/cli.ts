/**
 * The contamination index's commands (issue 7, §1): `evalset contamination size | count | files |
 * build | merge | scan`. Each is a thin shell over lib/contamination: sizing.ts, build.ts, merge.ts,
 * scan.ts. Long work (build, scan) shows shingles/s and an ETA on a TTY, and nothing otherwise.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Argv } from 'yargs';
import { run, type Commands, type Common } from '../cli/command.ts';
import { emit } from '../cli/output.ts';
import { InvalidInputError } from '../errors.ts';
import { buildIndexFile, buildIndexInParallel, countCorpusShingles, DEFAULT_FPR, type BuildProgress, type Shard } from './build.ts';
import { corpusTexts, listCorpus, readDvcListing, shardFiles } from './corpus.ts';
import { startDemoModelServer } from './membership/demoServer.ts';
import { headerJson, readIndexFile, type IndexHeader } from './indexFile.ts';
import { mergeIndexFiles } from './merge.ts';
import { DEFAULT_SHINGLE_WIDTH } from './normalize.ts';
import { expectedFalsePositiveRate, guaranteedRunTokens, scanJsonl } from './scan.ts';
import { fitBudget, sizeFor } from './sizing.ts';

const n = (x: number) => x.toLocaleString('en-US');
const percent = (p: number) => `${(p * 100).toPrecision(3)}%`;
const gigabytes = (bytes: number) => `${(bytes / 1e9).toFixed(bytes >= 1e9 ? 1 : 4)} GB`;

function parseShard(text: string | undefined): Shard | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const shard = match && { index: Number(match[1]), count: Number(match[2]) };
  if (!shard || shard.count < 1 || shard.index >= shard.count)
    throw new InvalidInputError([{ file: '--shard', message: `"${text}" is not i/N with 0 ≤ i < N (shards are numbered from 0)` }]);
  return shard;
}

function parseSeed(text: string): bigint {
  if (!/^\d+$/.test(text) || BigInt(text) >= 1n << 64n)
    throw new InvalidInputError([{ file: '--seed', message: `"${text}" is not an unsigned 64-bit integer (decimal)` }]);
  return BigInt(text);
}

/** A progress bar on stderr when it is a TTY (else undefined): bytes done of total, shingles/s, ETA. */
function progressBar(label: string, total: number) {
  if (!process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {shingles} shingles | {rate} shingles/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  bar.start(Math.max(total, 1), 0, { shingles: '0', rate: '0' });
  return {
    update(bytes: number, shingles: number) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(Math.min(bytes, total), { shingles: n(shingles), rate: n(Math.round(seconds > 0 ? shingles / seconds : 0)) });
    },
    stop: () => bar.stop(),
  };
}

/** Build progress: one bar per phase (count, then index). */
function buildProgress() {
  let phase: BuildProgress['phase'] | undefined;
  let bar: ReturnType<typeof progressBar>;
  return {
    onProgress(p: BuildProgress) {
      if (!process.stderr.isTTY) return;
      if (p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        bar = progressBar(phase === 'count' ? 'counting shingles' : 'indexing', p.totalBytes);
      }
      bar?.update(p.bytes, p.shingles);
    },
    stop: () => bar?.stop(),
  };
}

const describeHeader = (header: IndexHeader) =>
  [
    `m = ${n(header.bits)} bits (${gigabytes(header.bits / 8)}), k = ${header.hashes} hashes, seed ${header.seed}`,
    `shingles of ${header.width} tokens (normaliser version ${header.normalizerVersion}), every ${header.stride === 1 ? '' : `${header.stride}th `}shingle indexed: ${n(header.inserted)} inserted, sized for ${n(header.expectedShingles)} at ${percent(header.targetFpr)}`,
    `shard ${header.shardIndex}/${header.shardCount}, corpus manifest sha256 ${header.manifestSha256}`,
  ].join('\n');

type BuildArgs = Common & {
  corpus: string;
  out: string;
  width: number;
  fpr: number;
  stride: number;
  seed: string;
  shingles?: number;
  shard?: string;
  jobs: number;
  listing?: string;
};

const corpusOptions = (y: Argv<Common>) =>
  y
    .option('corpus', { type: 'string', demandOption: true, describe: 'the reference corpus folder (.txt and .jsonl files)' })
    .option('width', { type: 'number', default: DEFAULT_SHINGLE_WIDTH, describe: 'tokens per shingle' })
    .option('stride', {
      type: 'number',
      default: 1,
      describe: 'index every s-th shingle (a shared run of width + s − 1 tokens is still always found)',
    })
    .option('shard', { type: 'string', describe: 'only shard i of N (i/N, from 0): a deterministic slice of the corpus files' })
    .option('listing', { type: 'string', describe: "the corpus listing from `dvc list --json -R`, when --corpus holds only this shard's files" });

export const commands: Commands = () => [
  {
    command: 'contamination',
    describe: 'the n-gram contamination index (size, count, files, build, merge, scan) and the demo model server (serve-demo)',
    builder: (y: Argv<Common>) =>
      y
        .command(
          'size',
          'the memory a Bloom filter needs for N shingles at a false-positive rate P; with --memory, the rate that budget gives and the stride that restores P',
          (z) =>
            z
              .option('shingles', { type: 'number', demandOption: true, describe: 'n, the shingles to index (e.g. 100e9)' })
              .option('fpr', { type: 'number', default: DEFAULT_FPR, describe: 'target false-positive rate p' })
              .option('memory', { type: 'number', describe: 'a memory budget in bytes (e.g. 8e9)' }),
          run<Common & { shingles: number; fpr: number; memory?: number }>((args) => {
            const issues = [];
            if (!(args.shingles >= 0) || !Number.isFinite(args.shingles))
              issues.push({ file: '--shingles', message: `must be a number ≥ 0, not ${args.shingles}` });
            if (!(args.fpr > 0 && args.fpr < 1)) issues.push({ file: '--fpr', message: `must lie strictly between 0 and 1, not ${args.fpr}` });
            if (args.memory !== undefined && !(args.memory >= 1 && Number.isFinite(args.memory)))
              issues.push({ file: '--memory', message: `must be at least 1 byte, not ${args.memory}` });
            if (issues.length) throw new InvalidInputError(issues);
            const size = sizeFor(args.shingles, args.fpr);
            const fit = args.memory === undefined ? undefined : fitBudget(args.shingles, args.memory, args.fpr);
            const json = {
              shingles: args.shingles,
              target_fpr: args.fpr,
              bits_per_shingle: size.bitsPerShingle,
              bits: size.bits,
              bytes: size.bytes,
              hashes: size.hashes,
              expected_fpr: size.expectedFpr,
              ...(fit && {
                memory_bytes: fit.memoryBytes,
                memory_hashes: fit.hashes,
                fpr: fit.fpr,
                stride: fit.stride,
                stride_hashes: fit.strideHashes,
                stride_fpr: fit.strideFpr,
              }),
            };
            emit(args.json, json, () =>
              [
                `${n(args.shingles)} shingles at a false-positive rate of ${percent(args.fpr)} need ${n(size.bits)} bits = ${gigabytes(size.bytes)} (${size.bitsPerShingle.toFixed(3)} bits per shingle) with k = ${size.hashes} hashes.`,
                ...(fit
                  ? [
                      `A budget of ${gigabytes(fit.memoryBytes)} gives a false-positive rate of ${percent(fit.fpr)} (k = ${fit.hashes}).`,
                      fit.stride === 1
                        ? 'It holds every shingle at the target rate: stride 1.'
                        : `Indexing every ${fit.stride}th shingle brings it back to ${percent(fit.strideFpr)} (k = ${fit.strideHashes}); a shared run of width + ${fit.stride - 1} tokens is then still always found.`,
                    ]
                  : []),
              ].join('\n'),
            );
          }),
        )
        .command(
          'count',
          'count the shingles a build would index (feed it to `size`, or to `build --shingles` for sharded builds)',
          (z) => corpusOptions(z),
          run<Omit<BuildArgs, 'out' | 'fpr' | 'seed' | 'jobs'>>(async (args) => {
            const shingles = await countCorpusShingles({
              corpusDir: resolve(args.corpus),
              width: args.width,
              stride: args.stride,
              shard: parseShard(args.shard),
              listing: args.listing && resolve(args.listing),
            });
            emit(args.json, { shingles }, () => `${n(shingles)} shingles`);
          }),
        )
        .command(
          'files',
          'the corpus files of one shard, one path a line (relative to the corpus folder), for `dvc pull`',
          (z) =>
            z
              .option('corpus', { type: 'string', describe: 'the corpus folder (or give --listing)' })
              .option('listing', { type: 'string', describe: 'the corpus listing from `dvc list --json -R`' })
              .option('shard', { type: 'string', demandOption: true, describe: 'shard i of N (i/N, from 0)' }),
          run<Common & { corpus?: string; listing?: string; shard: string }>(async (args) => {
            if (!args.corpus === !args.listing) throw new InvalidInputError([{ file: '--corpus', message: 'give either --corpus or --listing' }]);
            const listing = args.listing ? await readDvcListing(resolve(args.listing)) : await listCorpus(resolve(args.corpus!));
            const shard = parseShard(args.shard)!;
            const files = shardFiles(listing, shard.index, shard.count).map((f) => f.path);
            emit(args.json, { files }, () => files.join('\n'));
          }),
        )
        .command(
          'build',
          'build the Bloom index of a reference corpus (or of one shard of it) into a file',
          (z) =>
            corpusOptions(z)
              .option('out', { type: 'string', demandOption: true, describe: 'the index file to write' })
              .option('fpr', { type: 'number', default: DEFAULT_FPR, describe: 'target false-positive rate p' })
              .option('seed', { type: 'string', default: '0', describe: 'xxHash64 seed (unsigned 64-bit, decimal)' })
              .option('shingles', { type: 'number', describe: 'n to size for (default: counted in a first pass; required with --shard)' })
              .option('jobs', { type: 'number', default: 1, describe: 'build in J local processes (J shards, merged)' }),
          run<BuildArgs>(async (args) => {
            const options = {
              corpusDir: resolve(args.corpus),
              out: resolve(args.out),
              width: args.width,
              fpr: args.fpr,
              stride: args.stride,
              seed: parseSeed(args.seed),
              expectedShingles: args.shingles,
              shard: parseShard(args.shard),
              listing: args.listing && resolve(args.listing),
            };
            if (args.jobs !== 1 && options.shard)
              throw new InvalidInputError([
                { file: '--jobs', message: '--jobs builds the whole corpus in local shards: leave out --shard, or --jobs' },
              ]);
            const started = performance.now();
            const progress = buildProgress();
            let header: IndexHeader;
            try {
              header =
                args.jobs === 1
                  ? await buildIndexFile({ ...options, onProgress: progress.onProgress })
                  : await buildIndexInParallel({ ...options, jobs: args.jobs });
            } finally {
              progress.stop();
            }
            const seconds = (performance.now() - started) / 1000;
            emit(args.json, { index: headerJson(header), file: options.out, seconds, shingles_per_second: header.inserted / seconds }, () =>
              [
                `wrote ${options.out} in ${seconds.toFixed(1)} s (${n(Math.round(header.inserted / seconds))} shingles/s)`,
                describeHeader(header),
              ].join('\n'),
            );
          }),
        )
        .command(
          'merge <shards..>',
          'merge the shard files of one build by bitwise OR (refuses mismatched parameters and incomplete shard sets)',
          (z) =>
            z
              .positional('shards', { type: 'string', array: true, demandOption: true, describe: 'the shard files, 0..N−1 in any order' })
              .option('out', { type: 'string', demandOption: true, describe: 'the merged index file to write' }),
          run<Common & { shards: string[]; out: string }>(async (args) => {
            const header = await mergeIndexFiles(
              args.shards.map((s) => resolve(s)),
              resolve(args.out),
            );
            emit(
              args.json,
              { index: headerJson(header), file: resolve(args.out) },
              () => `merged ${args.shards.length} shards into ${args.out}\n${describeHeader(header)}`,
            );
          }),
        )
        .command(
          'scan',
          'score each example of a JSONL file (`id`, `prompt` or `text`): the fraction of its shingles found in the index',
          (z) =>
            z
              .option('index', { type: 'string', demandOption: true, describe: 'the index file' })
              .option('input', { type: 'string', demandOption: true, describe: 'a JSONL file of examples' }),
          run<Common & { index: string; input: string }>(async (args) => {
            const { header, index } = await readIndexFile(resolve(args.index));
            let total = 0;
            try {
              total = statSync(resolve(args.input)).size;
            } catch {
              // scanJsonl reports the unreadable file with its reason
            }
            const bar = progressBar('scanning', total);
            let examples;
            try {
              examples = scanJsonl(index, header, resolve(args.input), (p) => bar?.update(p.bytes, p.shingles));
            } finally {
              bar?.stop();
            }
            const baseline = expectedFalsePositiveRate(header);
            emit(args.json, { index: headerJson(header), examples }, () => {
              const width = Math.max(2, ...examples.map((e) => e.id.length));
              return [
                `index ${args.index}: ${n(header.inserted)} shingles of ${header.width} tokens, stride ${header.stride}`,
                `expected score of a clean example (the false-positive rate): ${percent(baseline)}`,
                `guarantee: any shared run of at least ${guaranteedRunTokens(header)} tokens (width ${header.width} + stride ${header.stride} − 1) is found`,
                '',
                ...examples.map(
                  (e) =>
                    `${e.id.padEnd(width)}  ${e.score === null ? `unscorable (fewer than ${header.width} tokens)` : `${percent(e.score).padStart(7)}  ${n(e.hits)} of ${n(e.shingles)} shingles`}`,
                ),
              ].join('\n');
            });
          }),
        )
        .command(
          'serve-demo',
          'serve the demo model (a Kneser–Ney 4-gram trained on the reference corpus) over HTTP in the vLLM and TGI shapes, until interrupted',
          (z) =>
            z
              .option('corpus', { type: 'string', default: 'datasets/reference-corpus', describe: 'the corpus it is trained on' })
              .option('port', { type: 'number', default: 8000, describe: 'the port on 127.0.0.1 (0: any free port)' })
              .option('model', { type: 'string', default: 'evalset-demo-4gram', describe: 'the model id it answers as' }),
          run<Common & { corpus: string; port: number; model: string }>(async (args) => {
            const server = await startDemoModelServer({ corpus: corpusTexts(resolve(args.root, args.corpus)), port: args.port, model: args.model });
            process.stderr.write(
              `evalset: the demo model ${args.model} answers at ${server.url}/v1/completions and ${server.url}/generate (Ctrl-C stops it)\n`,
            );
            await new Promise<void>((done) => process.once('SIGINT', () => done()));
            await server.close();
          }),
        )
        .demandCommand(1, 'name a subcommand: size, count, files, build, merge, scan, serve-demo'),
    handler: () => {},
  },
];
