import { describe, expect, it } from 'vitest';
import { classifyBump, describeDiff, diffSnapshots, planRelease } from '../lib/versioning/plan.ts';
import type { DatasetSnapshot } from '../lib/versioning/snapshot.ts';
import type { SampleMeta } from '../lib/provenance/meta.ts';

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
  it('minor: a column added', () => expect(bump(snap(base, { columns: { ...COLUMNS, source: 'string' } }))).toBe('minor'));
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
    expect(diff.strata['a×routine']).toEqual({ added: 0, removed: 0, changed: 0, moved_in: 0, moved_out: 1, relabeled: 1 });
    expect(diff.strata['b×routine']).toEqual({ added: 1, removed: 1, changed: 0, moved_in: 1, moved_out: 0, relabeled: 0 });
    expect(describeDiff(diff)).toBe('  a×routine: 1 moved out, 1 relabeled\n  b×routine: +1 added, -1 removed, 1 moved in');
  });
});
