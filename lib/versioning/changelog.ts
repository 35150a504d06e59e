import { InvalidInputError } from '../errors.ts';
import { git, revisionExists } from '../io/git.ts';
import { describeDiff, diffSnapshots, type DatasetDiff } from './plan.ts';
import { readSnapshot } from './snapshot.ts';
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

export interface Changelog {
  dataset: string;
  from: { tag: string; version: string };
  to: { tag: string; version: string };
  diff: DatasetDiff;
  commits: StructuredCommit[];
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
  const log = git(root, ['log', '--reverse', '--format=%H%x1f%s%x1f%(trailers:unfold,only)%x1e', `${fromTag}..${toTag}`]);
  const commits = log
    .split('\x1e')
    .map((record) => record.trim())
    .filter(Boolean)
    .map((record) => {
      const [sha, subject, trailers] = record.split('\x1f');
      return parseCommitMessage(sha, subject, trailers ?? '');
    })
    .filter((c): c is StructuredCommit => c !== null && (c.dataset === from.dataset || c.dataset === '*'));
  return {
    dataset: from.dataset,
    from: { tag: fromTag, version: from.version },
    to: { tag: toTag, version: to.version },
    diff: diffSnapshots(before, after),
    commits,
  };
}

const KIND_TITLES = { added: 'Added', removed: 'Removed', changed: 'Content changed', moved: 'Moved in', relabeled: 'Relabeled' } as const;

export function renderChangelog(c: Changelog): string {
  const lines = [`# ${c.dataset}: ${c.from.version} → ${c.to.version}`, '', `From \`${c.from.tag}\` to \`${c.to.tag}\`.`, '', '## Summary', ''];
  const strata = Object.entries(c.diff.strata);
  if (strata.length) {
    lines.push(
      '| stratum | added | removed | content changed | moved in | moved out | relabeled |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const [s, n] of strata) lines.push(`| ${s} | ${n.added} | ${n.removed} | ${n.changed} | ${n.moved_in} | ${n.moved_out} | ${n.relabeled} |`);
  } else lines.push('No example changed.');
  const schema = describeDiff({ ...c.diff, strata: {} });
  lines.push(
    '',
    '## Schema',
    '',
    schema.trim() === 'no changes'
      ? 'No schema change.'
      : schema
          .split('\n')
          .map((l) => `- ${l.trim()}`)
          .join('\n'),
  );
  lines.push('', '## Examples');
  const byStratum = new Map<string, typeof c.diff.changes>();
  for (const change of c.diff.changes) byStratum.set(change.stratum, [...(byStratum.get(change.stratum) ?? []), change]);
  for (const [stratum, changes] of byStratum) {
    lines.push('', `### ${stratum}`, '');
    for (const kind of Object.keys(KIND_TITLES) as (keyof typeof KIND_TITLES)[]) {
      const ids = changes.filter((ch) => ch.kind === kind).map((ch) => (ch.from ? `\`${ch.id}\` (from ${ch.from})` : `\`${ch.id}\``));
      if (ids.length) lines.push(`- ${KIND_TITLES[kind]} (${ids.length}): ${ids.join(', ')}`);
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
