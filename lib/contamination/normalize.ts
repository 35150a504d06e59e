/**
 * The one normaliser that both the contamination index build and the scan use (issue 7, §1). A
 * shingle only matches if both sides turned text into tokens the same way, so the rules are fixed
 * here and versioned: any change to what `tokenize` returns for some input must bump
 * `NORMALIZER_VERSION`, which the index file header records and the scan compares.
 *
 * Version 1, in order:
 * 1. Unicode NFC (UAX #15), so that a precomposed "é" and "e" + U+0301 are the same text.
 * 2. Case folding, approximated as `toUpperCase()` then `toLowerCase()`, then final sigma ς → σ, then
 *    NFC again. Both mappings are ECMAScript's locale-independent defaults (UnicodeData.txt +
 *    SpecialCasing.txt, no Turkish or Lithuanian tailoring), so the result is the same on every
 *    machine. Lower-casing alone is not folding: it keeps "ß" apart from "ss" and "ﬁ" apart from "fi";
 *    the round trip through upper case maps them as CaseFolding.txt's full folding does (ß → SS → ss,
 *    ﬁ → FI → fi). `toLowerCase` writes Σ at a word's end as ς (SpecialCasing's Final_Sigma), so ς is
 *    mapped to σ last, as CaseFolding.txt does (03C2; C; 03C3). The second NFC recomposes what the
 *    mappings decompose (İ lower-cases to i + U+0307).
 * 3. Tokens are maximal runs of letters, combining marks and numbers (\p{L}, \p{M}, \p{N}); every
 *    other character (punctuation, symbols, spaces, controls) only separates tokens and is dropped.
 *    Marks stay inside tokens because many scripts write vowels with them (Devanagari, Arabic,
 *    Hebrew); "don't" gives "don", "t" on both sides alike.
 * 4. Scripts written without spaces between words: each letter or number of the Han, Hiragana,
 *    Katakana or Hangul scripts (by Script_Extensions, so "ー" and "々" count) is a token of its own,
 *    so that a shingle of width w is w characters there. Word segmentation would need a dictionary
 *    (ICU's, whose data differs between Node builds) and would make the tokens depend on the machine;
 *    one character per token is what decontamination work does for Chinese and Japanese text, and it
 *    is deterministic. Hangul is written with spaces, but per-syllable tokens keep Korean mixed with
 *    Han in one rule. Other scripts without spaces (Thai, Lao, Khmer, Myanmar, Tibetan) are not split
 *    further in version 1: a run between spaces or punctuation is one token, so shared text in them is
 *    found only at coarser grain.
 */
export const NORMALIZER_VERSION = 1;

/** The default shingle width in tokens (issue 7, §1). */
export const DEFAULT_SHINGLE_WIDTH = 10;

const cjk = String.raw`\p{Script_Extensions=Han}\p{Script_Extensions=Hiragana}\p{Script_Extensions=Katakana}\p{Script_Extensions=Hangul}`;
const wordChar = String.raw`\p{L}\p{M}\p{N}`;
/**
 * One CJK letter or number, or a run of other letters, marks and numbers. Written with the `v` flag's
 * set operations (ES2024; V8 11.3, Node 20), intersection `&&` and difference `--`, so that each
 * alternative is one character class, rather than a lookahead per character: the same tokens
 * (test/contamination.test.ts), found faster.
 */
const TOKEN = new RegExp(String.raw`[[${wordChar}]&&[${cjk}]]|[[${wordChar}]--[${cjk}]]+`, 'gv');

/** Steps 1 and 2: the text in NFC, case-folded, before tokenising. */
export function normalizeText(text: string): string {
  return text.normalize('NFC').toUpperCase().toLowerCase().replaceAll('ς', 'σ').normalize('NFC');
}

/** The tokens of a text under normaliser version `NORMALIZER_VERSION`, in text order. */
export function tokenize(text: string): string[] {
  return normalizeText(text).match(TOKEN) ?? [];
}

const utf8 = new TextEncoder();

/**
 * The shingles of a token sequence: every `width` consecutive tokens, starting at token 0, `stride`,
 * 2·`stride`, …, each as the UTF-8 bytes of its tokens joined by one space (a token never holds a
 * space, so the join is unambiguous). The bytes are what the index hashes: raw bytes on the hot path,
 * never strings. The sequence is encoded once and each shingle is a view into that one buffer, not a
 * copy. Fewer tokens than `width` give no shingle: the caller reports such a text as unscorable.
 *
 * The index build may use a stride s > 1 to meet a memory budget (sizing.ts); the scan always uses
 * stride 1. Then any run of at least width + s − 1 tokens shared with an indexed document holds s
 * consecutive shingle starts of that document, one of which is a multiple of s and so was indexed.
 */
export function shingles(tokens: readonly string[], width: number = DEFAULT_SHINGLE_WIDTH, stride = 1): Uint8Array[] {
  const out: Uint8Array[] = [];
  const bytes = encodeTokens(tokens, width, stride);
  if (bytes)
    for (let first = 0; first + width <= tokens.length; first += stride)
      out.push(bytes.subarray(bytes.starts[first], bytes.starts[first + width] - 1));
  return out;
}

/** The tokens joined by one space as UTF-8, with each token's byte offset (null when there is no shingle). */
function encodeTokens(tokens: readonly string[], width: number, stride: number): (Uint8Array & { starts: Int32Array }) | null {
  if (!Number.isSafeInteger(width) || width < 1) throw new RangeError(`shingle width must be a whole number ≥ 1, not ${width}`);
  if (!Number.isSafeInteger(stride) || stride < 1) throw new RangeError(`shingle stride must be a whole number ≥ 1, not ${stride}`);
  if (tokens.length < width) return null;
  const bytes = utf8.encode(tokens.join(' '));
  // starts[t] is the byte offset of token t, found as the byte after each space: a token never holds
  // a space, and no byte of a multi-byte UTF-8 character is 0x20. One pass over the bytes, where
  // encoding each token again to measure it cost more than the hashing.
  const starts = new Int32Array(tokens.length + 1);
  let t = 1;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x20) starts[t++] = i + 1;
  starts[tokens.length] = bytes.length + 1; // one past the last token's virtual trailing space
  return Object.assign(bytes, { starts });
}

/**
 * The same shingles as `shingles`, handed to `visit` one at a time in a reused buffer instead of
 * as views of their own: the index build visits hundreds of millions, and a view object per shingle
 * was most of its garbage-collection time. `visit` must not keep the array it is given (it is
 * overwritten by the next shingle).
 */
export function forEachShingleOf(tokens: readonly string[], width: number, stride: number, visit: (shingle: Uint8Array) => void): void {
  const bytes = encodeTokens(tokens, width, stride);
  if (!bytes) return;
  const { starts } = bytes;
  for (let first = 0; first + width <= tokens.length; first += stride) {
    const start = starts[first];
    const length = starts[first + width] - 1 - start;
    const view = scratchView(length);
    for (let i = 0; i < length; i++) view[i] = bytes[start + i];
    visit(view);
  }
}

let scratch = new Uint8Array(1 << 12);
let scratchViews: Uint8Array[] = [];
/** A view of the first `length` bytes of one shared buffer, one view object per length, made once. */
function scratchView(length: number): Uint8Array {
  if (length > scratch.length) {
    scratch = new Uint8Array(2 ** Math.ceil(Math.log2(length)));
    scratchViews = [];
  }
  return (scratchViews[length] ??= scratch.subarray(0, length));
}
