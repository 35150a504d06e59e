import { hash } from 'node:crypto';

/**
 * The rank of a candidate: SHA-256 of `seed:id`, as hex. Ranking by a keyed hash instead of
 * shuffling makes the draw a function of the set of candidates, not their order, and growing the
 * pool moves the sample as little as possible: a new candidate displaces an old one only if it
 * ranks below it.
 */
export function rankKey(seed: number, id: string): string {
  return hash('sha256', `${seed}:${id}`, 'hex');
}

/** The `count` lowest-ranked ids (ties, which need a SHA-256 collision, fall back to the id). */
export function drawLowest(ids: readonly string[], count: number, seed: number): string[] {
  if (count >= ids.length) return [...ids];
  const ranked = ids.map((id) => ({ id, key: rankKey(seed, id) }));
  ranked.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
  return ranked.slice(0, count).map((r) => r.id);
}
