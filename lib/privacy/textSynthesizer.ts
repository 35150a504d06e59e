import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { MechanismSpec } from './fields.ts';
import { gaussian, noiseRng, openUnit, type NoiseRng } from './noise.ts';

/** What every text synthesizer is told: the confidential field it regenerates (for its mechanism specs) and its seed. */
export interface TextSynthesisOptions {
  field: string;
  seed: number;
}

export interface TextSynthesisResult {
  /** One synthetic text per input text, in the same order. */
  texts: string[];
  /** Every differentially private release the synthesis made, for the accountant. */
  mechanisms: MechanismSpec[];
}

/**
 * A differentially private text generator for a confidential field. `conditions[i]` is the value of a
 * public field for `texts[i]` (null when there is none); the i-th output is generated for that
 * condition. Backends: `builtin` (below) and NeMo.
 */
export interface TextSynthesizer<O extends TextSynthesisOptions = TextSynthesisOptions> {
  name: string;
  version: string;
  synthesize(texts: string[], conditions: (string | null)[], options: O): Promise<TextSynthesisResult>;
}

export interface BuiltinTextOptions extends TextSynthesisOptions {
  /** z = σ / (√2·C): the Gaussian noise per histogram bin, relative to the L2 sensitivity of the histograms. */
  noise_multiplier: number;
  /** C, the L2 norm each record's vector is clipped to. Default 1. */
  clip?: number;
  /** Only a text's first `max_tokens` tokens count. Default 256. */
  max_tokens?: number;
  /**
   * Post-processing: token bins whose noisy value is below `threshold`·σ are set to 0. Noise alone
   * exceeds 4σ in about 3 bins of the 100,256 (P(N(0,1) > 4) ≈ 3.2e-5), so the default 4 keeps the
   * tokens many records share and drops almost all the bins that only noise filled. 0 keeps every
   * positive bin. It changes utility, never the guarantee.
   */
  threshold?: number;
}

export const BUILTIN_TEXT_DEFAULTS = { clip: 1, max_tokens: 256, threshold: 4 } as const;

/**
 * The number of ordinary tokens of cl100k_base, ids 0…100,255 (tiktoken's 100,256 mergeable ranks;
 * the special tokens start at 100,257). The vocabulary ships with the tokenizer, so it is public: the
 * histogram's domain does not depend on the data.
 */
export const CL100K_ORDINARY_TOKENS = 100_256;

/** The length buckets for texts of up to `maxTokens` tokens: [1,1], [2,3], [4,7], … doubling, the last ending at maxTokens. Public: they depend on the options only. */
export function lengthBuckets(maxTokens: number): [number, number][] {
  const buckets: [number, number][] = [];
  for (let lo = 1; lo <= maxTokens; lo *= 2) buckets.push([lo, Math.min(2 * lo - 1, maxTokens)]);
  return buckets;
}

/** The bucket of a token count (an empty text counts as one token long). */
export const lengthBucketOf = (length: number, maxTokens: number): number => 31 - Math.clz32(Math.max(1, Math.min(length, maxTokens)));

/**
 * One record's clipped vector: the counts of its first `maxTokens` tokens and a one-hot of its length
 * bucket, all multiplied by `scale` = min(1, C/‖v‖₂), so that ‖scale·v‖₂ ≤ C.
 */
export interface RecordContribution {
  tokenCounts: Map<number, number>;
  lengthBucket: number;
  scale: number;
}

export function recordContribution(tokenIds: readonly number[], maxTokens: number, clip: number): RecordContribution {
  const kept = tokenIds.slice(0, maxTokens);
  const tokenCounts = new Map<number, number>();
  for (const id of kept) tokenCounts.set(id, (tokenCounts.get(id) ?? 0) + 1);
  let squared = 1; // the length one-hot
  for (const count of tokenCounts.values()) squared += count * count;
  return { tokenCounts, lengthBucket: lengthBucketOf(kept.length, maxTokens), scale: Math.min(1, clip / Math.sqrt(squared)) };
}

/** Draws bins in proportion to their weight; an all-zero histogram falls back to the uniform distribution (data-independent). */
class BinSampler {
  private readonly bins: Int32Array;
  private readonly cumulative: Float64Array;
  constructor(
    weights: Float64Array,
    private readonly domain: number,
  ) {
    const bins: number[] = [];
    for (let b = 0; b < weights.length; b++) if (weights[b] > 0) bins.push(b);
    this.bins = Int32Array.from(bins);
    this.cumulative = new Float64Array(bins.length);
    let total = 0;
    bins.forEach((b, i) => (this.cumulative[i] = total += weights[b]));
  }
  draw(rng: NoiseRng): number {
    const n = this.bins.length;
    if (n === 0) return uniformInt(rng, 0, this.domain - 1);
    const target = openUnit(rng) * this.cumulative[n - 1];
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return this.bins[lo];
  }
}

type Cl100k = typeof import('gpt-tokenizer/encoding/cl100k_base');
let cl100k: Promise<Cl100k> | undefined;
/** cl100k_base from gpt-tokenizer, loaded once (as lib/sampling/classify.ts loads it). */
const loadCl100k = (): Promise<Cl100k> => (cl100k ??= import('gpt-tokenizer/encoding/cl100k_base'));

/** Text that merely looks like a special token (`<|endoftext|>`) is ordinary text here: encode it as such instead of refusing it. */
const ORDINARY_TEXT = { disallowedSpecial: new Set<string>() };

function checkOptions(options: BuiltinTextOptions): Required<BuiltinTextOptions> {
  const merged = {
    ...options,
    clip: options.clip ?? BUILTIN_TEXT_DEFAULTS.clip,
    max_tokens: options.max_tokens ?? BUILTIN_TEXT_DEFAULTS.max_tokens,
    threshold: options.threshold ?? BUILTIN_TEXT_DEFAULTS.threshold,
  };
  const positive = (x: number): boolean => Number.isFinite(x) && x > 0;
  if (!positive(merged.noise_multiplier)) throw new RangeError(`noise_multiplier must be a number above 0, got ${merged.noise_multiplier}`);
  if (!positive(merged.clip)) throw new RangeError(`clip must be a number above 0, got ${merged.clip}`);
  if (!Number.isInteger(merged.max_tokens) || merged.max_tokens < 1)
    throw new RangeError(`max_tokens must be an integer of at least 1, got ${merged.max_tokens}`);
  if (!(Number.isFinite(merged.threshold) && merged.threshold >= 0))
    throw new RangeError(`threshold must be a number of at least 0, got ${merged.threshold}`);
  return merged;
}

const conditionOrder = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);

/**
 * The built-in differentially private text generator: a noisy bag-of-tokens model per condition.
 *
 * Algorithm. Tokenise each text with cl100k_base (gpt-tokenizer), keeping its first `max_tokens`
 * tokens. Each record's vector v = [its token counts over the whole vocabulary, a one-hot of its
 * length bucket] is scaled so that ‖v‖₂ ≤ C (`clip`). Per condition value, sum the vectors of the
 * records with that condition (a record adds to its own condition's histograms only), then add
 * Gaussian noise N(0, σ²) with σ = z·√2·C to EVERY bin: all 100,256 ordinary tokens and every length
 * bucket, for every condition value present.
 *
 * Guarantee. Neighbouring datasets differ by replacing one record. The vectors are non-negative, so
 * replacing a with b moves the sum by ‖a − b‖₂ ≤ √(‖a‖² + ‖b‖²) ≤ √2·C, also when a and b have
 * different conditions. The noisy histograms together are therefore the Gaussian mechanism with L2
 * sensitivity √2·C and noise multiplier z = σ/(√2·C), which is (α, α/(2z²))-RDP for every α > 1
 * (Mironov 2017, "Rényi Differential Privacy", Prop. 7): MechanismSpec { field, mechanism:
 * 'gaussian', noise_multiplier: z }, one release. Everything after the noise is post-processing and
 * costs nothing: negative bins are set to 0, token bins below `threshold`·σ too, and for each record a
 * length bucket is drawn from its condition's noisy length histogram, a length uniformly within the
 * bucket, that many tokens i.i.d. from its condition's noisy token distribution, and the tokens are
 * decoded to text. The histogram's domain is public: the vocabulary ships with the tokenizer, the
 * buckets follow from `max_tokens`, and the condition values come from a public field, whose values
 * (and so their set) are released anyway. Which records have a text at all is treated as public too.
 * The guarantee is for ideal Gaussian noise and a secret seed (see lib/privacy/noise.ts).
 *
 * Utility, honestly: a bag of tokens keeps which tokens a condition's texts use, how often, and how
 * long the texts are; it keeps no syntax or word order, so the output reads as word salad in the
 * condition's vocabulary. A token only survives the noise when many records use it; rare tokens, and
 * so names, order numbers and secrets that occur in one record, do not.
 */
export const builtinTextSynthesizer: TextSynthesizer<BuiltinTextOptions> = {
  name: 'builtin',
  version: '1',
  async synthesize(texts, conditions, options) {
    if (texts.length !== conditions.length) throw new RangeError(`${texts.length} texts but ${conditions.length} conditions`);
    const { field, seed, noise_multiplier, clip, max_tokens, threshold } = checkOptions(options);
    const encoding = await loadCl100k();
    const buckets = lengthBuckets(max_tokens);
    const sigma = noise_multiplier * Math.SQRT2 * clip;
    const rng = noiseRng(seed);

    const byCondition = new Map<string | null, number[]>();
    conditions.forEach((condition, i) => {
      const group = byCondition.get(condition);
      if (group) group.push(i);
      else byCondition.set(condition, [i]);
    });

    // One condition at a time, so that only one dense histogram (100,256 doubles) is alive at once.
    const samplers = new Map<string | null, { tokens: BinSampler; lengths: BinSampler }>();
    for (const condition of [...byCondition.keys()].sort(conditionOrder)) {
      const tokens = new Float64Array(CL100K_ORDINARY_TOKENS);
      const lengths = new Float64Array(buckets.length);
      for (const i of byCondition.get(condition)!) {
        const { tokenCounts, lengthBucket, scale } = recordContribution(encoding.encode(texts[i], ORDINARY_TEXT), max_tokens, clip);
        for (const [id, count] of tokenCounts) tokens[id] += scale * count;
        lengths[lengthBucket] += scale;
      }
      for (let b = 0; b < tokens.length; b++) tokens[b] += sigma * gaussian(rng);
      for (let b = 0; b < lengths.length; b++) lengths[b] += sigma * gaussian(rng);
      const cutoff = threshold * sigma;
      for (let b = 0; b < tokens.length; b++) if (tokens[b] < cutoff) tokens[b] = 0;
      samplers.set(condition, { tokens: new BinSampler(tokens, tokens.length), lengths: new BinSampler(lengths, lengths.length) });
    }

    const synthetic = conditions.map((condition) => {
      const { tokens, lengths } = samplers.get(condition)!;
      const [lo, hi] = buckets[lengths.draw(rng)];
      const length = uniformInt(rng, lo, hi);
      const ids = Array.from({ length }, () => tokens.draw(rng));
      return encoding.decode(ids);
    });
    return { texts: synthetic, mechanisms: [{ field, mechanism: 'gaussian', noise_multiplier }] };
  },
};
