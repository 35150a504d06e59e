import { describe, expect, it } from 'vitest';
import { toJsonl } from '../lib/io/jsonl.ts';
import type { SampleMeta } from '../lib/provenance/meta.ts';
import { contentHash, manifestLine, type DatasetRow } from '../lib/sampling/dataset.ts';
import { changelogOf, diffParams, renderChangelog } from '../lib/versioning/changelog.ts';
import { classifyBump, describeDiff, diffSnapshots, planRelease } from '../lib/versioning/plan.ts';
import { snapshotOf, type DatasetSnapshot } from '../lib/versioning/snapshot.ts';
import { isDeletion, parsePushedRefs, pushedReleases } from '../lib/versioning/tags.ts';
import { datasetRow } from './support/datasetRows.ts';

const COLUMNS = { id: 'string', prompt: 'string', labels: 'string' };
type Entry = [id: string, stratum: string, content: string, label: string];

function snap(entries: Entry[], options: { strata?: string[]; columns?: Record<string, string>; taxonomy?: string } = {}): DatasetSnapshot {
  return {
    name: 'd',
    taxonomyVersion: options.taxonomy ?? '1.0.0',
    strata: options.strata ?? ['a×routine', 'b×routine'],
    columns: options.columns ?? COLUMNS,
    manifestLines: entries.map(([id, stratum, content_hash, label_hash]) => JSON.stringify({ content_hash, id, label_hash, stratum })),
    meta: {} as SampleMeta,
  };
}
const base: Entry[] = [
  ['1', 'a×routine', 'c1', 'l1'],
  ['2', 'a×routine', 'c2', 'l2'],
  ['3', 'b×routine', 'c3', 'l3'],
];
const prev = (snapshot = snap(base), version = '1.3.0') => ({ tag: `eval-dataset/d/v${version}`, version, snapshot });

describe('classifyBump', () => {
  const bump = (after: DatasetSnapshot, before = snap(base)) => classifyBump(diffSnapshots(before, after)).bump;

  it('none: nothing changed', () => expect(bump(snap(base))).toBe('none'));
  it('patch: only a label changed', () => expect(bump(snap([base[0], ['2', 'a×routine', 'c2', 'L2'], base[2]]))).toBe('patch'));
  it('minor: an id added', () => expect(bump(snap([...base, ['4', 'b×routine', 'c4', 'l4']]))).toBe('minor'));
  it('minor: an id removed', () => expect(bump(snap(base.slice(0, 2)))).toBe('minor'));
  it('minor: the content of an id changed', () => expect(bump(snap([['1', 'a×routine', 'C1', 'l1'], base[1], base[2]]))).toBe('minor'));
  it('minor: an example moved stratum', () => expect(bump(snap([['1', 'b×routine', 'c1', 'l1'], base[1], base[2]]))).toBe('minor'));
  it('minor: a stratum added', () => expect(bump(snap(base, { strata: ['a×routine', 'b×routine', 'c×routine'] }))).toBe('minor'));
  it('major: a column added (a reader of the old schema breaks)', () =>
    expect(bump(snap(base, { columns: { ...COLUMNS, source: 'string' } }))).toBe('major'));
  it('minor beats patch when both happen', () =>
    expect(bump(snap([['1', 'a×routine', 'c1', 'L1'], base[1], base[2], ['9', 'a×routine', 'c9', 'l9']]))).toBe('minor'));
  it('major: a stratum removed', () => expect(bump(snap(base, { strata: ['a×routine'] }))).toBe('major'));
  it('major: a stratum renamed', () => expect(bump(snap(base, { strata: ['a×routine', 'b×easy'] }))).toBe('major'));
  it('major: a column removed', () => expect(bump(snap(base, { columns: { id: 'string', prompt: 'string' } }))).toBe('major'));
  it('major: a column retyped', () => expect(bump(snap(base, { columns: { ...COLUMNS, labels: 'string[]' } }))).toBe('major'));
  it('major: a new major taxonomy version', () => expect(bump(snap(base, { taxonomy: '2.0.0' }))).toBe('major'));
  it('not major: a minor taxonomy version alone', () => expect(bump(snap(base, { taxonomy: '1.1.0' }))).toBe('none'));
});

describe('planRelease', () => {
  it('accepts exactly the previous version bumped by the required level', () => {
    expect(planRelease('d', prev(), snap([...base, ['4', 'a×routine', 'c4', 'l4']]), '1.4.0').ok).toBe(true);
    expect(planRelease('d', prev(), snap([base[0], ['2', 'a×routine', 'c2', 'L2'], base[2]]), '1.3.1').ok).toBe(true);
    expect(planRelease('d', prev(), snap(base, { strata: ['a×routine'] }), '2.0.0').ok).toBe(true);
    expect(planRelease('d', prev(), snap(base), '1.3.0').ok).toBe(true);
  });

  it('refuses an under-bump with the rule broken and the required version', () => {
    const plan = planRelease('d', prev(), snap(base, { strata: ['a×routine'] }), '1.4.0');
    expect(plan.ok).toBe(false);
    expect(plan.violation).toBe('version 1.3.0 → 1.4.0 declares a minor bump, but stratum `b×routine` was removed: a major bump (2.0.0) is required');
  });

  it('refuses an over-bump', () => {
    const plan = planRelease('d', prev(), snap([base[0], ['2', 'a×routine', 'c2', 'L2'], base[2]]), '2.0.0');
    expect(plan.violation).toBe(
      'version 1.3.0 → 2.0.0 declares a major bump, but only labels changed (1 example relabeled): a patch bump (1.3.1) is required',
    );
  });

  it('refuses a version that did not move when the examples changed', () => {
    const plan = planRelease('d', prev(), snap(base.slice(1)), '1.3.0');
    expect(plan.violation).toBe('version 1.3.0 → 1.3.0 declares no bump, but 1 example removed: a minor bump (1.4.0) is required');
  });

  it('refuses a bump when nothing changed', () => {
    const plan = planRelease('d', prev(), snap(base), '1.3.1');
    expect(plan.violation).toBe(
      'version 1.3.0 → 1.3.1 declares a patch bump, but nothing changed since eval-dataset/d/v1.3.0: the version must stay 1.3.0',
    );
  });

  it('refuses skipping a version', () => expect(planRelease('d', prev(), snap([...base, ['4', 'a×routine', 'c4', 'l4']]), '1.5.0').ok).toBe(false));

  it('takes any first version of at least 0.1.0', () => {
    expect(planRelease('d', null, snap(base), '0.1.0').ok).toBe(true);
    expect(planRelease('d', null, snap(base), '3.2.1').ok).toBe(true);
    expect(planRelease('d', null, snap(base), '0.0.9').ok).toBe(false);
  });

  it('summarises the diff per stratum', () => {
    const after = snap([
      ['1', 'b×routine', 'c1', 'l1'],
      ['2', 'a×routine', 'c2', 'L2'],
      ['4', 'b×routine', 'c4', 'l4'],
    ]);
    const diff = diffSnapshots(snap(base), after);
    expect(diff.strata['a×routine']).toEqual({ added: 0, removed: 0, changed: 0, moved_in: 0, moved_out: 1, relabeled: 1, metadata: 0 });
    expect(diff.strata['b×routine']).toEqual({ added: 1, removed: 1, changed: 0, moved_in: 1, moved_out: 0, relabeled: 0, metadata: 0 });
    expect(describeDiff(diff)).toBe('  a×routine: 1 moved out, 1 relabeled\n  b×routine: +1 added, -1 removed, 1 moved in');
  });
});

describe('every column of a row is covered (row_hash)', () => {
  const row = datasetRow;
  const rows = [row('1'), row('2'), row('3')];
  /** A snapshot built the way the sample stage builds it: the manifest lines from manifestLine, meta.json's content hash from the rows. */
  const released = (rs: DatasetRow[]): DatasetSnapshot => ({
    ...snap([]),
    strata: ['reasoning×routine'],
    manifestLines: toJsonl(rs.map(manifestLine)).trim().split('\n'),
    meta: { content_hash: contentHash(rs) } as SampleMeta,
  });

  it('a change to capabilities or source alone needs a patch, and says whose metadata changed', () => {
    const after = released([row('1', { capabilities: ['logic', 'math'] }), row('2', { source: 'vendor-b' }), rows[2]]);
    const plan = planRelease('d', prev(released(rows)), after, '1.3.1');
    expect(plan.required).toBe('patch');
    expect(plan.ok).toBe(true);
    expect(plan.reasons.map((r) => r.reason)).toContain("2 examples' metadata changed (capabilities, source or another column)");
    expect(plan.diff!.changes).toEqual([
      { id: '1', kind: 'metadata', stratum: 'reasoning×routine' },
      { id: '2', kind: 'metadata', stratum: 'reasoning×routine' },
    ]);
    expect(describeDiff(plan.diff!)).toBe("  reasoning×routine: 2 examples' metadata changed");
  });

  it('refuses "none" when only metadata changed', () => {
    const plan = planRelease('d', prev(released(rows)), released([row('1', { source: 'vendor-b' }), rows[1], rows[2]]), '1.3.0');
    expect(plan.violation).toBe(
      "version 1.3.0 → 1.3.0 declares no bump, but 1 example's metadata changed (capabilities, source or another column): a patch bump (1.3.1) is required",
    );
  });

  it('a manifest from before row_hash existed still parses, and is compared on the hashes both sides have', () => {
    const old = released(rows);
    const withoutRowHash = {
      ...old,
      manifestLines: old.manifestLines.map((l) => {
        const { row_hash: _, ...rest } = JSON.parse(l);
        return JSON.stringify(rest);
      }),
    };
    expect(classifyBump(diffSnapshots(withoutRowHash, released(rows))).bump).toBe('none');
    const relabeled = released([row('1', { labels: '{"quality":"bad"}' }), rows[1], rows[2]]);
    expect(diffSnapshots(withoutRowHash, relabeled).changes).toEqual([{ id: '1', kind: 'relabeled', stratum: 'reasoning×routine' }]);
  });

  it('belt and braces: a changed content hash needs at least a patch even when no manifest line moved', () => {
    const before = released(rows);
    const after = { ...before, meta: { content_hash: 'f'.repeat(64) } as SampleMeta };
    const { bump, reasons } = classifyBump(diffSnapshots(before, after));
    expect(bump).toBe('patch');
    expect(reasons[0].reason).toMatch(/^the rows' content hash changed \(\w{12} → ffffffffffff\) though no manifest line did$/);
  });
});

describe('changelog scale and content', () => {
  it('renders 40,000 changes in one stratum in linear time (the first version took 17 s)', () => {
    const lines = (draw: string) =>
      Array.from({ length: 20_000 }, (_, i) =>
        JSON.stringify({ content_hash: `c${draw}${i}`, id: `${draw}-${String(i).padStart(6, '0')}`, label_hash: 'l', stratum: 'a×routine' }),
      );
    const meta = JSON.stringify({ taxonomy_version: '1.0.0', strata: [{ stratum: 'a×routine' }], columns: {} });
    const start = performance.now();
    const changelog = changelogOf(
      { dataset: 'd', from: { tag: 'eval-dataset/d/v1.0.0', version: '1.0.0' }, to: { tag: 'eval-dataset/d/v2.0.0', version: '2.0.0' } },
      snapshotOf('d', meta, lines('a').join('\n'), ''),
      snapshotOf('d', meta, lines('b').join('\n'), ''),
    );
    const markdown = renderChangelog(changelog);
    expect((performance.now() - start) / 1000).toBeLessThan(4);
    expect(changelog.diff.changes).toHaveLength(40_000);
    expect(markdown).toContain('- Added (20000): `b-000000`, `b-000001`');
    expect(markdown).toContain('- Removed (20000): `a-000000`');
  });

  it('lists the parameter changes by dotted key', () => {
    expect(
      diffParams(
        { version: '1.0.0', size: 1200, allocation: { mode: 'proportional' }, floors: {}, balance: { threshold: 0.05 } },
        { version: '1.1.0', size: 1210, allocation: { mode: 'explicit', shares: { 'a×routine': 2 } }, floors: {}, balance: { threshold: 0.05 } },
      ),
    ).toEqual([
      { key: 'allocation.mode', from: 'proportional', to: 'explicit' },
      { key: 'allocation.shares.a×routine', to: 2 },
      { key: 'size', from: 1200, to: 1210 },
      { key: 'version', from: '1.0.0', to: '1.1.0' },
    ]);
  });

  it('renders parameter and label changes, and says in one line when the labels cannot be shown', () => {
    const before = snap(base);
    const after = snap([base[0], ['2', 'a×routine', 'c2', 'L2'], base[2]]);
    before.meta = { params: { size: 1200, allocation: { mode: 'proportional' } } } as unknown as SampleMeta;
    after.meta = { params: { size: 1210, allocation: { mode: 'proportional' } } } as unknown as SampleMeta;
    const release = {
      dataset: 'd',
      from: { tag: 'eval-dataset/d/v1.3.0', version: '1.3.0' },
      to: { tag: 'eval-dataset/d/v1.3.1', version: '1.3.1' },
    };
    const shown = renderChangelog(
      changelogOf(release, before, after, [], (diff) => ({
        available: true,
        changes: diff.changes.map((c) => ({ id: c.id, stratum: c.stratum, from: '{"q":"a`b"}', to: '{"q":"c"}' })),
      })),
    );
    expect(shown).toContain('## Parameters\n\n- `size`: `1200` → `1210`\n');
    expect(shown).toContain('## Labels\n\n1 example relabeled:\n\n- `2` (a×routine): `` {"q":"a`b"} `` → `{"q":"c"}`\n');
    const hidden = renderChangelog(
      changelogOf(release, before, after, [], () => ({
        available: false,
        reason: 'the DVC cache does not hold data.parquet of eval-dataset/d/v1.3.0',
        changes: [],
      })),
    );
    expect(hidden).toContain(
      '## Labels\n\nOld and new label values are not shown: the DVC cache does not hold data.parquet of eval-dataset/d/v1.3.0.\n',
    );
  });
});

describe('which pushes are releases', () => {
  const zero = '0'.repeat(40);
  const sha = 'a'.repeat(40);
  it('reads the remote ref, not the local one', () => {
    const refs = parsePushedRefs(
      [
        `refs/heads/main ${sha} refs/tags/eval-dataset/d/v2.0.0 ${zero}`,
        `refs/tags/eval-dataset/d/v1.0.0 ${sha} refs/heads/copy ${zero}`,
        `(delete) ${zero} refs/tags/eval-dataset/d/v0.9.0 ${sha}`,
        `refs/heads/main ${sha} refs/heads/main ${sha}`,
        '',
      ].join('\n'),
    );
    expect(refs).toHaveLength(4);
    expect(pushedReleases(refs)).toEqual([{ tag: 'eval-dataset/d/v2.0.0', dataset: 'd', version: '2.0.0', sha }]);
    expect(refs.map(isDeletion)).toEqual([false, false, true, false]);
  });
});
