import xxhash, { type XXHashAPI } from 'xxhash-wasm';

/**
 * The contamination index: a Bloom filter (Bloom, "Space/Time Trade-offs in Hash Coding with
 * Allowable Errors", CACM 13(7), 1970) over shingles, whose constructor arguments are the sizing
 * parameters (m bits, k hashes, a hash seed), in the spirit of lm-evaluation-harness' decontamination.
 *
 * Why not the `bloom-filters` package, which the tests and the benchmark use as a peer: it reduces
 * its hashes to 32 bits, so in a filter over 2³² bits (the 119.8 GB a 100-billion-shingle corpus
 * needs at 1%) most bits are unreachable; it exports only JSON/base64, which is impossible past a few
 * hundred MB; and it measured 45–93 k inserts/s here (issue 7).
 *
 * Hashing: xxHash64 (xxhash-wasm's `h64Raw`, on the shingle's raw UTF-8 bytes, seeded) gives the two
 * hashes h1 and h2 of Kirsch & Mitzenmacher's double hashing ("Less Hashing, Same Performance:
 * Building a Better Bloom Filter", ESA 2006): probe i sets bit gᵢ = (h1 + i·h2) mod m, i = 0 … k−1,
 * with the same asymptotic false-positive rate as k independent hashes.
 * - m ≤ 2³²: h1 and h2 are the low and high 32-bit halves of one xxHash64, each reduced mod m.
 * - m > 2³²: 32-bit halves would reach only the first 2³² bits with g₀ and leave the filter unevenly
 *   filled (the very flaw above), so h1 and h2 are two full 64-bit xxHash64 values (seeds s and
 *   s ⊕ 0x9E3779B97F4A7C15), each reduced mod m. The bias of a 64-bit value mod m is at most m/2⁶⁴.
 * h2 is forced odd (m is even, sizing.ts, so it stays below m): with m a power of two that makes the
 * k probes distinct. All arithmetic is on non-negative Numbers below 2⁵³ (m ≤ 2⁵²), stepping gᵢ₊₁ =
 * gᵢ + h2 and subtracting m, never `Number(x) | 1`, which turns values ≥ 2³¹ negative.
 *
 * Bit g lives in byte ⌊g/8⌋ of the concatenated bit array, at mask 1 << (g mod 8) (least significant
 * bit first). In memory the array is split into segments of `segmentBytes` (a power of two; default
 * 2³⁰), since one typed array holds at most 2³² bytes on Node 20. The segmentation is not part of the
 * data: the concatenated segments are the same bytes whatever the segment size.
 */

/** The parameters that decide every bit: two indexes with equal parameters can be merged by OR. */
export interface BloomParameters {
  /** m, a positive multiple of 8, at most 2⁵². */
  bits: number;
  /** k ≥ 1. */
  hashes: number;
  /** The xxHash64 seed, an unsigned 64-bit integer. */
  seed: bigint;
}

export const DEFAULT_SEGMENT_BYTES = 2 ** 30;
const MAX_BITS = 2 ** 52;
const TWO_32 = 2 ** 32;
const SECOND_SEED_MASK = 0x9e3779b97f4a7c15n;

let hasherPromise: Promise<XXHashAPI> | undefined;
/** xxhash-wasm compiles its WebAssembly once per process. */
function hasher(): Promise<XXHashAPI> {
  return (hasherPromise ??= xxhash());
}

export class BloomIndex {
  readonly bits: number;
  readonly hashes: number;
  readonly seed: bigint;
  /** The bit array in segments of `segmentBytes` (the last may be shorter). */
  readonly segments: readonly Uint8Array[];
  readonly segmentBytes: number;
  private readonly segmentBits: number;
  private readonly bitsBig: bigint;
  private readonly secondSeed: bigint;
  private readonly h64Raw: XXHashAPI['h64Raw'];
  /** One segment and m ≤ 2³² (the fast path of add and has). */
  private readonly single: boolean;
  /** A 64-bit hash, and its low and high 32-bit halves (little-endian platforms, as Node's are). */
  private readonly word = new BigUint64Array(1);
  private readonly halves = new Uint32Array(this.word.buffer);
  /** The probe position and step of the shingle being added or tested (probeStart). */
  private g = 0;
  private step = 1;

  private constructor(params: BloomParameters, segments: Uint8Array[], segmentBytes: number, api: XXHashAPI) {
    this.bits = params.bits;
    this.hashes = params.hashes;
    this.seed = params.seed;
    this.segments = segments;
    this.segmentBytes = segmentBytes;
    this.segmentBits = segmentBytes * 8;
    this.bitsBig = BigInt(params.bits);
    this.secondSeed = params.seed ^ SECOND_SEED_MASK;
    this.h64Raw = api.h64Raw;
    this.single = segments.length === 1 && params.bits <= TWO_32;
  }

  /** An empty index. */
  static async create(params: BloomParameters, options: { segmentBytes?: number } = {}): Promise<BloomIndex> {
    checkParameters(params);
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    checkSegmentBytes(segmentBytes);
    const total = params.bits / 8;
    const segments: Uint8Array[] = [];
    for (let start = 0; start < total; start += segmentBytes) segments.push(new Uint8Array(Math.min(segmentBytes, total - start)));
    return new BloomIndex(params, segments, segmentBytes, await hasher());
  }

  /**
   * An index over bit-array segments the caller already holds (read from a file), used as they are,
   * not copied. Every segment but the last must be `segmentBytes` long, and together they hold m/8 bytes.
   */
  static async fromSegments(params: BloomParameters, segments: Uint8Array[], segmentBytes = DEFAULT_SEGMENT_BYTES): Promise<BloomIndex> {
    checkParameters(params);
    checkSegmentBytes(segmentBytes);
    const total = params.bits / 8;
    const expected = Math.ceil(total / segmentBytes);
    const fits =
      segments.length === expected &&
      segments.every((s, i) => s.length === (i < expected - 1 ? segmentBytes : total - segmentBytes * (expected - 1)));
    if (!fits) throw new RangeError(`segments do not hold ${total} bytes in pieces of ${segmentBytes}`);
    return new BloomIndex(params, segments, segmentBytes, await hasher());
  }

  /** Sets the k bits of one shingle (its raw UTF-8 bytes). */
  add(shingle: Uint8Array): void {
    this.probeStart(shingle);
    const m = this.bits;
    let g = this.g;
    const step = this.step;
    if (this.single) {
      // One segment and m ≤ 2³²: g < 2³², so unsigned shifts address it without division.
      const bytes = this.segments[0];
      for (let i = 0; i < this.hashes; i++) {
        bytes[g >>> 3] |= 1 << (g & 7);
        g += step;
        if (g >= m) g -= m;
      }
      return;
    }
    for (let i = 0; i < this.hashes; i++) {
      const segment = Math.floor(g / this.segmentBits);
      const bit = g - segment * this.segmentBits;
      this.segments[segment][Math.floor(bit / 8)] |= 1 << (bit % 8);
      g += step;
      if (g >= m) g -= m;
    }
  }

  /** Whether all k bits of the shingle are set: false means certainly absent; true, present or a false positive. */
  has(shingle: Uint8Array): boolean {
    this.probeStart(shingle);
    const m = this.bits;
    let g = this.g;
    const step = this.step;
    if (this.single) {
      const bytes = this.segments[0];
      for (let i = 0; i < this.hashes; i++) {
        if ((bytes[g >>> 3] & (1 << (g & 7))) === 0) return false;
        g += step;
        if (g >= m) g -= m;
      }
      return true;
    }
    for (let i = 0; i < this.hashes; i++) {
      const segment = Math.floor(g / this.segmentBits);
      const bit = g - segment * this.segmentBits;
      if ((this.segments[segment][Math.floor(bit / 8)] & (1 << (bit % 8))) === 0) return false;
      g += step;
      if (g >= m) g -= m;
    }
    return true;
  }

  /**
   * Sets this.g = h1 mod m and this.step = the odd h2 mod m (see the file's comment for where h1 and
   * h2 come from). Fields rather than a returned pair, and the 64-bit hash split through a
   * BigUint64Array/Uint32Array pair rather than BigInt arithmetic: both allocate nothing per shingle,
   * which with h64Raw itself is most of the cost of add().
   */
  private probeStart(shingle: Uint8Array): void {
    const h = this.h64Raw(shingle, this.seed);
    let h1: number;
    let h2: number;
    if (this.bits <= TWO_32) {
      this.word[0] = h;
      h1 = this.halves[0] % this.bits;
      h2 = this.halves[1] % this.bits;
    } else {
      h1 = Number(h % this.bitsBig);
      h2 = Number(this.h64Raw(shingle, this.secondSeed) % this.bitsBig);
    }
    // Odd without bitwise operators: an even h2 ≤ m − 2 becomes h2 + 1 ≤ m − 1.
    if (h2 % 2 === 0) h2 += 1;
    this.g = h1;
    this.step = h2;
  }
}

function checkParameters({ bits, hashes, seed }: BloomParameters): void {
  if (!Number.isSafeInteger(bits) || bits < 8 || bits % 8 !== 0 || bits > MAX_BITS)
    throw new RangeError(`bits must be a positive multiple of 8 up to 2^52, not ${bits}`);
  if (!Number.isSafeInteger(hashes) || hashes < 1) throw new RangeError(`hashes must be a whole number ≥ 1, not ${hashes}`);
  if (typeof seed !== 'bigint' || seed < 0n || seed >= 1n << 64n) throw new RangeError(`seed must be an unsigned 64-bit integer, not ${seed}`);
}

function checkSegmentBytes(segmentBytes: number): void {
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 1 || segmentBytes > TWO_32 || !Number.isInteger(Math.log2(segmentBytes)))
    throw new RangeError(`segmentBytes must be a power of two up to 2^32, not ${segmentBytes}`);
}
