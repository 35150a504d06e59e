import { hash } from 'node:crypto';
import { byCodePoint } from '../io/order.ts';

/**
 * The rank of a candidate: SHA-256 of `seed:id`, as hex. Ranking by a keyed hash instead of
 * shuffling makes the draw a function of the set of candidates, not their order, and growing the
 * pool moves the sample as little as possible: a new candidate displaces an old one only if it
 * ranks below it. Anyone can recompute a rank with `printf '%s' 'seed:id' | sha256sum`.
 */
export function rankKey(seed: number, id: string): string {
  return hash('sha256', `${seed}:${id}`, 'hex');
}

/**
 * Positions of the `count` lowest-ranked ids, in rank order. Ranks are compared by their first 48
 * bits as a number (exact in a double, and fast to sort); equal prefixes, rare even among millions
 * of candidates, fall back to the full hash and then the id.
 */
export function lowestRanked(ids: readonly string[], count: number, seed: number): Uint32Array {
  const prefix = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) prefix[i] = parseInt(rankKey(seed, ids[i]).slice(0, 12), 16);
  const order = Uint32Array.from(ids, (_, i) => i).sort(
    (a, b) => prefix[a] - prefix[b] || byCodePoint(rankKey(seed, ids[a]), rankKey(seed, ids[b])) || byCodePoint(ids[a], ids[b]),
  );
  return order.subarray(0, count);
}

/** The `count` lowest-ranked ids, in rank order. */
export function drawLowest(ids: readonly string[], count: number, seed: number): string[] {
  return Array.from(lowestRanked(ids, count, seed), (i) => ids[i]);
}
