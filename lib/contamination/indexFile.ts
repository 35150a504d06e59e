/**
 * The contamination index file (issue 7, §1): a fixed 128-byte little-endian header, then the Bloom
 * filter's bit array, m/8 bytes, exactly as BloomIndex holds it (bit g in byte ⌊g/8⌋, least
 * significant bit first). Nothing follows the bit array, so the file is header + m/8 bytes and a file
 * of any other size is truncated or padded.
 *
 * Header, version 1 (offsets in bytes; integers unsigned):
 *
 * | offset | size | field                                                                 |
 * | -----: | ---: | --------------------------------------------------------------------- |
 * |      0 |    8 | magic `EVSBLOOM`                                                      |
 * |      8 |    4 | format version (1)                                                    |
 * |     12 |    4 | header size (128)                                                     |
 * |     16 |    8 | m, bits                                                               |
 * |     24 |    4 | k, hashes                                                             |
 * |     28 |    4 | shingle width, tokens                                                 |
 * |     32 |    8 | xxHash64 seed                                                         |
 * |     40 |    4 | normaliser version (normalize.ts)                                     |
 * |     44 |    4 | stride s (every s-th shingle indexed)                                 |
 * |     48 |    8 | shingles inserted (add calls; the shards of one build sum to it)      |
 * |     56 |    8 | expected shingles n the filter was sized for                          |
 * |     64 |    8 | target false-positive rate p it was sized for (IEEE 754 double)        |
 * |     72 |    4 | shard index i                                                         |
 * |     76 |    4 | shard count N (a whole build is shard 0 of 1)                         |
 * |     80 |   32 | SHA-256 of the corpus manifest (corpus.ts)                            |
 * |    112 |   16 | reserved, zero                                                        |
 *
 * The bit array is streamed from and into the index's segments: a 120 GB filter is never one buffer,
 * and reading does not land in a whole-file Buffer that is then copied (each segment is read into
 * directly, once).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidInputError } from '../errors.ts';
import { BloomIndex, DEFAULT_SEGMENT_BYTES } from './bloomIndex.ts';

export const INDEX_MAGIC = 'EVSBLOOM';
export const INDEX_FORMAT_VERSION = 1;
export const HEADER_BYTES = 128;

const MAGIC_BYTES = Buffer.from(INDEX_MAGIC, 'latin1');
/** Reads and writes move at most this much per system call (Node refuses single writes of 2 GiB and more). */
const IO_BYTES = 64 << 20;

export interface IndexHeader {
  formatVersion: number;
  /** m. */
  bits: number;
  /** k. */
  hashes: number;
  seed: bigint;
  width: number;
  normalizerVersion: number;
  stride: number;
  /** add() calls: the shingles indexed (duplicates counted each time, as the false-positive formula's n). */
  inserted: number;
  /** n, the shingle count the filter was sized for. */
  expectedShingles: number;
  /** p, the false-positive rate it was sized for. */
  targetFpr: number;
  shardIndex: number;
  shardCount: number;
  /** Lower-case hex. */
  manifestSha256: string;
}

/** The header as JSON can hold it: the seed as a decimal string (a u64 does not fit a double). */
export function headerJson(header: IndexHeader) {
  return {
    format_version: header.formatVersion,
    bits: header.bits,
    bytes: header.bits / 8,
    hashes: header.hashes,
    seed: header.seed.toString(),
    width: header.width,
    normalizer_version: header.normalizerVersion,
    stride: header.stride,
    inserted: header.inserted,
    expected_shingles: header.expectedShingles,
    target_fpr: header.targetFpr,
    shard_index: header.shardIndex,
    shard_count: header.shardCount,
    manifest_sha256: header.manifestSha256,
  };
}

export type IndexHeaderJson = ReturnType<typeof headerJson>;

/** The 128 header bytes. */
export function encodeHeader(header: IndexHeader): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES);
  MAGIC_BYTES.copy(buf, 0);
  buf.writeUInt32LE(header.formatVersion, 8);
  buf.writeUInt32LE(HEADER_BYTES, 12);
  buf.writeBigUInt64LE(BigInt(header.bits), 16);
  buf.writeUInt32LE(header.hashes, 24);
  buf.writeUInt32LE(header.width, 28);
  buf.writeBigUInt64LE(header.seed, 32);
  buf.writeUInt32LE(header.normalizerVersion, 40);
  buf.writeUInt32LE(header.stride, 44);
  buf.writeBigUInt64LE(BigInt(header.inserted), 48);
  buf.writeBigUInt64LE(BigInt(header.expectedShingles), 56);
  buf.writeDoubleLE(header.targetFpr, 64);
  buf.writeUInt32LE(header.shardIndex, 72);
  buf.writeUInt32LE(header.shardCount, 76);
  if (!/^[0-9a-f]{64}$/.test(header.manifestSha256)) throw new RangeError(`manifest SHA-256 must be 64 hex digits, not ${header.manifestSha256}`);
  buf.write(header.manifestSha256, 80, 'hex');
  return buf;
}

/** The header of a file's first bytes; `fileBytes` is the file's size, checked against header + m/8. */
export function decodeHeader(buf: Uint8Array, file: string, fileBytes: number): IndexHeader {
  const fail = (field: string | undefined, message: string): never => {
    throw new InvalidInputError([{ file, field, message }], {
      hint: 'Rebuild the index (`evalset contamination build`) or fetch it again (`dvc pull`): the file is not a whole evalset contamination index.',
    });
  };
  if (buf.length < HEADER_BYTES)
    fail(undefined, `holds ${fileBytes} bytes, fewer than the ${HEADER_BYTES}-byte header: truncated or not an index file`);
  const b = Buffer.from(buf.buffer, buf.byteOffset, HEADER_BYTES);
  if (!b.subarray(0, 8).equals(MAGIC_BYTES)) fail('magic', `is not an evalset contamination index (its first bytes are not "${INDEX_MAGIC}")`);
  const formatVersion = b.readUInt32LE(8);
  if (formatVersion !== INDEX_FORMAT_VERSION)
    fail(
      'format_version',
      `is format version ${formatVersion}; this evalset reads version ${INDEX_FORMAT_VERSION} (upgrade evalset or rebuild the index)`,
    );
  if (b.readUInt32LE(12) !== HEADER_BYTES) fail('header_size', `header size ${b.readUInt32LE(12)} is not ${HEADER_BYTES}`);
  const u64 = (offset: number, field: string) => {
    const v = b.readBigUInt64LE(offset);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(field, `${v} is out of range`);
    return Number(v);
  };
  const header: IndexHeader = {
    formatVersion,
    bits: u64(16, 'bits'),
    hashes: b.readUInt32LE(24),
    width: b.readUInt32LE(28),
    seed: b.readBigUInt64LE(32),
    normalizerVersion: b.readUInt32LE(40),
    stride: b.readUInt32LE(44),
    inserted: u64(48, 'inserted'),
    expectedShingles: u64(56, 'expected_shingles'),
    targetFpr: b.readDoubleLE(64),
    shardIndex: b.readUInt32LE(72),
    shardCount: b.readUInt32LE(76),
    manifestSha256: b.toString('hex', 80, 112),
  };
  if (header.bits < 8 || header.bits % 8 !== 0 || header.bits > 2 ** 52) fail('bits', `${header.bits} is not a positive multiple of 8 up to 2^52`);
  if (header.hashes < 1) fail('hashes', 'must be at least 1');
  if (header.width < 1) fail('width', 'must be at least 1');
  if (header.stride < 1) fail('stride', 'must be at least 1');
  if (!(header.targetFpr > 0 && header.targetFpr < 1)) fail('target_fpr', `${header.targetFpr} is not strictly between 0 and 1`);
  if (header.shardCount < 1 || header.shardIndex >= header.shardCount)
    fail('shard', `shard ${header.shardIndex}/${header.shardCount} is not one of 0..N−1`);
  if (b.subarray(112, HEADER_BYTES).some((x) => x !== 0)) fail('reserved', 'reserved header bytes are not zero (a garbled or newer file)');
  const expected = HEADER_BYTES + header.bits / 8;
  if (fileBytes !== expected)
    fail(
      undefined,
      `holds ${fileBytes} bytes, but its header (m = ${header.bits} bits) needs ${HEADER_BYTES} + ${header.bits / 8} = ${expected}: ${fileBytes < expected ? 'truncated' : 'trailing bytes'}`,
    );
  return header;
}

/** Read the header alone (merge reads the bit arrays piece by piece). */
export async function readIndexHeader(path: string): Promise<IndexHeader> {
  const handle = await openForReading(path);
  try {
    const { size } = await handle.stat();
    const buf = Buffer.alloc(HEADER_BYTES);
    const got = await readFully(handle, buf, 0);
    return decodeHeader(buf.subarray(0, got), path, size);
  } finally {
    await handle.close();
  }
}

/**
 * Write header and bit array to a temporary sibling, sync it and rename it over `path`, so a killed
 * build leaves the previous index intact. Hand-written beside lib/io/atomic.ts, whose writer takes the
 * whole content as one buffer: here the segments are streamed one after another (with the same
 * temporary-name convention, so `removeStaleTemporaries` clears what a killed run left).
 */
export async function writeIndexFile(path: string, header: IndexHeader, index: BloomIndex): Promise<void> {
  if (header.bits !== index.bits || header.hashes !== index.hashes || header.seed !== index.seed)
    throw new RangeError('the header does not describe this index (bits, hashes or seed differ)');
  await writeStreamed(path, encodeHeader(header), index.segments);
}

/** Write `header` then each piece in turn to a temporary sibling of `path`, then rename it into place. */
export async function writeStreamed(path: string, header: Uint8Array, pieces: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(tmp, 'w');
  try {
    await writeFully(handle, header);
    for await (const piece of pieces) await writeFully(handle, piece);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, path);
}

/**
 * The header and the index of a file. Each segment is allocated once and read into directly from
 * the file: the bit array exists in memory once, never as a whole-file Buffer that is then copied.
 */
export async function readIndexFile(path: string, options: { segmentBytes?: number } = {}): Promise<{ header: IndexHeader; index: BloomIndex }> {
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const handle = await openForReading(path);
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(HEADER_BYTES);
    const got = await readFully(handle, head, 0);
    const header = decodeHeader(head.subarray(0, got), path, size);
    const total = header.bits / 8;
    const segments: Uint8Array[] = [];
    for (let start = 0; start < total; start += segmentBytes) {
      const segment = new Uint8Array(Math.min(segmentBytes, total - start));
      const read = await readFully(handle, segment, HEADER_BYTES + start);
      // The size was checked, so a short read means the file shrank while being read.
      if (read !== segment.length) throw new InvalidInputError([{ file: path, message: 'was truncated while being read' }]);
      segments.push(segment);
    }
    const index = await BloomIndex.fromSegments({ bits: header.bits, hashes: header.hashes, seed: header.seed }, segments, segmentBytes);
    return { header, index };
  } finally {
    await handle.close();
  }
}

async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw new InvalidInputError([{ file: path, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }], {
      hint: 'Build the index with `evalset contamination build`, or fetch it with `dvc pull`.',
    });
  }
}

/** Read into all of `target` from `position` (or up to the end of the file); returns the bytes read. */
export async function readFully(handle: FileHandle, target: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, Math.min(IO_BYTES, target.length - done), position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

async function writeFully(handle: FileHandle, data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await handle.write(data, done, Math.min(IO_BYTES, data.length - done));
    done += bytesWritten;
  }
}
