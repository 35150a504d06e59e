import semver from 'semver';
import { digest } from '../io/hash.ts';
import type { Issue } from '../errors.ts';
import type { Taxonomy } from './taxonomy.ts';

/**
 * A hash of what the taxonomy says, without its version: canonical JSON (RFC 8785) of every other
 * field, so key order and whitespace do not count, and any edit that can move an example (a
 * threshold, a category, a level, the precedence, the tokenizer) does. The assignment table records
 * it beside the version, so "the taxonomy changed but its version did not" needs no guesswork.
 */
export function taxonomyContentHash(taxonomy: Taxonomy): string {
  const { version: _version, $schema: _schema, ...content } = taxonomy as Taxonomy & { $schema?: string };
  return digest(content);
}

/** What a taxonomy was when it was last used: its version and its content hash. */
export interface TaxonomyStamp {
  version: string;
  content_hash: string;
}

export const taxonomyStamp = (taxonomy: Taxonomy): TaxonomyStamp => ({ version: taxonomy.version, content_hash: taxonomyContentHash(taxonomy) });

/**
 * The version an edited taxonomy must declare: a new major when a category or a difficulty level was
 * removed or renamed (a stratum id that held examples no longer exists), else a new minor (thresholds,
 * precedence, tokenizer, added categories or levels: examples may move between existing strata).
 */
export function requiredTaxonomyVersion(before: Taxonomy | null, beforeVersion: string, after: Taxonomy): string {
  const ids = (t: Taxonomy) => [...t.categories.map((c) => `c:${c.id}`), ...t.difficulty.levels.map((l) => `l:${l.id}`)];
  const now = new Set(ids(after));
  const removed = before ? ids(before).some((id) => !now.has(id)) : false;
  return semver.inc(beforeVersion, removed ? 'major' : 'minor') ?? beforeVersion;
}

/**
 * The problem, if any, with a taxonomy whose content changed while its version stayed the same: the
 * reclassification registry records moves between versions only, so such an edit would move examples
 * with no record. `previous` is the stamp last used (the assignment table's, or the committed one).
 */
export function taxonomyEditIssue(
  previous: TaxonomyStamp | null,
  current: Taxonomy,
  file: string,
  previousTaxonomy: Taxonomy | null = null,
  line?: number,
): Issue | null {
  if (!previous || previous.version !== current.version) return null;
  if (previous.content_hash === taxonomyContentHash(current)) return null;
  const wanted = requiredTaxonomyVersion(previousTaxonomy, current.version, current);
  return {
    file,
    line,
    field: 'version',
    message:
      `the taxonomy changed since version ${current.version} was used, but its version did not: set "version" to ${wanted}` +
      `${previousTaxonomy ? '' : ' (or the next major version if a category or level was removed or renamed)'}, ` +
      'so that classify records every example that moves stratum in taxonomy/registry.jsonl',
  };
}
