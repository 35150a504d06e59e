/**
 * A changeset for people: the one-paragraph summary the CLI and the stage print, and the per-stratum
 * and per-category statistics a refresh pull request's description holds.
 */
import { markdownTable } from 'markdown-table';
import type { Changeset, ChangeEntryList } from './changeset.ts';
import type { NotRunChangeset } from './recurateProject.ts';

const n = (x: number) => x.toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function listed(title: string, entries: ChangeEntryList, shown: number): string[] {
  if (!entries.length) return [];
  const lines = entries
    .slice(0, shown)
    .map((e) => `    ${e.id} (${e.stratum}${e.distance === undefined ? '' : `, distance ${e.distance.toFixed(3)}`}): ${e.reasons.join('; ')}`);
  if (entries.length > shown) lines.push(`    … and ${n(entries.length - shown)} more (--json lists every one)`);
  return [`  ${title}:`, ...lines];
}

export function describeChangeset(c: Changeset | NotRunChangeset, shown = 5): string {
  if ('not_run' in c) return `${c.dataset}: no re-curation proposed: ${c.not_run}`;
  const head =
    `${c.dataset}: ${c.due ? 're-curation is due' : `re-curation is not due (staleness: ${c.staleness.action})`}; the proposal against ` +
    `${c.staleness.window.from} to ${c.staleness.window.to}: retain ${n(c.retain.length)}, retire ${n(c.retire.length)}, ` +
    `replace ${n(c.replace.length)}, add ${n(c.add.length)}` +
    (c.held_back.length ? ` (${n(c.held_back.length)} retirements held back)` : '') +
    `; ${pct(c.overlap)} shared with ${c.base.version} (at least ${pct(c.settings.min_overlap)}).`;
  return [
    head,
    ...listed('retire', c.retire, shown),
    ...listed('replace', c.replace, shown),
    ...listed('add', c.add, shown),
    ...listed('held back', c.held_back, shown),
    ...c.notes.map((note) => `  note: ${note}`),
  ].join('\n');
}

/** The per-category and per-stratum statistics of a proposal, as Markdown tables. */
export function stratumStatistics(c: Changeset): string {
  const categories = markdownTable(
    [
      ['category', 'share of the dataset', 'share of production', 'examples', 'production target', 'proposed'],
      ...c.categories.map((x) => [x.category, pct(x.dataset_share), pct(x.production_share), n(x.before), n(x.target), n(x.after)]),
    ],
    { align: ['l', 'r', 'r', 'r', 'r', 'r'] },
  );
  const count = (list: ChangeEntryList, stratum: string) => list.filter((e) => e.stratum === stratum).length;
  const strata = markdownTable(
    [
      ['stratum', 'examples', 'retire', 'replace', 'add', 'proposed'],
      ...c.strata
        .filter((s) => s.before || s.after)
        .map((s) => [s.stratum, n(s.before), n(count(c.retire, s.stratum)), n(count(c.replace, s.stratum)), n(count(c.add, s.stratum)), n(s.after)]),
    ],
    { align: ['l', 'r', 'r', 'r', 'r', 'r'] },
  );
  return `${categories}\n\n${strata}\n`;
}
