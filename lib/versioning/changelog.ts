import { InvalidInputError } from '../errors.ts';
import { git, revisionExists } from '../io/git.ts';
import { byCodePoint } from '../io/order.ts';
import { columnValues, decodeParquet } from '../io/parquet.ts';
import { countKinds, describeDiff, diffSnapshots, plural, type ChangeKind, type DatasetDiff } from './plan.ts';
import { recordedParquet } from './reproduce.ts';
import { readSnapshot, type DatasetSnapshot } from './snapshot.ts';
import { parseTag } from './tags.ts';

/**
 * A structured commit message (README, "Commit messages"): the subject `dataset(NAME): summary`
 * (NAME may be `*` for every dataset), an optional body, and git trailers such as
 * `Dataset-Change: refresh`, `Added: 12`, `Retired: 8`.
 */
export interface StructuredCommit {
  sha: string;
  dataset: string;
  summary: string;
  trailers: Record<string, string>;
}

const SUBJECT = /^dataset\(([^)]+)\):\s*(.+)$/;

export function parseCommitMessage(sha: string, subject: string, trailerText: string): StructuredCommit | null {
  const m = SUBJECT.exec(subject.trim());
  if (!m) return null;
  const trailers: Record<string, string> = {};
  for (const line of trailerText.split('\n')) {
    const t = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line.trim());
    if (t) trailers[t[1]] = t[2];
  }
  return { sha, dataset: m[1], summary: m[2], trailers };
}

/** A sample parameter that differs between the releases, by dotted key; `from` / `to` are absent where the key is. */
export interface ParamChange {
  key: string;
  from?: unknown;
  to?: unknown;
}

/** The old and new labels of the relabeled examples, read from both releases' data.parquet when the DVC cache holds them. */
export type LabelChanges =
  { available: true; changes: { id: string; stratum: string; from: string; to: string }[] } | { available: false; reason: string; changes: [] };

export interface Changelog {
  dataset: string;
  from: { tag: string; version: string };
  to: { tag: string; version: string };
  diff: DatasetDiff;
  params: ParamChange[];
  labels: LabelChanges;
  commits: StructuredCommit[];
}

/** A nested params object as dotted keys (`allocation.mode`); arrays and scalars are leaves. */
export function flattenParams(value: unknown, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenParams(v, prefix ? `${prefix}.${k}` : k, into);
  } else if (prefix) into.set(prefix, value);
  return into;
}

/** The params meta.json recorded at each release, compared key by key. */
export function diffParams(before: unknown, after: unknown): ParamChange[] {
  const was = flattenParams(before ?? {});
  const is = flattenParams(after ?? {});
  return [...new Set([...was.keys(), ...is.keys()])]
    .sort(byCodePoint)
    .filter((key) => JSON.stringify(was.get(key)) !== JSON.stringify(is.get(key)))
    .map((key) => ({ key, ...(was.has(key) && { from: was.get(key) }), ...(is.has(key) && { to: is.get(key) }) }));
}

/** The labels column of a release's data.parquet by id, or null when the DVC cache lacks the file. */
function labelsAt(root: string, tag: string, dataset: string): Map<string, string> | null {
  const bytes = recordedParquet(root, tag, dataset);
  if (!bytes) return null;
  const table = decodeParquet(bytes, { columns: ['id', 'labels'] });
  const ids = columnValues(table, 'id') as string[];
  const labels = columnValues(table, 'labels') as string[];
  return new Map(ids.map((id, i) => [id, labels[i]]));
}

function labelChanges(root: string, fromTag: string, toTag: string, dataset: string, diff: DatasetDiff): LabelChanges {
  const relabeled = diff.changes.filter((c) => c.kind === 'relabeled');
  if (!relabeled.length) return { available: true, changes: [] };
  const before = labelsAt(root, fromTag, dataset);
  const after = labelsAt(root, toTag, dataset);
  if (!before || !after) {
    const missing = [!before && fromTag, !after && toTag].filter(Boolean);
    return {
      available: false,
      reason: `the DVC cache does not hold data.parquet of ${missing.join(' and ')} (\`dvc pull\` at the tag brings it)`,
      changes: [],
    };
  }
  return { available: true, changes: relabeled.map((c) => ({ id: c.id, stratum: c.stratum, from: before.get(c.id)!, to: after.get(c.id)! })) };
}

/** The changelog from two snapshots: pure, so it can be measured and tested without git. */
export function changelogOf(
  release: { dataset: string; from: { tag: string; version: string }; to: { tag: string; version: string } },
  before: DatasetSnapshot,
  after: DatasetSnapshot,
  commits: StructuredCommit[] = [],
  labels: (diff: DatasetDiff) => LabelChanges = () => ({ available: false, reason: 'no data.parquet was read', changes: [] }),
): Changelog {
  const diff = diffSnapshots(before, after);
  return { ...release, diff, params: diffParams(before.meta?.params, after.meta?.params), labels: labels(diff), commits };
}

function structuredCommits(root: string, fromTag: string, toTag: string, dataset: string): StructuredCommit[] {
  const log = git(root, ['log', '--reverse', '--format=%H%x1f%s%x1f%(trailers:unfold,only)%x1e', `${fromTag}..${toTag}`]);
  return log
    .split('\x1e')
    .map((record) => record.trim())
    .filter(Boolean)
    .map((record) => {
      const [sha, subject, trailers] = record.split('\x1f');
      return parseCommitMessage(sha, subject, trailers ?? '');
    })
    .filter((c): c is StructuredCommit => c !== null && (c.dataset === dataset || c.dataset === '*'));
}

export function buildChangelog(root: string, fromTag: string, toTag: string): Changelog {
  const from = parseTag(fromTag);
  const to = parseTag(toTag);
  if (!from || !to || from.dataset !== to.dataset) {
    throw new InvalidInputError([
      { file: 'arguments', message: `expected two release tags of one dataset (eval-dataset/NAME/vX.Y.Z), got ${fromTag} and ${toTag}` },
    ]);
  }
  for (const tag of [fromTag, toTag]) {
    if (!revisionExists(root, `refs/tags/${tag}`)) throw new InvalidInputError([{ file: 'arguments', message: `no such tag: ${tag}` }]);
  }
  const before = readSnapshot(root, from.dataset, { kind: 'rev', rev: fromTag });
  const after = readSnapshot(root, to.dataset, { kind: 'rev', rev: toTag });
  if (!before || !after) throw new InvalidInputError([{ file: !before ? fromTag : toTag, message: `holds no manifest for ${from.dataset}` }]);
  return changelogOf(
    { dataset: from.dataset, from: { tag: fromTag, version: from.version }, to: { tag: toTag, version: to.version } },
    before,
    after,
    structuredCommits(root, fromTag, toTag, from.dataset),
    (diff) => labelChanges(root, fromTag, toTag, from.dataset, diff),
  );
}

const KIND_TITLES: Record<ChangeKind, string> = {
  added: 'Added',
  removed: 'Removed',
  changed: 'Content changed',
  moved: 'Moved in',
  relabeled: 'Relabeled',
  metadata: 'Metadata changed (capabilities, source, …)',
};
const KINDS = Object.keys(KIND_TITLES) as ChangeKind[];

/** Inline code that survives backticks in the text (CommonMark: a longer backtick fence). */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return longest ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

const paramValue = (change: ParamChange, side: 'from' | 'to') => (side in change ? code(JSON.stringify(change[side])) : '(absent)');

/** The Markdown changelog. Every step is one pass over the changes: a seed change on a large dataset lists hundreds of thousands. */
export function renderChangelog(c: Changelog): string {
  const lines = [`# ${c.dataset}: ${c.from.version} → ${c.to.version}`, '', `From \`${c.from.tag}\` to \`${c.to.tag}\`.`, '', '## Summary', ''];
  const strata = Object.entries(c.diff.strata);
  if (strata.length) {
    lines.push(
      '| stratum | added | removed | content changed | moved in | moved out | relabeled | metadata changed |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [s, n] of strata)
      lines.push(`| ${s} | ${n.added} | ${n.removed} | ${n.changed} | ${n.moved_in} | ${n.moved_out} | ${n.relabeled} | ${n.metadata} |`);
  } else lines.push('No example changed.');
  if (c.diff.contentHash && !strata.length) lines.push('', `The rows' content hash changed: ${c.diff.contentHash.from} → ${c.diff.contentHash.to}.`);

  const schema = describeDiff({ ...c.diff, strata: {}, contentHash: null });
  lines.push('', '## Schema', '');
  if (schema.trim() === 'no changes') lines.push('No schema change.');
  else for (const l of schema.split('\n')) lines.push(`- ${l.trim()}`);

  lines.push('', '## Parameters', '');
  if (!c.params.length) lines.push('No sample parameter changed.');
  for (const p of c.params) lines.push(`- \`${p.key}\`: ${paramValue(p, 'from')} → ${paramValue(p, 'to')}`);

  lines.push('', '## Examples');
  // One pass: changes arrive sorted by stratum then id, so each stratum's ids are gathered per kind in order.
  const byStratum = new Map<string, Map<ChangeKind, string[]>>();
  for (const change of c.diff.changes) {
    let kinds = byStratum.get(change.stratum);
    if (!kinds) byStratum.set(change.stratum, (kinds = new Map()));
    let ids = kinds.get(change.kind);
    if (!ids) kinds.set(change.kind, (ids = []));
    ids.push(change.from ? `\`${change.id}\` (from ${change.from})` : `\`${change.id}\``);
  }
  if (!byStratum.size) lines.push('', 'No example changed.');
  for (const [stratum, kinds] of byStratum) {
    lines.push('', `### ${stratum}`, '');
    for (const kind of KINDS) {
      const ids = kinds.get(kind);
      if (ids) lines.push(`- ${KIND_TITLES[kind]} (${ids.length}): ${ids.join(', ')}`);
    }
  }

  const relabeled = countKinds(c.diff.changes).relabeled;
  if (relabeled) {
    lines.push('', '## Labels', '');
    if (!c.labels.available) lines.push(`Old and new label values are not shown: ${c.labels.reason}.`);
    else {
      lines.push(`${plural(relabeled, 'example')} relabeled:`, '');
      for (const l of c.labels.changes) lines.push(`- \`${l.id}\` (${l.stratum}): ${code(l.from)} → ${code(l.to)}`);
    }
  }

  lines.push('', '## Commits', '');
  if (!c.commits.length) lines.push('No structured commit messages between the tags.');
  for (const commit of c.commits) {
    const trailers = Object.entries(commit.trailers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
    lines.push(`- \`${commit.sha.slice(0, 10)}\` ${commit.summary}${trailers ? ` (${trailers})` : ''}`);
  }
  return lines.join('\n') + '\n';
}
