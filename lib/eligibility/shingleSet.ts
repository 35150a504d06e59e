import type { XXHashAPI } from 'xxhash-wasm';
import { shingles, tokenize } from '../contamination/normalize.ts';

/**
 * The shingle set of a text, as near-duplicate detection compares it: the text through the
 * contamination normaliser (`tokenize`, so both detectors see the same tokens), every `width`
 * consecutive tokens (`shingles`, stride 1), each shingle's UTF-8 bytes hashed once with xxHash64
 * (xxhash-wasm's `h64Raw`, seeded), sorted ascending without repeats.
 *
 * A shingle stands for its 64-bit hash: two different shingles in the pair compared share a hash with
 * probability about 2⁻⁶⁴ each, so the Jaccard similarity of these sets is the exact similarity of the
 * shingle sets unless such a collision happens, and a collision could only raise it by one shingle.
 * Holding the hashes (8 bytes each, one typed array per text) rather than the shingle strings keeps a
 * pool of 100,000 prompts in tens of megabytes.
 *
 * An empty set means fewer tokens than `width`: such a text cannot be compared.
 */
export function shingleHashSet(text: string, width: number, h64Raw: XXHashAPI['h64Raw'], seed: bigint): BigUint64Array {
  const parts = shingles(tokenize(text), width);
  const set = new BigUint64Array(parts.length);
  for (let i = 0; i < parts.length; i++) set[i] = h64Raw(parts[i], seed);
  set.sort();
  let unique = 0;
  for (let i = 0; i < set.length; i++) if (i === 0 || set[i] !== set[unique - 1]) set[unique++] = set[i];
  return unique === set.length ? set : set.slice(0, unique);
}

/**
 * The Jaccard similarity |A ∩ B| / |A ∪ B| of two sets given as ascending arrays without repeats
 * (Jaccard 1901; Broder 1997 calls it the resemblance), by one merge pass. Two empty sets have
 * similarity 0 here: a text with no shingle is never a near-duplicate of anything.
 */
export function jaccard(a: BigUint64Array, b: BigUint64Array): number {
  let i = 0;
  let j = 0;
  let shared = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === y) {
      shared++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  const union = a.length + b.length - shared;
  return union === 0 ? 0 : shared / union;
}
