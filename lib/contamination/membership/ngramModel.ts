/**
 * A real (small) language model for the membership demo and tests: an interpolated Kneser–Ney n-gram model (order 4 by
 * default) over cl100k_base tokens (gpt-tokenizer, the tokenizer lib/sampling/classify.ts uses), trained on a corpus.
 * Text from the corpus genuinely gets higher log-probabilities than fresh text of the same kind, because its n-grams
 * were counted: the effect membership inference looks for in a large model. A trigram memorises too weakly to show it
 * on templated text (a singleton trigram after a common context gains little), so the default order is 4.
 *
 * Smoothing: interpolated Kneser–Ney with absolute discounting (Kneser & Ney 1995, "Improved backing-off for M-gram
 * language modeling", ICASSP; in the interpolated form of Chen & Goodman 1998, "An Empirical Study of Smoothing
 * Techniques for Language Modeling", TR-10-98, §2.7), with h_k the last k tokens:
 *
 *   P_k(w | h_k) = max(c_k(h_k w) − D_k, 0) / c_k(h_k ·) + D_k · N1+(h_k ·) / c_k(h_k ·) · P_{k−1}(w | h_{k−1})
 *   P_{−1}(w)    = 1 / V (uniform over the tokenizer's V tokens, so every token has a probability)
 *
 * where c at the highest order is the raw count and at every lower order the continuation count N1+(· h_k w) (the
 * number of distinct tokens seen before h_k w), and a context never seen falls through to the next order with weight
 * 1. Each order's discount is Ney, Essen & Kneser's (1994) estimate D = n1 / (n1 + 2 n2) from that order's counts of
 * counts (Chen & Goodman eq. (26)), 0.75 when undefined. Texts are padded with start symbols, so the second token is
 * predicted from the first; the first token gets no log-probability, as in the real APIs.
 */
type Encoding = typeof import('gpt-tokenizer/encoding/cl100k_base');

/** Contexts pack up to three ids (each + 1, so the start symbol −1 is digit 0) in 17-bit digits: 51 bits, a safe integer. */
const DIGIT = 2 ** 17;
const MAX_ORDER = 4;

interface Node {
  /** Σ of the counts in `next`. */
  total: number;
  next: Map<number, number>;
  /** The continuations by P_k(w | h_k), most likely first (built on first use). */
  ranked?: TokenProbability[];
  /** The most likely tokens after h_k over all tokens, as far as asked so far (kept: the demo server asks for them per token). */
  best?: { id: number; logprob: number }[];
}

export interface TokenProbability {
  id: number;
  p: number;
}

let encodingPromise: Promise<Encoding> | undefined;
const loadEncoding = (): Promise<Encoding> => (encodingPromise ??= import('gpt-tokenizer/encoding/cl100k_base'));

function discountOf(nodes: Iterable<Node>): number {
  let n1 = 0;
  let n2 = 0;
  for (const node of nodes)
    for (const c of node.next.values()) {
      if (c === 1) n1++;
      else if (c === 2) n2++;
    }
  const d = n1 / (n1 + 2 * n2);
  return Number.isFinite(d) && d > 0 && d < 1 ? d : 0.75;
}

const byProbability = (a: TokenProbability, b: TokenProbability) => b.p - a.p || a.id - b.id;

export class KneserNeyModel {
  /** levels[k]: the contexts of k tokens (key: packed ids, the most recent in the lowest digit). */
  private readonly levels: Map<number, Node>[];
  private readonly discounts: number[];
  private readonly decoded = new Map<number, string>();
  readonly vocabularySize: number;

  private constructor(
    private readonly encoding: Encoding,
    readonly order: number,
  ) {
    this.vocabularySize = encoding.vocabularySize;
    if (this.vocabularySize >= DIGIT - 1) throw new RangeError('the tokenizer vocabulary does not fit the context keys');
    this.levels = Array.from({ length: order }, () => new Map<number, Node>());
    this.discounts = new Array<number>(order).fill(0.75);
  }

  /** Train on a corpus (each text one document). */
  static async train(corpus: Iterable<string>, order = MAX_ORDER): Promise<KneserNeyModel> {
    if (!Number.isInteger(order) || order < 1 || order > MAX_ORDER) throw new RangeError(`n-gram order must be 1 to ${MAX_ORDER}, not ${order}`);
    const model = new KneserNeyModel(await loadEncoding(), order);
    for (const text of corpus) model.count(model.tokenize(text));
    model.finish();
    return model;
  }

  /** The token ids of a text; special-token markup (`<|endoftext|>`) is read as plain text. */
  tokenize(text: string): number[] {
    return this.encoding.encode(text, { disallowedSpecial: new Set() });
  }

  /** A token's own text (a token that splits a multi-byte character decodes to a replacement character, as in vLLM). */
  tokenText(id: number): string {
    let text = this.decoded.get(id);
    if (text === undefined) this.decoded.set(id, (text = this.encoding.decode([id])));
    return text;
  }

  /** The context keys before position t of `ids`, per context length 0 … order − 1 (positions before 0 are the start symbol). */
  contextKeys(ids: readonly number[], t: number): number[] {
    const keys = [0];
    let key = 0;
    let scale = 1;
    for (let k = 1; k < this.order; k++) {
      const id = t - k >= 0 ? ids[t - k] : -1;
      key += (id + 1) * scale;
      scale *= DIGIT;
      keys.push(key);
    }
    return keys;
  }

  private count(ids: readonly number[]): void {
    const top = this.levels[this.order - 1];
    for (let t = 0; t < ids.length; t++) {
      const key = this.contextKeys(ids, t)[this.order - 1];
      let node = top.get(key);
      if (!node) top.set(key, (node = { total: 0, next: new Map() }));
      node.total++;
      node.next.set(ids[t], (node.next.get(ids[t]) ?? 0) + 1);
    }
  }

  private finish(): void {
    // Continuation counts, from the top down: each distinct (h_{k+1}, w) adds one to (h_k, w), h_k the suffix of h_{k+1}.
    for (let k = this.order - 2; k >= 0; k--) {
      const lower = this.levels[k];
      const modulus = DIGIT ** k;
      for (const [key, node] of this.levels[k + 1]) {
        const suffix = key % modulus;
        let target = lower.get(suffix);
        if (!target) lower.set(suffix, (target = { total: 0, next: new Map() }));
        for (const w of node.next.keys()) {
          target.next.set(w, (target.next.get(w) ?? 0) + 1);
          target.total++;
        }
      }
    }
    for (let k = 0; k < this.order; k++) this.discounts[k] = discountOf(this.levels[k].values());
  }

  /** P_k(w | h_k) for k = 0 … `upTo`, bottom-up, from the context keys. */
  private probability(w: number, keys: readonly number[], upTo = this.order - 1): number {
    let p = 1 / this.vocabularySize;
    for (let k = 0; k <= upTo; k++) {
      const node = this.levels[k].get(keys[k]);
      if (node) p = Math.max((node.next.get(w) ?? 0) - this.discounts[k], 0) / node.total + ((this.discounts[k] * node.next.size) / node.total) * p;
    }
    return p;
  }

  /** ln P(w | the tokens before position t of ids). */
  logprobAt(ids: readonly number[], t: number, w = ids[t]): number {
    return Math.log(this.probability(w, this.contextKeys(ids, t)));
  }

  /** The keys of h_k and its suffixes, from the key of h_k. */
  private suffixKeys(k: number, key: number): number[] {
    const keys = new Array<number>(k + 1);
    for (let j = k; j >= 0; j--) keys[j] = key % DIGIT ** j;
    return keys;
  }

  private rankedAt(k: number, key: number, node: Node): TokenProbability[] {
    if (!node.ranked) {
      const keys = this.suffixKeys(k, key);
      node.ranked = [...node.next.keys()].map((id) => ({ id, p: this.probability(id, keys, k) })).sort(byProbability);
    }
    return node.ranked;
  }

  /**
   * Every token seen in training, by P_k(· | h_k), most likely first, lazily: the continuations of h_k (ranked once and
   * kept) merged with the lower order's ranking, scaled by λ_k, of the tokens that are not continuations. Tokens never
   * seen in training all share the smallest probability and are left out.
   */
  private *ranking(k: number, key: number): Generator<TokenProbability> {
    if (k < 0) return;
    const suffix = k > 0 ? key % DIGIT ** (k - 1) : 0;
    const node = this.levels[k].get(key);
    if (!node) {
      yield* this.ranking(k - 1, suffix);
      return;
    }
    const own = this.rankedAt(k, key, node);
    const lambda = (this.discounts[k] * node.next.size) / node.total;
    const rest = this.ranking(k - 1, suffix);
    let i = 0;
    let next = rest.next();
    const pull = () => {
      while (!next.done && node.next.has(next.value.id)) next = rest.next();
    };
    pull();
    for (;;) {
      const a = i < own.length ? own[i] : undefined;
      const b = next.done ? undefined : { id: next.value.id, p: lambda * next.value.p };
      if (!a && !b) return;
      if (a && (!b || byProbability(a, b) <= 0)) {
        yield a;
        i++;
      } else {
        yield b!;
        next = rest.next();
        pull();
      }
    }
  }

  /** The `n` most likely next tokens after position t − 1 of ids, most likely first, ties by id. */
  top(ids: readonly number[], t: number, n: number): { id: number; logprob: number }[] {
    const keys = this.contextKeys(ids, t);
    // The ranking after h is that after its longest seen suffix: keep it on that node.
    let k = this.order - 1;
    while (k > 0 && !this.levels[k].has(keys[k])) k--;
    const node = this.levels[k].get(keys[k]);
    if (node?.best && node.best.length >= n) return node.best.slice(0, n);
    const out: { id: number; logprob: number }[] = [];
    for (const x of this.ranking(k, keys[k])) {
      if (out.length >= n) break;
      out.push({ id: x.id, logprob: Math.log(x.p) });
    }
    if (node) node.best = out;
    return out.slice();
  }

  /** 1 + the number of tokens more likely than w at position t (vLLM's `rank`: 1 for the most likely). */
  rank(ids: readonly number[], t: number, w = ids[t]): number {
    const keys = this.contextKeys(ids, t);
    const p = this.probability(w, keys);
    let above = 0;
    for (const x of this.ranking(this.order - 1, keys[this.order - 1])) {
      if (x.p <= p) return 1 + above;
      above++;
    }
    // Every seen token is more likely; the never-seen ones share one probability, that of any never-seen id (−2).
    return 1 + above + (this.probability(-2, keys) > p ? this.vocabularySize - this.levels[0].get(0)!.next.size : 0);
  }
}
