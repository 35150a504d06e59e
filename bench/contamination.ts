/**
 * `npm run bench:contamination`: the contamination index build (lib/contamination/build.ts) on real
 * text, against the `bloom-filters` package doing the same work in the same run.
 *
 *   npm run bench:contamination [-- --runs N] [--json]
 *
 * --runs N  repeat each timing N times and report the medians (default 3)
 * --json    print the result as JSON on stdout instead of a table
 *
 * The corpus: War and Peace (Project Gutenberg #2600) and tinyshakespeare, from ../shared/data beside
 * the project root (public-domain books; the bench says so and exits 0 when that folder is absent).
 * Shingles of 10 tokens, stride 1, target rate 1%, seed 0. Figures:
 * - end to end, one process: `buildIndexFile` with the shingle count given (one pass: read, normalise,
 *   tokenise, shingle, hash, set bits, write the file), in corpus MB/s (10^6 bytes) and shingles/s;
 *   and the unsized build (a counting pass first) beside it;
 * - the peer end to end: the same files read whole, the same tokenizer (normalize.ts, so both sides
 *   index the same shingles), each shingle as a string into a `bloom-filters` BloomFilter of the same
 *   m and k; the ratio is peer time / evalset time;
 * - pre-tokenised inserts/s: `BloomIndex.add` over the shingles already encoded (each its own
 *   Uint8Array), and the peer's `add` over the same shingles as strings;
 * - the file's size against m/8 (the header is 128 bytes);
 * - the false-positive rate measured on 100,000 non-member shingles (tokens that never occur in the
 *   corpus), beside the formula's (1 − e^(−kn/m))^k for the inserted n.
 *
 * Progress goes to stderr.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import bloomFilters from 'bloom-filters';
import { BloomIndex } from '../lib/contamination/bloomIndex.ts';
import { buildIndexFile, countCorpusShingles } from '../lib/contamination/build.ts';
import { readIndexFile } from '../lib/contamination/indexFile.ts';
import { shingles, tokenize } from '../lib/contamination/normalize.ts';
import { expectedFalsePositiveRate } from '../lib/contamination/scan.ts';
import { sizeFor } from '../lib/contamination/sizing.ts';
import { median } from './timing.ts';

const { BloomFilter } = bloomFilters;
const PROJECT = fileURLToPath(new URL('../', import.meta.url));
const DATA = resolve(PROJECT, '..', 'shared', 'data');
const BOOKS = ['war_and_peace_pg2600.txt', 'tinyshakespeare.txt'];
const WIDTH = 10;
const FPR = 0.01;
const PROBES = 100_000;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
const runs = Math.max(1, Number(values.runs));
const log = (message: string) => process.stderr.write(`${message}\n`);

if (!BOOKS.every((book) => existsSync(join(DATA, book)))) {
  log(`bench:contamination: ${DATA} with ${BOOKS.join(' and ')} is absent: nothing to measure (the public-domain books live beside the project).`);
  process.exit(0);
}

const load = [loadavg()[0]];
const dir = mkdtempSync(join(tmpdir(), 'evalset-bench-contamination-'));
const corpus = join(dir, 'corpus');
mkdirSync(corpus);
for (const book of BOOKS) symlinkSync(join(DATA, book), join(corpus, book));
const corpusBytes = BOOKS.reduce((sum, book) => sum + statSync(join(DATA, book)).size, 0);

try {
  const n = await countCorpusShingles({ corpusDir: corpus, width: WIDTH });
  const size = sizeFor(n, FPR);
  log(`corpus: ${BOOKS.join(' + ')}, ${(corpusBytes / 1e6).toFixed(2)} MB, ${n.toLocaleString('en-US')} shingles of ${WIDTH} tokens`);

  // evalset end to end, sized (one pass) and unsized (count, then index).
  const out = join(dir, 'index.bloom');
  const sized: number[] = [];
  const unsized: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t = performance.now();
    await buildIndexFile({ corpusDir: corpus, out, width: WIDTH, fpr: FPR, expectedShingles: n });
    sized.push((performance.now() - t) / 1000);
    t = performance.now();
    await buildIndexFile({ corpusDir: corpus, out: join(dir, 'unsized.bloom'), width: WIDTH, fpr: FPR });
    unsized.push((performance.now() - t) / 1000);
    log(`evalset run ${r + 1}: ${sized[r].toFixed(3)} s sized, ${unsized[r].toFixed(3)} s unsized`);
  }
  const fileBytes = statSync(out).size;
  const { header, index } = await readIndexFile(out);

  // The peer end to end: the same tokens, each shingle a string.
  const peerRun = () => {
    const t = performance.now();
    const filter = new BloomFilter(size.bits, size.hashes);
    let added = 0;
    for (const book of BOOKS) {
      const tokens = tokenize(readFileSync(join(corpus, book), 'utf8'));
      for (let i = 0; i + WIDTH <= tokens.length; i++) {
        filter.add(tokens.slice(i, i + WIDTH).join(' '));
        added++;
      }
    }
    return { seconds: (performance.now() - t) / 1000, added, filter };
  };
  const peer = peerRun(); // once: it is the slow side
  if (peer.added !== header.inserted) throw new Error(`the peer added ${peer.added} shingles, evalset ${header.inserted}`);
  log(`bloom-filters: ${peer.seconds.toFixed(2)} s`);

  // Pre-tokenised inserts.
  const encoded: Uint8Array[] = [];
  const strings: string[] = [];
  const decoder = new TextDecoder();
  for (const book of BOOKS)
    for (const s of shingles(tokenize(readFileSync(join(corpus, book), 'utf8')), WIDTH)) {
      encoded.push(s.slice());
      strings.push(decoder.decode(s));
    }
  const insertTimes: number[] = [];
  for (let r = 0; r < Math.max(runs, 5); r++) {
    const fresh = await BloomIndex.create({ bits: size.bits, hashes: size.hashes, seed: 0n });
    const t = performance.now();
    for (const s of encoded) fresh.add(s);
    insertTimes.push((performance.now() - t) / 1000);
  }
  const peerFilter = new BloomFilter(size.bits, size.hashes);
  let t = performance.now();
  for (const s of strings) peerFilter.add(s);
  const peerInsert = (performance.now() - t) / 1000;

  // False positives on non-members: 'zqx' tokens never occur in either book.
  const probeTokens = Array.from({ length: PROBES + WIDTH - 1 }, (_, i) => `zqx${(i * 2654435761) % 1_000_003}`);
  const probes = shingles(probeTokens, WIDTH);
  let hits = 0;
  t = performance.now();
  for (const s of probes) if (index.has(s)) hits++;
  const probeSeconds = (performance.now() - t) / 1000;
  load.push(loadavg()[0]);

  const evalsetSeconds = median(sized);
  const result = {
    date: new Date().toISOString().slice(0, 10),
    node: process.version,
    load_average: load.map((l) => Number(l.toFixed(2))),
    runs,
    corpus_bytes: corpusBytes,
    shingles: header.inserted,
    bits: header.bits,
    hashes: header.hashes,
    evalset_seconds: evalsetSeconds,
    evalset_mb_per_s: corpusBytes / 1e6 / evalsetSeconds,
    evalset_shingles_per_s: header.inserted / evalsetSeconds,
    evalset_unsized_seconds: median(unsized),
    peer_seconds: peer.seconds,
    peer_shingles_per_s: peer.added / peer.seconds,
    end_to_end_ratio: peer.seconds / evalsetSeconds,
    inserts_per_s: encoded.length / median(insertTimes),
    peer_inserts_per_s: strings.length / peerInsert,
    insert_ratio: peerInsert / median(insertTimes),
    file_bytes: fileBytes,
    file_over_m8: fileBytes / (header.bits / 8),
    probes: probes.length,
    measured_fpr: hits / probes.length,
    formula_fpr: expectedFalsePositiveRate(header),
    lookups_per_s: probes.length / probeSeconds,
  };
  if (values.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else {
    const f = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    const rows: [string, string, string][] = [
      ['end to end, one process (MB/s)', f(result.evalset_mb_per_s, 2), ''],
      ['end to end, one process (shingles/s)', f(result.evalset_shingles_per_s), ''],
      ['end to end, unsized (count pass + build) (s)', f(result.evalset_unsized_seconds, 3), ''],
      ['bloom-filters end to end (shingles/s)', f(result.peer_shingles_per_s), ''],
      ['end-to-end ratio evalset / bloom-filters', `${f(result.end_to_end_ratio, 1)}×`, '≥ 40×'],
      ['pre-tokenised inserts/s', f(result.inserts_per_s), '≥ 5,000,000'],
      ['bloom-filters pre-tokenised inserts/s', f(result.peer_inserts_per_s), ''],
      ['file size / (m/8)', f(result.file_over_m8, 5), '≤ 1.01'],
      [`measured fpr on ${f(result.probes)} non-members`, `${f(result.measured_fpr * 100, 3)}%`, `formula ${f(result.formula_fpr * 100, 3)}%`],
    ];
    process.stdout.write(
      `${f(corpusBytes / 1e6, 2)} MB, ${f(header.inserted)} shingles, m = ${f(header.bits)} bits, k = ${header.hashes}; ${process.version}, load ${result.load_average.join(' → ')}, median of ${runs}\n` +
        rows.map(([name, value, goal]) => `${name.padEnd(48)} ${value.padStart(14)}  ${goal}`).join('\n') +
        '\n',
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
