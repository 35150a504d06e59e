import { hash } from 'node:crypto';
import { byCodePoint } from '../io/order.ts';
import type { Exclusion } from './exclusion.ts';

/** The version of `normalizePrompt`, recorded with every duplicates report: a change to the rule is a change to the results. */
export const PROMPT_NORMALIZER_VERSION = 1;

/**
 * The form in which two prompts count as the same: Unicode NFC, case folded, whitespace collapsed.
 * JavaScript has no full case folding; upper- then lower-casing gives it for the letters that differ
 * from simple lower-casing (ß → ss, ς → σ, ﬁ → fi), and NFC runs again because casing can decompose.
 */
export function normalizePrompt(prompt: string): string {
  // Printable ASCII and ASCII whitespace (most prompts): NFC changes nothing and folding is lower-casing.
  if (ASCII.test(prompt)) return prompt.toLowerCase().replace(/\s+/g, ' ').trim();
  return prompt.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC').replace(/\s+/gu, ' ').trim();
}

const ASCII = /^[\x09-\x0d\x20-\x7e]*$/;

/** A short fixed-width key of the normalised prompt (SHA-256, first 128 bits as base64url), stored per example by classify. */
export function promptKey(prompt: string): string {
  return hash('sha256', normalizePrompt(prompt), 'base64url').slice(0, 22);
}

export interface DuplicateGroup {
  key: string;
  /** The member kept in the pool: the smallest id by code point, so the choice depends on the set, not on file order. */
  kept: string;
  /** The other members, excluded from the draw, sorted by id. */
  excluded: string[];
}

/** Groups of two or more examples with the same prompt key, sorted by their kept id. */
export function duplicateGroups(ids: readonly string[], keys: readonly string[]): DuplicateGroup[] {
  const byKey = new Map<string, string[]>();
  for (let i = 0; i < ids.length; i++) {
    const members = byKey.get(keys[i]);
    if (members) members.push(ids[i]);
    else byKey.set(keys[i], [ids[i]]);
  }
  const groups: DuplicateGroup[] = [];
  for (const [key, members] of byKey) {
    if (members.length < 2) continue;
    members.sort(byCodePoint);
    groups.push({ key, kept: members[0], excluded: members.slice(1) });
  }
  return groups.sort((a, b) => byCodePoint(a.kept, b.kept));
}

/** One exclusion per non-kept member: its score is the size of its group. */
export function duplicateExclusions(groups: readonly DuplicateGroup[]): Exclusion[] {
  return groups
    .flatMap((g) =>
      g.excluded.map((id) => ({
        id,
        check: 'duplicates',
        score: g.excluded.length + 1,
        reason: `same normalised prompt as ${g.kept}, which is kept`,
      })),
    )
    .sort((a, b) => byCodePoint(a.id, b.id));
}
