import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drawEligible } from '../lib/eligibility/draw.ts';
import { duplicateExclusions, duplicateGroups, normalizePrompt, promptKey } from '../lib/eligibility/duplicates.ts';
import type { Exclusion, LazyScreen } from '../lib/eligibility/exclusion.ts';
import { allocateStrata } from '../lib/sampling/allocate.ts';
import { drawLowest } from '../lib/sampling/draw.ts';

/** Three strata of given sizes, ids `s<k>-<i>`. */
const strataOf = (sizes: number[]) => new Map(sizes.map((n, k) => [`s${k}`, Array.from({ length: n }, (_, i) => `s${k}-${i}`)]));
const allocator = (size: number, floor: number) => (eligible: ReadonlyMap<string, number>) =>
  allocateStrata({
    dataset: 't',
    size,
    strata: [...eligible].map(([stratum, pool]) => ({ stratum, pool, share: 1, floor })),
    allowPoolLimited: true,
  });
const exclude = (ids: string[], check = 'dup'): Map<string, Exclusion[]> => new Map(ids.map((id) => [id, [{ id, check, score: 1, reason: 'test' }]]));

describe('drawEligible', () => {
  it('with no exclusion, draws exactly what the keyed-hash draw draws', async () => {
    const strata = strataOf([50, 40, 30]);
    const draw = await drawEligible({ strata, seed: 7, allocate: allocator(60, 10), exclusions: new Map() });
    for (const [stratum, ids] of strata) expect(draw.drawn.get(stratum)).toEqual(drawLowest(ids, 20, 7));
    expect(draw.quarantined).toEqual([]);
  });

  it('never draws an excluded candidate; floors and the budget hold on the eligible pool', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 119 }), { maxLength: 60 }), fc.integer({ min: 1, max: 1000 }), async (picks, seed) => {
        const strata = strataOf([40, 40, 40]);
        const all = [...strata.values()].flat();
        const excluded = [...new Set(picks.map((i) => all[i]))];
        const draw = await drawEligible({ strata, seed, allocate: allocator(60, 15), exclusions: exclude(excluded) });
        const drawn = [...draw.drawn.values()].flat();
        expect(drawn.filter((id) => excluded.includes(id))).toEqual([]);
        const eligible = all.length - excluded.length;
        expect(drawn.length).toBe(Math.min(60, eligible));
        for (const s of draw.allocation.strata) {
          expect(draw.drawn.get(s.stratum)!.length).toBe(s.allocated);
          expect(s.allocated).toBeGreaterThanOrEqual(Math.min(15, s.pool));
        }
      }),
      { numRuns: 60 },
    );
  });

  it('quarantines exactly the excluded candidates the draw passed over, with their check and reason', async () => {
    const strata = strataOf([30]);
    const ranked = drawLowest(strata.get('s0')!, 30, 3);
    // Exclude ranks 0 and 2 (passed over) and rank 25 (beyond the draw of 5).
    const excluded = [ranked[0], ranked[2], ranked[25]];
    const draw = await drawEligible({ strata, seed: 3, allocate: allocator(5, 1), exclusions: exclude(excluded) });
    expect(draw.drawn.get('s0')).toEqual([ranked[1], ranked[3], ranked[4], ranked[5], ranked[6]]);
    expect(draw.quarantined.map((q) => q.id).sort()).toEqual([ranked[0], ranked[2]].sort());
    expect(draw.checks.get('dup')).toEqual({ excluded: 3, quarantined: 2, screened: null });
  });

  it('quarantines every excluded candidate of a stratum the draw emptied (it would have taken them all)', async () => {
    const strata = strataOf([10, 100]);
    const ids = strata.get('s0')!;
    const draw = await drawEligible({ strata, seed: 1, allocate: allocator(60, 30), exclusions: exclude(ids.slice(0, 4)) });
    expect(draw.drawn.get('s0')!.length).toBe(6);
    expect(draw.quarantined.map((q) => q.id).sort()).toEqual(ids.slice(0, 4).sort());
  });

  it('screens lazily: in rank order, only as far as each stratum needs, and re-allocates when a screen empties a stratum', async () => {
    const strata = strataOf([40, 40]);
    const asked: string[] = [];
    // A costly screen that rejects every candidate whose index is even.
    const screen: LazyScreen = {
      check: 'membership',
      async screen(_stratum, candidates) {
        asked.push(...candidates);
        return candidates
          .filter((id) => Number(id.split('-')[1]) % 2 === 0)
          .map((id) => ({ id, check: 'membership', score: 0.9, reason: 'seen in training' }));
      },
    };
    const draw = await drawEligible({ strata, seed: 11, allocate: allocator(20, 5), exclusions: new Map(), lazy: [screen] });
    const drawn = [...draw.drawn.values()].flat();
    expect(drawn.length).toBe(20);
    expect(drawn.every((id) => Number(id.split('-')[1]) % 2 === 1)).toBe(true);
    // Asked about each candidate at most once, and never about all 80.
    expect(new Set(asked).size).toBe(asked.length);
    expect(asked.length).toBeLessThan(80);
    expect(draw.lazyScreened.get('membership')).toBe(asked.length);
    // Every candidate asked about in a stratum ranks at or before the last one drawn there, plus the last batch.
    for (const [stratum, ids] of strata) {
      const ranked = drawLowest(ids, ids.length, 11);
      const last = ranked.indexOf(draw.drawn.get(stratum)!.at(-1)!);
      const askedHere = asked.filter((id) => id.startsWith(`${stratum}-`)).map((id) => ranked.indexOf(id));
      expect(Math.max(...askedHere)).toBe(last);
    }
  });

  it('re-allocates the surplus when a lazy screen leaves a stratum short of its allocation', async () => {
    const strata = strataOf([12, 100]);
    const screen: LazyScreen = {
      check: 'm',
      async screen(stratum, candidates) {
        return stratum === 's0' ? candidates.slice(0, 8).map((id) => ({ id, check: 'm', score: null, reason: 'x' })) : [];
      },
    };
    const draw = await drawEligible({ strata, seed: 5, allocate: allocator(40, 10), exclusions: new Map(), lazy: [screen] });
    const s0 = draw.drawn.get('s0')!.length;
    expect(s0).toBeLessThan(20);
    expect(s0 + draw.drawn.get('s1')!.length).toBe(40);
  });

  it('does not depend on the order of the candidates', async () => {
    const a = strataOf([30, 30]);
    const b = new Map([...a].map(([k, ids]) => [k, [...ids].reverse()]));
    const ex = exclude(['s0-3', 's1-7', 's1-8']);
    const da = await drawEligible({ strata: a, seed: 9, allocate: allocator(20, 5), exclusions: ex });
    const db = await drawEligible({ strata: b, seed: 9, allocate: allocator(20, 5), exclusions: ex });
    expect(db.drawn).toEqual(da.drawn);
    expect(db.quarantined).toEqual(da.quarantined);
  });
});

describe('duplicate prompts', () => {
  it('normalises with NFC, full case folding and collapsed whitespace', () => {
    expect(normalizePrompt('  Who is\tLBJ?\n')).toBe('who is lbj?');
    expect(normalizePrompt('Who is LBJ?')).toBe(normalizePrompt('WHO  IS lbj?'));
    expect(normalizePrompt('Stra\u00dfe')).toBe(normalizePrompt('STRASSE')); // ß folds to ss
    expect(normalizePrompt('caf\u0065\u0301')).toBe(normalizePrompt('caf\u00e9')); // decomposed é = precomposed é
    expect(normalizePrompt('Who is LBJ?')).not.toBe(normalizePrompt('Who is JFK?'));
    expect(promptKey('Who is LBJ?')).toBe(promptKey(' who IS  lbj? '));
  });

  it('keeps the smallest id of each group and excludes the others, whatever the order', () => {
    const ids = ['b', 'a', 'c', 'd', 'e'];
    const keys = ['k1', 'k1', 'k2', 'k1', 'k3'];
    const groups = duplicateGroups(ids, keys);
    expect(groups).toEqual([{ key: 'k1', kept: 'a', excluded: ['b', 'd'] }]);
    expect(duplicateGroups([...ids].reverse(), [...keys].reverse())).toEqual(groups);
    expect(duplicateExclusions(groups).map((e) => [e.id, e.check, e.score])).toEqual([
      ['b', 'duplicates', 3],
      ['d', 'duplicates', 3],
    ]);
  });
});

describe('the duplicates screen through classify, duplicates and sample', () => {
  it('draws one member of each group of identical prompts and quarantines the others it passed over', async () => {
    const { loadTokenCounter } = await import('../lib/sampling/classify.ts');
    const { demoPool } = await import('../lib/demo/generate.ts');
    const { runClassify } = await import('../stages/classify.ts');
    const { runDuplicates } = await import('../stages/duplicates.ts');
    const { runSample } = await import('../stages/sample.ts');
    const { workspace, writePool } = await import('./helpers.ts');
    const { readParquetFile, tableRows } = await import('../lib/io/parquet.ts');
    const { join } = await import('node:path');
    const { readFileSync } = await import('node:fs');

    const base = demoPool(await loadTokenCounter('cl100k_base')).filter((e) => e.task_category === 'reasoning');
    // Plant: every reasoning example gets a twin whose prompt differs only in case and whitespace.
    const twins = base.map((e) => ({ ...e, id: `${e.id}-twin`, prompt: `  ${e.prompt.toUpperCase().replace(/ /g, '  ')} ` }));
    const dir = workspace();
    writePool(dir, [...base, ...twins]);
    await runClassify(dir);
    const report = await runDuplicates(dir);
    const distinct = new Set(base.map((e) => e.prompt.trim().toLowerCase().replace(/\s+/g, ' '))).size;
    expect(report.excluded).toBe(base.length + twins.length - distinct);
    const meta = await runSample(dir, 'representative');
    const out = join(dir, 'evalsets', 'representative');
    const drawn = tableRows(readParquetFile(join(out, 'data.parquet')));
    const keys = drawn.map((r) => normalizePrompt(r.prompt as string));
    expect(new Set(keys).size).toBe(keys.length);
    expect(drawn.some((r) => (r.id as string).endsWith('-twin'))).toBe(false);
    const quarantined = tableRows(readParquetFile(join(out, 'quarantine.parquet')));
    // The same stage also groups near-copies (check near-duplicates); the twins are exact duplicates.
    const twinsQuarantined = quarantined.filter((r) => r.check === 'duplicates');
    expect(twinsQuarantined.length).toBeGreaterThan(0);
    expect(quarantined.every((r) => r.check === 'duplicates' || r.check === 'near-duplicates')).toBe(true);
    expect(meta.eligibility.duplicates.quarantined).toBe(twinsQuarantined.length);
    const eligibility = JSON.parse(readFileSync(join(out, 'quality', 'eligibility.json'), 'utf8'));
    expect(eligibility.details.quarantined.map((q: { id: string }) => q.id)).toEqual(quarantined.map((r) => r.id));

    // The pool grows and classify runs, but the screen does not: its table screened other assignments.
    writePool(dir, [{ ...base[0], id: 'late-twin' }], 'zz-late.jsonl');
    await runClassify(dir);
    await expect(runSample(dir, 'representative')).rejects.toThrow(
      /duplicates\.parquet: screened another assignment table than interim\/strata\.parquet: run `evalset duplicates`/,
    );
    expect((await runDuplicates(dir)).excluded).toBe(report.excluded + 1);
    await runSample(dir, 'representative');
  });
});
