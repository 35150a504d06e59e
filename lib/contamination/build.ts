/**
 * Building the contamination index from a reference corpus (issue 7, §1): size the filter for n
 * shingles at the target rate (sizing.ts), then add every `stride`-th shingle of every document.
 *
 * A whole build and a shard build are the same function: shard i of N indexes the files shardFiles
 * gives it, into a filter sized exactly like every other shard's (the same n, hence the same m and k),
 * so that their bitwise OR (merge.ts) is bit for bit the filter one whole build makes. That is why a
 * shard build needs n given: a shard cannot count the other shards' shingles.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EvalsetError, InvalidInputError } from '../errors.ts';
import { BloomIndex } from './bloomIndex.ts';
import { corpusDocuments, corpusManifestSha256, listCorpus, readDvcListing, shardFiles, type CorpusFile, type TokenPiece } from './corpus.ts';
import { INDEX_FORMAT_VERSION, writeIndexFile, type IndexHeader } from './indexFile.ts';
import { mergeIndexFiles } from './merge.ts';
import { DEFAULT_SHINGLE_WIDTH, NORMALIZER_VERSION, forEachShingleOf } from './normalize.ts';
import { sizeFor } from './sizing.ts';

export interface Shard {
  index: number;
  count: number;
}

export interface BuildProgress {
  phase: 'count' | 'index';
  /** Corpus bytes read so far in this phase, and in all (of this shard's files). */
  bytes: number;
  totalBytes: number;
  /** Shingles counted or indexed so far. */
  shingles: number;
}

export interface BuildOptions {
  corpusDir: string;
  /** Tokens per shingle (default 10). */
  width?: number;
  /** Target false-positive rate p (default 0.01). */
  fpr?: number;
  /** Index every s-th shingle (default 1). */
  stride?: number;
  /** xxHash64 seed (default 0). */
  seed?: bigint;
  /** n, the shingles the build will index (after the stride); required for a shard build. */
  expectedShingles?: number;
  /** Build shard i of N (default: the whole corpus, shard 0 of 1). */
  shard?: Shard;
  /**
   * A file holding `dvc list --json -R` of the corpus folder: the corpus listing when the folder holds
   * only this shard's files (a CI job that pulled its slice). Default: the folder's own listing.
   */
  listing?: string;
  segmentBytes?: number;
  chunkBytes?: number;
  onProgress?: (progress: BuildProgress) => void;
}

export const DEFAULT_FPR = 0.01;

/** The corpus listing, this shard's files and their total size. */
async function plan(options: BuildOptions): Promise<{ listing: CorpusFile[]; files: CorpusFile[]; totalBytes: number }> {
  const listing = options.listing ? await readDvcListing(options.listing) : await listCorpus(options.corpusDir);
  const shard = options.shard ?? { index: 0, count: 1 };
  const files = shardFiles(listing, shard.index, shard.count);
  let totalBytes = 0;
  for (const file of files) {
    if (file.bytes !== null) totalBytes += file.bytes;
    else {
      const full = join(options.corpusDir, ...file.path.split('/'));
      try {
        totalBytes += (await stat(full)).size;
      } catch {
        throw new InvalidInputError(
          [{ file: full, message: `is in shard ${shard.index}/${shard.count} of the listing but not in ${options.corpusDir}` }],
          {
            hint: `Pull this shard's files first (\`evalset contamination files --listing ${options.listing} --shard ${shard.index}/${shard.count}\` lists them).`,
          },
        );
      }
    }
  }
  return { listing, files, totalBytes };
}

/**
 * Call `visit` with every indexed shingle of the documents (in a reused buffer: see forEachShingleOf): per document, the shingles starting at
 * token 0, s, 2s, … A document in several pieces is joined across them: the last width − 1 tokens of
 * a piece are carried into the next, and the stride is counted from the document's first token, so
 * the shingles are exactly those of the whole document.
 */
export async function forEachShingle(
  pieces: AsyncIterable<TokenPiece>,
  width: number,
  stride: number,
  visit: (shingle: Uint8Array) => void,
): Promise<void> {
  await walkPieces(pieces, width, stride, (tokens, skip) => forEachShingleOf(skip ? tokens.slice(skip) : tokens, width, stride, visit));
}

/** How many shingles forEachShingle would visit, without encoding any of them. */
export async function countShingles(pieces: AsyncIterable<TokenPiece>, width: number, stride: number, counter = { shingles: 0 }): Promise<number> {
  await walkPieces(pieces, width, stride, (tokens, skip) => {
    const usable = tokens.length - skip;
    if (usable >= width) counter.shingles += Math.floor((usable - width) / stride) + 1;
  });
  return counter.shingles;
}

/** `window(tokens, skip)`: a run of a document's tokens whose shingles starting at skip, skip + s, … are the next indexed ones. */
async function walkPieces(pieces: AsyncIterable<TokenPiece>, width: number, stride: number, window: (tokens: string[], skip: number) => void) {
  let carry: string[] = [];
  let position = 0; // the index of carry[0] in its document
  for await (const piece of pieces) {
    if (piece.first) {
      carry = [];
      position = 0;
    }
    const tokens = carry.length ? carry.concat(piece.tokens) : piece.tokens;
    window(tokens, (stride - (position % stride)) % stride);
    const keep = Math.min(tokens.length, width - 1);
    carry = tokens.slice(tokens.length - keep);
    position += tokens.length - keep;
  }
}

function checkOptions(options: BuildOptions) {
  const width = options.width ?? DEFAULT_SHINGLE_WIDTH;
  const stride = options.stride ?? 1;
  const fpr = options.fpr ?? DEFAULT_FPR;
  const seed = options.seed ?? 0n;
  const shard = options.shard ?? { index: 0, count: 1 };
  const issues = [];
  if (!Number.isSafeInteger(width) || width < 1) issues.push({ file: '--width', message: `must be a whole number ≥ 1, not ${width}` });
  if (!Number.isSafeInteger(stride) || stride < 1) issues.push({ file: '--stride', message: `must be a whole number ≥ 1, not ${stride}` });
  if (!(fpr > 0 && fpr < 1)) issues.push({ file: '--fpr', message: `must lie strictly between 0 and 1, not ${fpr}` });
  if (seed < 0n || seed >= 1n << 64n) issues.push({ file: '--seed', message: `must be an unsigned 64-bit integer, not ${seed}` });
  if (!Number.isSafeInteger(shard.count) || shard.count < 1 || !Number.isSafeInteger(shard.index) || shard.index < 0 || shard.index >= shard.count)
    issues.push({ file: '--shard', message: `${shard.index}/${shard.count} is not i/N with 0 ≤ i < N` });
  const n = options.expectedShingles;
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) issues.push({ file: '--shingles', message: `must be a whole number ≥ 0, not ${n}` });
  if (n === undefined && shard.count > 1)
    issues.push({
      file: '--shingles',
      message: `a shard build (--shard ${shard.index}/${shard.count}) needs the corpus's shingle count: every shard must size its filter identically, and one shard cannot count the others' shingles (\`evalset contamination count --corpus DIR\` counts them)`,
    });
  if (issues.length) throw new InvalidInputError(issues);
  return { width, stride, fpr, seed, shard };
}

/**
 * Build the index of a corpus, or of one shard of it. Without `expectedShingles` (whole builds only)
 * a first pass counts the shingles exactly, so the filter is sized for the corpus it holds.
 */
export async function buildIndex(options: BuildOptions): Promise<{ header: IndexHeader; index: BloomIndex }> {
  const { width, stride, fpr, seed, shard } = checkOptions(options);
  const { listing, files, totalBytes } = await plan(options);
  const read = (phase: BuildProgress['phase'], counter: { shingles: number }) => {
    let bytes = 0;
    return corpusDocuments(options.corpusDir, files, {
      chunkBytes: options.chunkBytes,
      onBytes: (n) => {
        bytes += n;
        options.onProgress?.({ phase, bytes, totalBytes, shingles: counter.shingles });
      },
    });
  };
  let expected = options.expectedShingles;
  if (expected === undefined) {
    const counted = { shingles: 0 };
    expected = await countShingles(read('count', counted), width, stride, counted);
  }
  const size = sizeFor(expected, fpr);
  const index = await BloomIndex.create({ bits: size.bits, hashes: size.hashes, seed }, { segmentBytes: options.segmentBytes });
  const counter = { shingles: 0 };
  await forEachShingle(read('index', counter), width, stride, (s) => {
    index.add(s);
    counter.shingles++;
  });
  const header: IndexHeader = {
    formatVersion: INDEX_FORMAT_VERSION,
    bits: size.bits,
    hashes: size.hashes,
    seed,
    width,
    normalizerVersion: NORMALIZER_VERSION,
    stride,
    inserted: counter.shingles,
    expectedShingles: expected,
    targetFpr: fpr,
    shardIndex: shard.index,
    shardCount: shard.count,
    manifestSha256: corpusManifestSha256(listing),
  };
  return { header, index };
}

/** Build (buildIndex) and write the index file atomically; returns its header. */
export async function buildIndexFile(options: BuildOptions & { out: string }): Promise<IndexHeader> {
  const { header, index } = await buildIndex(options);
  await writeIndexFile(options.out, header, index);
  return header;
}

/** The shingle count of a corpus (or of one shard of it), as the build would index them. */
export async function countCorpusShingles(options: BuildOptions): Promise<number> {
  const { width, stride } = checkOptions({ ...options, expectedShingles: options.expectedShingles ?? 0 });
  const { files } = await plan(options);
  return countShingles(corpusDocuments(options.corpusDir, files, { chunkBytes: options.chunkBytes }), width, stride);
}

/** A child process of the CLI failed. */
export class ShardBuildError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint = "Read the shard's message above; run that `evalset contamination` command alone to see it in full.";
  constructor(command: string, status: number | null, stderr: string) {
    super(`\`${command}\` failed with exit code ${status}: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
}

const BIN = fileURLToPath(new URL('../../bin/evalset.js', import.meta.url));

/** Run `evalset ARGS` as a child process; its stdout. */
function evalsetChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-semi-space-size=64', BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) =>
      status === 0 ? resolve(stdout) : reject(new ShardBuildError(`evalset ${args.join(' ')}`, status, stderr || stdout)),
    );
  });
}

/**
 * Build the whole corpus's index with `jobs` processes on this machine: shards 0..J−1 built by J
 * child processes of the CLI (`evalset contamination build --shard i/J`), then merged by OR into
 * `out`. The result is byte for byte the single-process build's (test/contaminationIndex.test.ts).
 * Without `expectedShingles` the children count their shards first, in parallel too. The same
 * independent shard processes are what the GitHub Actions matrix and a Kubernetes Indexed Job run
 * on many machines.
 */
export async function buildIndexInParallel(
  options: Omit<BuildOptions, 'shard' | 'onProgress'> & { out: string; jobs: number },
): Promise<IndexHeader> {
  const jobs = options.jobs;
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new InvalidInputError([{ file: '--jobs', message: `must be a whole number ≥ 1, not ${jobs}` }]);
  const { width, stride, fpr, seed } = checkOptions({ ...options, shard: undefined });
  if (jobs === 1) return buildIndexFile(options);
  const common = [
    '--corpus',
    options.corpusDir,
    '--width',
    String(width),
    '--stride',
    String(stride),
    ...(options.listing ? ['--listing', options.listing] : []),
  ];
  const shards = Array.from({ length: jobs }, (_, i) => i);
  let expected = options.expectedShingles;
  if (expected === undefined) {
    const counts = await Promise.all(shards.map((i) => evalsetChild(['contamination', 'count', ...common, '--shard', `${i}/${jobs}`, '--json'])));
    expected = counts.reduce((sum, out) => sum + (JSON.parse(out) as { shingles: number }).shingles, 0);
  }
  const dir = await mkdtemp(join(tmpdir(), 'evalset-shards-'));
  try {
    const paths = shards.map((i) => join(dir, `shard-${i}.bloom`));
    await Promise.all(
      shards.map((i) =>
        evalsetChild([
          'contamination',
          'build',
          ...common,
          '--fpr',
          String(fpr),
          '--seed',
          seed.toString(),
          '--shingles',
          String(expected),
          '--shard',
          `${i}/${jobs}`,
          '--out',
          paths[i],
        ]),
      ),
    );
    return await mergeIndexFiles(paths, options.out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
