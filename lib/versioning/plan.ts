/**
 * The release plan: one pure function compares a dataset at its latest release with the dataset now
 * and says which semver bump the change requires, and why (deciding), apart from tagging and
 * committing (doing). The rules:
 * - major: a breaking schema change — a stratum removed or renamed, a column added, removed or
 *   retyped (a reader's schema no longer matches), a new major version of the taxonomy (its meaning changed);
 * - minor: the examples changed — ids added or removed, the content of an id changed, an example
 *   moved to another stratum, a stratum added;
 * - patch: labels changed, or another column of an example (capabilities, source, …: its row_hash
 *   changed while its stratum, content and labels did not), or the rows' content hash changed at all;
 * - none: nothing changed, and the version must stay as it is.
 */
import semver from 'semver';
import { differingExamples } from './manifestWalk.ts';
import type { DatasetSnapshot } from './snapshot.ts';
import { byCodePoint } from '../io/order.ts';

export type Bump = 'none' | 'patch' | 'minor' | 'major';
const ORDER: Bump[] = ['none', 'patch', 'minor', 'major'];

/** `metadata`: a column outside stratum, prompt, reference and labels changed (capabilities, source, …). */
export type ChangeKind = 'added' | 'removed' | 'changed' | 'moved' | 'relabeled' | 'metadata';

export interface ExampleChange {
  id: string;
  kind: ChangeKind;
  /** The stratum now (the old one for a removed example). */
  stratum: string;
  /** For a moved example, the stratum it left. */
  from?: string;
}

export interface StratumCounts {
  added: number;
  removed: number;
  changed: number;
  moved_in: number;
  moved_out: number;
  relabeled: number;
  metadata: number;
}

export interface DatasetDiff {
  /** Sorted by stratum, then id. */
  changes: ExampleChange[];
  strata: Record<string, StratumCounts>;
  strataAdded: string[];
  strataRemoved: string[];
  columnsAdded: string[];
  columnsRemoved: string[];
  columnsRetyped: { column: string; from: string; to: string }[];
  taxonomy: { from: string; to: string } | null;
  /** The canonical content hashes of the rows (meta.json) when they differ; null when equal or unknown. */
  contentHash: { from: string; to: string } | null;
}

export function diffSnapshots(before: DatasetSnapshot, after: DatasetSnapshot): DatasetDiff {
  // Identical manifest lines are unchanged examples: only the lines on one side alone are parsed (manifestWalk.ts).
  const { old, now } = differingExamples(before, after, [`evalsets/${before.name}/manifest.jsonl`, `evalsets/${after.name}/manifest.jsonl`]);
  const changes: ExampleChange[] = [];
  for (const [id, was] of old) {
    const is = now.get(id);
    if (!is) changes.push({ id, kind: 'removed', stratum: was.stratum });
    else if (is.content_hash !== was.content_hash) changes.push({ id, kind: 'changed', stratum: is.stratum });
    else if (is.stratum !== was.stratum) changes.push({ id, kind: 'moved', stratum: is.stratum, from: was.stratum });
    else if (is.label_hash !== was.label_hash) changes.push({ id, kind: 'relabeled', stratum: is.stratum });
    // Compared only when both sides have it: a manifest from before row_hash existed says nothing about the other columns.
    else if (was.row_hash !== undefined && is.row_hash !== undefined && was.row_hash !== is.row_hash)
      changes.push({ id, kind: 'metadata', stratum: is.stratum });
  }
  for (const [id, is] of now) if (!old.has(id)) changes.push({ id, kind: 'added', stratum: is.stratum });
  changes.sort((a, b) => byCodePoint(a.stratum, b.stratum) || byCodePoint(a.id, b.id));

  const strata: Record<string, StratumCounts> = {};
  const count = (stratum: string) => (strata[stratum] ??= { added: 0, removed: 0, changed: 0, moved_in: 0, moved_out: 0, relabeled: 0, metadata: 0 });
  for (const c of changes) {
    if (c.kind === 'moved') {
      count(c.stratum).moved_in++;
      count(c.from!).moved_out++;
    } else count(c.stratum)[c.kind]++;
  }

  const beforeStrata = new Set(before.strata);
  const afterStrata = new Set(after.strata);
  const beforeCols = before.columns;
  const afterCols = after.columns;
  return {
    changes,
    strata: Object.fromEntries(Object.entries(strata).sort(([a], [b]) => byCodePoint(a, b))),
    strataAdded: after.strata.filter((s) => !beforeStrata.has(s)).sort(byCodePoint),
    strataRemoved: before.strata.filter((s) => !afterStrata.has(s)).sort(byCodePoint),
    columnsAdded: Object.keys(afterCols)
      .filter((c) => !(c in beforeCols))
      .sort(byCodePoint),
    columnsRemoved: Object.keys(beforeCols)
      .filter((c) => !(c in afterCols))
      .sort(byCodePoint),
    columnsRetyped: Object.keys(afterCols)
      .filter((c) => c in beforeCols && beforeCols[c] !== afterCols[c])
      .sort(byCodePoint)
      .map((column) => ({ column, from: beforeCols[column], to: afterCols[column] })),
    taxonomy: before.taxonomyVersion === after.taxonomyVersion ? null : { from: before.taxonomyVersion, to: after.taxonomyVersion },
    contentHash: contentHashChange(before, after),
  };
}

function contentHashChange(before: DatasetSnapshot, after: DatasetSnapshot): DatasetDiff['contentHash'] {
  const from = before.meta?.content_hash;
  const to = after.meta?.content_hash;
  return from && to && from !== to ? { from, to } : null;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
/** `1 example's` / `2 examples'`. */
const possessive = (n: number, word: string) => (n === 1 ? `1 ${word}'s` : `${n} ${word}s'`);

/** How many changes of each kind, in one pass. */
export function countKinds(changes: readonly ExampleChange[]): Record<ChangeKind, number> {
  const counts: Record<ChangeKind, number> = { added: 0, removed: 0, changed: 0, moved: 0, relabeled: 0, metadata: 0 };
  for (const c of changes) counts[c.kind]++;
  return counts;
}

/** The bump a diff requires, with every reason that calls for it, strongest first. */
export function classifyBump(diff: DatasetDiff): { bump: Bump; reasons: { bump: Bump; reason: string }[] } {
  const reasons: { bump: Bump; reason: string }[] = [];
  const add = (bump: Bump, reason: string) => reasons.push({ bump, reason });
  for (const s of diff.strataRemoved) add('major', `stratum \`${s}\` was removed`);
  for (const c of diff.columnsRemoved) add('major', `column \`${c}\` was removed`);
  for (const c of diff.columnsRetyped) add('major', `column \`${c.column}\` changed type from ${c.from} to ${c.to}`);
  if (
    diff.taxonomy &&
    semver.valid(diff.taxonomy.from) &&
    semver.valid(diff.taxonomy.to) &&
    semver.major(diff.taxonomy.from) !== semver.major(diff.taxonomy.to)
  ) {
    add('major', `the taxonomy changed its meaning (${diff.taxonomy.from} → ${diff.taxonomy.to}, a new major version)`);
  }
  for (const c of diff.columnsAdded) add('major', `column \`${c}\` was added`);
  const counts = countKinds(diff.changes);
  const n = (kind: ChangeKind) => counts[kind];
  if (n('added')) add('minor', `${plural(n('added'), 'example')} added`);
  if (n('removed')) add('minor', `${plural(n('removed'), 'example')} removed`);
  if (n('changed')) add('minor', `the content of ${plural(n('changed'), 'example')} changed`);
  if (n('moved')) add('minor', `${plural(n('moved'), 'example')} moved to another stratum`);
  for (const s of diff.strataAdded) add('minor', `stratum \`${s}\` was added`);
  if (n('relabeled')) add('patch', `${n('metadata') ? 'labels' : 'only labels'} changed (${plural(n('relabeled'), 'example')} relabeled)`);
  if (n('metadata')) add('patch', `${possessive(n('metadata'), 'example')} metadata changed (capabilities, source or another column)`);
  // Belt and braces: whatever the manifest says, different rows are never the same release.
  if (!reasons.length && diff.contentHash) {
    add(
      'patch',
      `the rows' content hash changed (${diff.contentHash.from.slice(0, 12)} → ${diff.contentHash.to.slice(0, 12)}) though no manifest line did`,
    );
  }
  reasons.sort((a, b) => ORDER.indexOf(b.bump) - ORDER.indexOf(a.bump));
  return { bump: reasons[0]?.bump ?? 'none', reasons };
}

export interface ReleasePlan {
  dataset: string;
  /** The latest release tag, null for a first release. */
  previousTag: string | null;
  previousVersion: string | null;
  declaredVersion: string;
  required: Bump | 'initial';
  /** The version the rules call for; null for a first release (any version ≥ 0.1.0). */
  expectedVersion: string | null;
  reasons: { bump: Bump; reason: string }[];
  diff: DatasetDiff | null;
  ok: boolean;
  /** Why the declared version is refused; empty when ok. */
  violation: string;
}

/** What a version change declares: the level of 1.3.0 → 1.4.0 is minor. */
function declaredLevel(previous: string, declared: string): string {
  if (semver.eq(previous, declared)) return 'no';
  if (semver.lt(declared, previous)) return 'a backwards';
  return `a ${semver.diff(previous, declared)}`;
}

export function planRelease(
  dataset: string,
  previous: { tag: string; version: string; snapshot: DatasetSnapshot } | null,
  current: DatasetSnapshot,
  declaredVersion: string,
): ReleasePlan {
  if (!previous) {
    const ok = semver.valid(declaredVersion) !== null && semver.gte(declaredVersion, '0.1.0');
    return {
      dataset,
      previousTag: null,
      previousVersion: null,
      declaredVersion,
      required: 'initial',
      expectedVersion: null,
      reasons: [{ bump: 'none', reason: 'first release: no earlier tag' }],
      diff: null,
      ok,
      violation: ok ? '' : `the first version of ${dataset} must be at least 0.1.0; ${declaredVersion} is declared`,
    };
  }
  const diff = diffSnapshots(previous.snapshot, current);
  const { bump, reasons } = classifyBump(diff);
  const expected = bump === 'none' ? previous.version : semver.inc(previous.version, bump)!;
  const ok = semver.valid(declaredVersion) !== null && semver.eq(declaredVersion, expected);
  let violation = '';
  if (!ok) {
    const because = bump === 'none' ? `nothing changed since ${previous.tag}` : reasons[0].reason;
    const requirement = bump === 'none' ? `the version must stay ${previous.version}` : `a ${bump} bump (${expected}) is required`;
    const declares = semver.valid(declaredVersion)
      ? `declares ${declaredLevel(previous.version, declaredVersion)} bump`
      : 'is not a semantic version';
    violation = `version ${previous.version} → ${declaredVersion} ${declares}, but ${because}: ${requirement}`;
  }
  return {
    dataset,
    previousTag: previous.tag,
    previousVersion: previous.version,
    declaredVersion,
    required: bump,
    expectedVersion: expected,
    reasons,
    diff,
    ok,
    violation,
  };
}

/** The diff summary a person reads: per stratum added, removed, changed, moved and relabeled counts, then schema changes. */
export function describeDiff(diff: DatasetDiff): string {
  const lines: string[] = [];
  for (const [stratum, c] of Object.entries(diff.strata)) {
    const parts = [
      c.added && `+${c.added} added`,
      c.removed && `-${c.removed} removed`,
      c.changed && `${c.changed} changed`,
      c.moved_in && `${c.moved_in} moved in`,
      c.moved_out && `${c.moved_out} moved out`,
      c.relabeled && `${c.relabeled} relabeled`,
      c.metadata && `${possessive(c.metadata, 'example')} metadata changed`,
    ].filter(Boolean);
    lines.push(`  ${stratum}: ${parts.join(', ')}`);
  }
  for (const s of diff.strataAdded) lines.push(`  stratum added: ${s}`);
  for (const s of diff.strataRemoved) lines.push(`  stratum removed: ${s}`);
  for (const c of diff.columnsAdded) lines.push(`  column added: ${c}`);
  for (const c of diff.columnsRemoved) lines.push(`  column removed: ${c}`);
  for (const c of diff.columnsRetyped) lines.push(`  column retyped: ${c.column} (${c.from} → ${c.to})`);
  if (diff.taxonomy) lines.push(`  taxonomy: ${diff.taxonomy.from} → ${diff.taxonomy.to}`);
  // Any example change moves the content hash too; it is news only when nothing else explains it.
  if (diff.contentHash && !Object.keys(diff.strata).length) lines.push(`  content hash: ${diff.contentHash.from} → ${diff.contentHash.to}`);
  return lines.length ? lines.join('\n') : '  no changes';
}
