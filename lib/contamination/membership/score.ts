/**
 * Membership scores of one text from its prompt-token log-probabilities (the first token already dropped: it has no
 * context, so no log-probability). For both, higher means more likely memorised. A text with no scored token has no
 * score (NaN): the screen reports it as unscorable, never as clean.
 */

export type MembershipMethod = 'mean' | 'min-k';

/** The default fraction for Min-K% Prob: Shi et al. (2024) report k = 20% as their default setting. */
export const DEFAULT_MIN_K = 0.2;

/** The mean per-token log-probability (the negative log-perplexity per token). */
export function meanLogprob(logprobs: readonly number[]): number {
  if (logprobs.length === 0) return NaN;
  let sum = 0;
  for (const lp of logprobs) sum += lp;
  return sum / logprobs.length;
}

/**
 * Min-K% Prob: the mean of the lowest k·100% of the token log-probabilities (Shi, Ajith, Xia, Huang, Liu, Blevins,
 * Chen, Zettlemoyer, "Detecting Pretraining Data from Large Language Models", ICLR 2024, §3). A text seen in training
 * has few outlier tokens of very low probability, so its lowest tokens score higher than an unseen text's. The
 * selection takes ⌊k·n⌋ tokens, as the authors' reference code does (`int(len(ll) * ratio)`, swj0419/detect-pretrain-code),
 * but at least one: below 1/k tokens their code averages an empty selection, which has no value.
 */
export function minKPercentProb(logprobs: readonly number[], k = DEFAULT_MIN_K): number {
  if (!(k > 0 && k <= 1)) throw new RangeError(`Min-K% Prob takes k in (0, 1], not ${k}`);
  if (logprobs.length === 0) return NaN;
  const count = Math.max(1, Math.floor(k * logprobs.length));
  const sorted = Float64Array.from(logprobs).sort();
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i];
  return sum / count;
}

/** The score of one text by the chosen method. */
export function membershipScore(logprobs: readonly number[], method: MembershipMethod, k = DEFAULT_MIN_K): number {
  return method === 'mean' ? meanLogprob(logprobs) : minKPercentProb(logprobs, k);
}
