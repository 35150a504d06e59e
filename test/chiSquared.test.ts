import { describe, expect, it } from 'vitest';
import { chiSquaredGoodnessOfFit } from '../lib/stats/chiSquaredGoodnessOfFit.ts';

// Reference values: scipy.stats.chisquare documentation examples (SciPy 1.x), and the chi-squared
// survival function scipy.stats.chi2.sf(200, 10) for the deep tail.
describe('chiSquaredGoodnessOfFit', () => {
  it('matches scipy: chisquare([16, 18, 16, 14, 12, 12])', () => {
    const r = chiSquaredGoodnessOfFit([16, 18, 16, 14, 12, 12]);
    expect(r.statistic).toBeCloseTo(2.0, 12);
    expect(r.df).toBe(5);
    expect(Math.abs(r.pValue - 0.84914503608460956)).toBeLessThan(1e-9);
  });

  it('matches scipy: chisquare([16, 18, 16, 14, 12, 12], f_exp=[16, 16, 16, 16, 16, 8])', () => {
    const r = chiSquaredGoodnessOfFit([16, 18, 16, 14, 12, 12], [16, 16, 16, 16, 16, 8]);
    expect(r.statistic).toBeCloseTo(3.5, 12);
    expect(Math.abs(r.pValue - 0.62338762774958223)).toBeLessThan(1e-9);
  });

  it('stays exact deep in the tail: chi2.sf(200, 10) = 1.6139305336977307e-37', () => {
    // Eleven categories give df = 10; (200−100)²/100 + (0−100)²/100 = 200 exactly, with valid counts.
    const expected = Array(11).fill(100);
    const observed = [200, 0, 100, 100, 100, 100, 100, 100, 100, 100, 100];
    const r = chiSquaredGoodnessOfFit(observed, expected);
    expect(r.df).toBe(10);
    expect(r.statistic).toBeCloseTo(200, 9);
    expect(Math.abs(r.pValue - 1.6139305336977307e-37) / 1.6139305336977307e-37).toBeLessThan(1e-9);
  });

  it('refuses expected counts that do not sum to the observed total, as scipy does', () => {
    expect(() => chiSquaredGoodnessOfFit([10, 10], [5, 5])).toThrow(/must match/);
  });
});
