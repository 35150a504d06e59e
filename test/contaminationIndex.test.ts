import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bloomFilters from 'bloom-filters';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildIndex, buildIndexFile, buildIndexInParallel, countCorpusShingles } from '../lib/contamination/build.ts';
import { corpusDocuments, corpusFromDvcListing, corpusManifestSha256, listCorpus, shardFiles, textFileTokens } from '../lib/contamination/corpus.ts';
import { HEADER_BYTES, headerJson, readIndexFile, writeIndexFile, type IndexHeader } from '../lib/contamination/indexFile.ts';
import { mergeIndexFiles } from '../lib/contamination/merge.ts';
import { forEachShingleOf, shingles, tokenize } from '../lib/contamination/normalize.ts';
import { expectedFalsePositiveRate, guaranteedRunTokens, scoreText } from '../lib/contamination/scan.ts';
import { falsePositiveRate } from '../lib/contamination/sizing.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { evalsetAsync, writeFile } from './helpers.ts';

const { BloomFilter } = bloomFilters;

/** A deterministic word stream (xorshift32), so corpora and probes are the same on every run. */
function words(count: number, seed: number, prefix = 'w', vocabulary = 5_000): string[] {
  let x = seed >>> 0 || 1;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.push(`${prefix}${x % vocabulary}`);
  }
  return out;
}

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** A small corpus of .txt and .jsonl files in sub-folders, with multi-byte text, written once for the suite. */
function writeCorpus(dir: string): void {
  writeFile(join(dir, 'a.txt'), words(3_000, 1).join(' ') + '\n');
  writeFile(join(dir, 'b', 'c.txt'), `Caf\u00e9 na\u00efve STRASSE Stra\u00dfe — 東京タワーは高い。 ${words(2_000, 2).join(', ')}.`);
  writeFile(
    join(dir, 'b', 'd.jsonl'),
    Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: words(60 + i, 100 + i).join(' '), source: i })).join('\n'),
  );
  writeFile(join(dir, 'e.jsonl'), Array.from({ length: 25 }, (_, i) => JSON.stringify({ text: words(i * 3, 200 + i).join(' ') })).join('\n') + '\n');
  writeFile(join(dir, 'f.txt'), words(1_500, 3).join('\n'));
  writeFile(join(dir, 'g', 'h', 'i.txt'), words(7, 4).join(' ')); // shorter than one shingle
  writeFile(join(dir, 'README.md'), 'not corpus text');
}

let corpus: string;
let out: string;
beforeAll(() => {
  corpus = tmp('evalset-corpus-');
  writeCorpus(corpus);
  out = tmp('evalset-index-');
});

const bytesOf = (path: string) => readFileSync(path);

describe('corpus', () => {
  it('lists .txt and .jsonl files by relative / path in code-point order, and hashes paths and sizes', async () => {
    const files = await listCorpus(corpus);
    expect(files.map((f) => f.path)).toEqual(['a.txt', 'b/c.txt', 'b/d.jsonl', 'e.jsonl', 'f.txt', 'g/h/i.txt']);
    expect(files[0].bytes).toBe(statSync(join(corpus, 'a.txt')).size);
    const digest = corpusManifestSha256(files);
    expect(corpusManifestSha256([...files].reverse())).toBe(digest);
    expect(corpusManifestSha256(files.map((f, i) => (i === 2 ? { ...f, bytes: f.bytes! + 1 } : f)))).not.toBe(digest);
    // Code points, not UTF-16 units: U+FF5E sorts before U+1F600 although its UTF-16 unit is larger.
    expect(shardFiles([{ path: '\u{1F600}' }, { path: '\uFF5E' }], 0, 1).map((f) => f.path)).toEqual(['\uFF5E', '\u{1F600}']);
  });

  it('deals each file to exactly one of N shards, round-robin over the sorted paths', async () => {
    const files = await listCorpus(corpus);
    const slices = [0, 1, 2].map((i) => shardFiles(files, i, 3).map((f) => f.path));
    expect(slices).toEqual([
      ['a.txt', 'e.jsonl'],
      ['b/c.txt', 'f.txt'],
      ['b/d.jsonl', 'g/h/i.txt'],
    ]);
    expect(() => shardFiles(files, 3, 3)).toThrow(RangeError);
  });

  it('reads the corpus listing `dvc list --json -R` prints (paths and MD5s, no sizes)', () => {
    const listing = [
      { isout: true, isdir: false, isexec: false, size: null, md5: 'b1946ac92492d2347c6235b4d2611184', path: 'z.txt' },
      { isout: true, isdir: false, isexec: false, size: null, md5: '015db0a3bbcd81717920619ef9018561', path: 'sub/b.jsonl' },
      { isout: false, isdir: false, isexec: false, size: 10, path: 'notes.md' },
    ];
    const files = corpusFromDvcListing(listing, 'listing.json');
    expect(files).toEqual([
      { path: 'sub/b.jsonl', bytes: null, md5: '015db0a3bbcd81717920619ef9018561' },
      { path: 'z.txt', bytes: null, md5: 'b1946ac92492d2347c6235b4d2611184' },
    ]);
    expect(corpusManifestSha256(files)).not.toBe(corpusManifestSha256(files.map((f) => ({ ...f, md5: '0' }))));
    expect(() => corpusFromDvcListing({ path: 'x' }, 'listing.json')).toThrow(InvalidInputError);
  });

  it('tokenises a .txt file read in tiny chunks exactly as the whole text (multi-byte characters, marks, CJK split across chunks)', async () => {
    const text = '\ufeffCafe\u0301 ΟΔΟΣ   Straße\n東京タワーは高い。GPT-4で नमस्ते दुनिया ' + words(200, 9).join(' ');
    const path = join(out, 'chunks.txt');
    writeFileSync(path, text);
    for (const chunkBytes of [1, 2, 3, 5, 64]) {
      const pieces: string[] = [];
      for await (const tokens of textFileTokens(path, chunkBytes)) pieces.push(...tokens);
      expect(pieces).toEqual(tokenize(text.slice(1)));
    }
  });

  it('visits the same shingles in a reused buffer as `shingles` returns as views (any width, stride, length)', () => {
    const tokens = tokenize(`東京タワーは高い naïve Straße ${words(300, 12).join(' ')} ${'x'.repeat(5_000)} end`);
    for (const [width, stride] of [
      [1, 1],
      [3, 2],
      [10, 1],
      [7, 5],
    ]) {
      const visited: string[] = [];
      forEachShingleOf(tokens, width, stride, (s) => visited.push(Buffer.from(s).toString('utf8')));
      expect(visited).toEqual(shingles(tokens, width, stride).map((s) => Buffer.from(s).toString('utf8')));
      expect(visited.length).toBe(Math.floor((tokens.length - width) / stride) + 1);
    }
  });

  it('refuses a .jsonl document without a string `text`, naming file, line and field', async () => {
    const dir = tmp('evalset-badcorpus-');
    writeFile(join(dir, 'x.jsonl'), '{"text": "fine words here"}\n{"body": "no text"}\nnot json\n{"text": 3}\n');
    const error = await (async () => {
      for await (const piece of corpusDocuments(dir, await listCorpus(dir))) void piece;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    const issues = (error as InvalidInputError).issues;
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [2, 'text'],
      [3, undefined],
      [4, 'text'],
    ]);
    expect(issues[0].file).toBe(join(dir, 'x.jsonl'));
  });
});

describe('index file', () => {
  let built: { header: IndexHeader; index: Awaited<ReturnType<typeof buildIndex>>['index'] };
  let path: string;
  beforeAll(async () => {
    built = await buildIndex({ corpusDir: corpus, width: 5, seed: 42n, segmentBytes: 64 });
    path = join(out, 'round-trip.bloom');
    await writeIndexFile(path, built.header, built.index);
  });

  it('is the header then m/8 bytes, and reads back to the same header and bits', async () => {
    const { header, index } = built;
    expect(statSync(path).size).toBe(HEADER_BYTES + header.bits / 8);
    expect(header).toMatchObject({ width: 5, stride: 1, seed: 42n, shardIndex: 0, shardCount: 1, formatVersion: 1, normalizerVersion: 1 });
    expect(header.inserted).toBe(header.expectedShingles); // counted exactly in the first pass
    expect(header.manifestSha256).toBe(corpusManifestSha256(await listCorpus(corpus)));
    const again = await readIndexFile(path);
    expect(again.header).toEqual(header);
    const concat = Buffer.concat(index.segments);
    expect(Buffer.concat(again.index.segments).equals(concat)).toBe(true);
    expect(bytesOf(path).subarray(HEADER_BYTES).equals(concat)).toBe(true);
    expect(headerJson(header).seed).toBe('42');
  });

  it('reads a segmented filter beyond the segment size, in any segment size', async () => {
    expect(built.index.segments.length).toBeGreaterThan(10); // 64-byte segments
    const whole = await readIndexFile(path);
    expect(whole.index.segments.length).toBe(1);
    const other = await readIndexFile(path, { segmentBytes: 256 });
    expect(other.index.segments.length).toBe(Math.ceil(built.header.bits / 8 / 256));
    expect(Buffer.concat(other.index.segments).equals(Buffer.concat(whole.index.segments))).toBe(true);
    // Every shingle of the corpus is found through all three segmentations.
    const tokens = words(3_000, 1);
    for (const s of shingles(tokens, 5)) {
      expect(built.index.has(s)).toBe(true);
      expect(whole.index.has(s)).toBe(true);
      expect(other.index.has(s)).toBe(true);
    }
  });

  it('refuses a truncated, padded or garbled file with a clear error', async () => {
    const good = bytesOf(path);
    const variant = async (name: string, bytes: Uint8Array) => {
      const p = join(out, name);
      writeFileSync(p, bytes);
      return readIndexFile(p).then(
        () => undefined,
        (e: unknown) => e as InvalidInputError,
      );
    };
    const truncated = await variant('truncated.bloom', good.subarray(0, good.length - 1));
    expect(truncated).toBeInstanceOf(InvalidInputError);
    expect(truncated!.message).toMatch(/truncated/);
    expect((await variant('padded.bloom', Buffer.concat([good, Buffer.from([0])])))!.message).toMatch(/trailing bytes/);
    expect((await variant('short.bloom', good.subarray(0, 100)))!.message).toMatch(/fewer than the 128-byte header/);
    const magic = Buffer.from(good);
    magic.write('PK', 0, 'latin1');
    expect((await variant('magic.bloom', magic))!.issues[0].field).toBe('magic');
    const version = Buffer.from(good);
    version.writeUInt32LE(2, 8);
    expect((await variant('version.bloom', version))!.issues[0]).toMatchObject({
      field: 'format_version',
      message: expect.stringMatching(/version 2/),
    });
    const bits = Buffer.from(good);
    bits.writeBigUInt64LE(BigInt(built.header.bits + 8), 16);
    expect((await variant('bits.bloom', bits))!.message).toMatch(/truncated/);
    const reserved = Buffer.from(good);
    reserved[120] = 1;
    expect((await variant('reserved.bloom', reserved))!.issues[0].field).toBe('reserved');
    expect(await readIndexFile(join(out, 'absent.bloom')).catch((e: unknown) => e)).toBeInstanceOf(InvalidInputError);
  });
});

describe('shards', () => {
  for (const stride of [1, 3]) {
    it(`built as 3 shards and merged equal one single build byte for byte (stride ${stride})`, async () => {
      const expectedShingles = await countCorpusShingles({ corpusDir: corpus, width: 4, stride });
      const common = { corpusDir: corpus, width: 4, stride, seed: 7n, fpr: 0.02, expectedShingles };
      const single = join(out, `single-${stride}.bloom`);
      const singleHeader = await buildIndexFile({ ...common, out: single });
      // The shards read their files in 7-byte chunks; the single build in the default 4 MiB.
      const shards = [2, 0, 1].map((i) => join(out, `shard-${stride}-${i}.bloom`));
      for (const i of [0, 1, 2])
        await buildIndexFile({ ...common, shard: { index: i, count: 3 }, chunkBytes: 7, out: join(out, `shard-${stride}-${i}.bloom`) });
      const inserted = await Promise.all(shards.map(async (p) => (await readIndexFile(p)).header.inserted));
      expect(inserted.every((n) => n > 0 && n < singleHeader.inserted)).toBe(true);
      const merged = join(out, `merged-${stride}.bloom`);
      const mergedHeader = await mergeIndexFiles(shards, merged);
      expect(mergedHeader).toEqual(singleHeader);
      expect(singleHeader.inserted).toBe(expectedShingles);
      expect(bytesOf(merged).equals(bytesOf(single))).toBe(true);
      // No shard alone equals the whole.
      expect(bytesOf(shards[0]).subarray(HEADER_BYTES).equals(bytesOf(single).subarray(HEADER_BYTES))).toBe(false);
    });
  }

  it('built by 2 local processes and merged equal one single build byte for byte', async () => {
    const common = { corpusDir: corpus, width: 6, seed: 11n, expectedShingles: 9_000 };
    const single = join(out, 'single-local.bloom');
    await buildIndexFile({ ...common, out: single });
    const parallel = join(out, 'parallel-local.bloom');
    const header = await buildIndexInParallel({ ...common, out: parallel, jobs: 2 });
    expect(header.shardCount).toBe(1);
    expect(bytesOf(parallel).equals(bytesOf(single))).toBe(true);
  });

  it('refuses a shard build without the expected shingle count', async () => {
    const error = await buildIndex({ corpusDir: corpus, shard: { index: 0, count: 2 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).issues[0]).toMatchObject({
      file: '--shingles',
      message: expect.stringMatching(/every shard must size its filter identically/),
    });
  });

  it('merge refuses mismatched parameters, naming field and files, and shard sets that are not 0..N−1', async () => {
    const common = { corpusDir: corpus, width: 4, seed: 7n, expectedShingles: 8_000 };
    const p = (name: string) => join(out, `m-${name}.bloom`);
    await buildIndexFile({ ...common, shard: { index: 0, count: 3 }, out: p('0') });
    await buildIndexFile({ ...common, shard: { index: 1, count: 3 }, out: p('1') });
    await buildIndexFile({ ...common, shard: { index: 2, count: 3 }, seed: 8n, out: p('2-seed') });
    await buildIndexFile({ ...common, shard: { index: 2, count: 3 }, width: 5, out: p('2-width') });
    const refusal = (inputs: string[]) =>
      mergeIndexFiles(inputs, p('out')).then(
        () => undefined as never,
        (e: unknown) => e as InvalidInputError,
      );
    const seed = await refusal([p('0'), p('1'), p('2-seed')]);
    expect(seed).toBeInstanceOf(InvalidInputError);
    expect(seed.issues).toEqual([expect.objectContaining({ file: p('2-seed'), field: 'seed', message: expect.stringContaining(p('0')) })]);
    const width = await refusal([p('0'), p('1'), p('2-width')]);
    expect(width.issues.map((i) => i.field)).toEqual(['width']);
    const incomplete = await refusal([p('0'), p('1')]);
    expect(incomplete.issues[0]).toMatchObject({ field: 'shard_index', message: expect.stringMatching(/shards 2 of 3 are missing/) });
    const twice = await refusal([p('0'), p('1'), p('1')]);
    expect(twice.issues[0].message).toMatch(/again/);
    expect(() => statSync(p('out'))).toThrow();
  });
});

describe('scan', () => {
  it('finds every shared run of width + s − 1 tokens, at every offset, in an index built with stride s', async () => {
    const width = 5;
    const stride = 4;
    const dir = tmp('evalset-stride-');
    const doc = words(400, 21, 'd', 1e9);
    writeFile(join(dir, 'doc.txt'), doc.join(' '));
    const { header, index } = await buildIndex({ corpusDir: dir, width, stride, fpr: 1e-6 });
    expect(guaranteedRunTokens(header)).toBe(8);
    expect(header.inserted).toBe(Math.floor((400 - width) / stride) + 1);
    const noise = (seed: number) => words(30, seed, 'n', 1e9).join(' ');
    for (let start = 0; start + 8 <= doc.length; start += 7) {
      const text = `${noise(start + 1)} ${doc.slice(start, start + 8).join(' ')} ${noise(start + 2)}`;
      expect(scoreText(index, header, text).hits).toBeGreaterThanOrEqual(1);
    }
    // One token shorter is not guaranteed: a run starting one past an indexed start holds none.
    const short = doc.slice(1, 1 + 7).join(' ');
    expect(scoreText(index, header, short)).toEqual({ shingles: 3, hits: 0, score: 0 });
  });

  it('scores the fraction of shingles found, null for a text shorter than one shingle', async () => {
    const dir = tmp('evalset-score-');
    const doc = words(100, 5, 'x', 1e9);
    writeFile(join(dir, 'doc.txt'), doc.join(' '));
    const { header, index } = await buildIndex({ corpusDir: dir, width: 10, fpr: 1e-6 });
    expect(scoreText(index, header, doc.slice(0, 30).join(' '))).toEqual({ shingles: 21, hits: 21, score: 1 });
    const half = `${doc.slice(50, 70).join(' ')} ${words(20, 6, 'y', 1e9).join(' ')}`;
    expect(scoreText(index, header, half)).toEqual({ shingles: 31, hits: 11, score: 11 / 31 });
    expect(scoreText(index, header, 'nine tokens are not enough for one shingle here')).toEqual({ shingles: 0, hits: 0, score: null });
    expect(expectedFalsePositiveRate(header)).toBe(falsePositiveRate(header.bits, header.hashes, 91));
  });

  it('has no false negatives, and a measured false-positive rate within 0.8–1.2× the target on 100,000 non-members', async () => {
    const dir = tmp('evalset-fpr-');
    const doc = words(30_000, 77);
    writeFile(join(dir, 'doc.txt'), doc.join(' '));
    const { header, index } = await buildIndex({ corpusDir: dir, width: 10, fpr: 0.01 });
    expect(header.inserted).toBe(29_991);
    for (const s of shingles(doc, 10)) expect(index.has(s)).toBe(true);
    // Non-members: shingles of another vocabulary ('v' words never occur in the corpus).
    const probes = shingles(words(100_009, 78, 'v'), 10);
    expect(probes.length).toBe(100_000);
    let hits = 0;
    for (const s of probes) if (index.has(s)) hits++;
    const measured = hits / probes.length;
    // Binomial(100k, 0.01): σ/p ≈ 3.1%, so the 0.8–1.2 band is ±6σ; the formula (Bloom 1970) is the reference.
    expect(measured / 0.01).toBeGreaterThan(0.8);
    expect(measured / 0.01).toBeLessThan(1.2);
    expect(Math.abs(measured - expectedFalsePositiveRate(header))).toBeLessThan(5 * Math.sqrt(0.01 / 100_000));
  });

  it('agrees with bloom-filters at the same m, k and n: both near the formula (Bloom 1970)', async () => {
    const dir = tmp('evalset-peer-');
    const doc = words(4_009, 31);
    writeFile(join(dir, 'doc.txt'), doc.join(' '));
    const { header, index } = await buildIndex({ corpusDir: dir, width: 10, fpr: 0.02 });
    const peer = new BloomFilter(header.bits, header.hashes);
    const decoder = new TextDecoder();
    for (const s of shingles(doc, 10)) peer.add(decoder.decode(s));
    const probes = shingles(words(20_009, 32, 'v'), 10);
    let ours = 0;
    let theirs = 0;
    for (const s of probes) {
      if (index.has(s)) ours++;
      if (peer.has(decoder.decode(s))) theirs++;
    }
    const p = expectedFalsePositiveRate(header);
    const sigma = Math.sqrt((p * (1 - p)) / probes.length);
    expect(Math.abs(ours / probes.length - p)).toBeLessThan(5 * sigma);
    expect(Math.abs(theirs / probes.length - p)).toBeLessThan(5 * sigma);
  });
});

describe('evalset contamination (CLI)', () => {
  it('size: 100 billion shingles at 1% need about 119.8 GB (9.585 bits each), 8 GB gives the rate and the stride; scan --json with an unscorable example', async () => {
    const dir = tmp('evalset-cli-');
    const doc = words(200, 41, 'c', 1e9);
    writeFile(join(dir, 'corpus', 'doc.txt'), doc.join(' '));
    writeFile(
      join(dir, 'examples.jsonl'),
      [
        { id: 'copied', prompt: doc.slice(10, 40).join(' ') },
        { id: 'clean', text: words(30, 42, 'q', 1e9).join(' ') },
        { id: 'short', prompt: 'too short to score' },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    const index = join(dir, 'index.bloom');
    // The build in process (the CLI's build runs as child processes in the local-parallel test above);
    // the commands under test in one round of child processes, in parallel (each CLI start transpiles the sources).
    await buildIndexFile({ corpusDir: join(dir, 'corpus'), out: index, fpr: 0.001, seed: 18446744073709551615n });
    const [budget, json, human, shard] = await Promise.all([
      evalsetAsync(['contamination', 'size', '--shingles', '100e9', '--fpr', '0.01', '--memory', '8e9', '--json']),
      evalsetAsync(['contamination', 'scan', '--index', index, '--input', join(dir, 'examples.jsonl'), '--json']),
      evalsetAsync(['contamination', 'scan', '--index', index, '--input', join(dir, 'examples.jsonl')]),
      evalsetAsync(['contamination', 'build', '--corpus', join(dir, 'corpus'), '--out', join(dir, 'x.bloom'), '--shard', '0/2']),
    ]);
    expect(budget.status, budget.stderr).toBe(0);
    const size = JSON.parse(budget.stdout);
    expect(size.bytes / 1e9).toBeCloseTo(119.81, 2);
    expect(size.bits).toBe(size.bytes * 8);
    expect(size.bits_per_shingle).toBeCloseTo(9.585, 3);
    expect(size.hashes).toBe(7);
    expect(size.stride).toBe(15);
    expect(size.fpr).toBeCloseTo(-Math.expm1(-1 / 0.64), 12); // m/n = 0.64 bits per shingle, k = 1
    expect(size.stride_fpr).toBeLessThanOrEqual(0.01);
    expect(json.status, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(Object.keys(result)).toEqual(['index', 'examples']);
    expect(result.index).toMatchObject({ width: 10, stride: 1, seed: '18446744073709551615', inserted: 191, shard_count: 1 });
    expect(result.examples).toEqual([
      { id: 'copied', shingles: 21, hits: 21, score: 1 },
      { id: 'clean', shingles: 21, hits: 0, score: 0 },
      { id: 'short', shingles: 0, hits: 0, score: null },
    ]);
    const baseline = falsePositiveRate(result.index.bits, result.index.hashes, 191);
    expect(human.stdout).toContain(`(the false-positive rate): ${(baseline * 100).toPrecision(3)}%`);
    expect(human.stdout).toMatch(/any shared run of at least 10 tokens/);
    expect(human.stdout).toMatch(/short\s+unscorable/);
    expect(shard.status).toBe(2);
    expect(shard.stderr).toMatch(/--shingles/);
  });
});
