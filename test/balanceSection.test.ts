import { describe, expect, it } from 'vitest';
import { renderBalanceSection } from '../lib/card/sections/balance.ts';
import { allocateStrata, type StratumRequest } from '../lib/sampling/allocate.ts';
import { balanceOf } from '../lib/sampling/balance.ts';

const allocate = (size: number, ...strata: StratumRequest[]) => allocateStrata({ dataset: 'd', size, strata, allowPoolLimited: true });

describe('renderBalanceSection', () => {
  it('states the verdict with its effect size, explains "designed", and tabulates designed against realised', () => {
    // a is pool-limited: designed 50, realised 10.
    const text = renderBalanceSection(
      balanceOf(allocate(100, { stratum: 'a', pool: 10, share: 1, floor: 20 }, { stratum: 'b', pool: 1000, share: 1, floor: 20 }), 0.05),
    );
    expect(text).toMatch(
      /^\*\*imbalanced\*\* at the 0\.05 threshold: χ² = 64\.000, df = 1, p = 1\.24e-15; total variation distance 0\.400 \(40\.0% of the examples/,
    );
    expect(text).toContain('*designed* count');
    expect(text).toContain('before any pool runs short');
    expect(text).toContain('total variation distance (½ Σ |realised share − designed share|');
    expect(text).toContain("Cochran's rule");
    expect(text).toMatch(/\| a +\| +50 \| +10 \| +−40 \|/);
    expect(text).toMatch(/\| b +\| +50 \| +90 \| +\+40 \|/);
    expect(text).not.toMatch(/^#/m);
  });

  it('lists the weak-approximation warning when an expected count is below 5', () => {
    const b = balanceOf(allocate(20, { stratum: 'a', pool: 100, share: 0.9, floor: 0 }, { stratum: 'b', pool: 100, share: 0.1, floor: 0 }), 0.05);
    expect(renderBalanceSection(b)).toContain('- ⚠️ 1 of 2 strata expect fewer than 5 examples (smallest 2)');
  });

  it('says when the check does not apply', () => {
    const b = balanceOf(allocate(10, { stratum: 'a', pool: 50, share: 1, floor: 0 }), 0.05);
    expect(renderBalanceSection(b)).toMatch(/^Not applicable: the dataset has a single stratum/);
  });
});
