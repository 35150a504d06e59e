import { markdownTable } from 'markdown-table';
import type { Balance } from '../../sampling/balance.ts';
import { formatP } from '../../stats/formatP.ts';

const count = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** Realised minus designed, to one decimal, signed; a rounding difference of 0.04 reads as 0, not −0.0. */
function difference(realised: number, designed: number): string {
  const d = Math.round(10 * (realised - designed)) / 10;
  return `${d > 0 ? '+' : d < 0 ? '−' : ''}${count(Math.abs(d))}`;
}

/**
 * The card's balance section (Markdown body; the caller writes the heading): the verdict, what it
 * compares, how to read it, its warnings, and the designed against the realised count per stratum.
 */
export function renderBalanceSection(balance: Balance): string {
  const parts: string[] = [];
  if (balance.df === 0) {
    parts.push('Not applicable: the dataset has a single stratum, or no example, so there is nothing to balance.');
  } else {
    parts.push(
      `**${balance.imbalanced ? 'imbalanced' : 'balanced'}** at the ${balance.threshold} threshold: χ² = ${balance.statistic.toFixed(3)}, ` +
        `df = ${balance.df}, p = ${formatP(balance.p_value)}; total variation distance ${balance.tvd.toFixed(3)} ` +
        `(${(100 * balance.tvd).toFixed(1)}% of the examples would have to change stratum to match the design); ` +
        `smallest expected count ${count(balance.min_expected)}.`,
    );
  }
  parts.push(
    '**What is compared.** The realised count of each stratum against its *designed* count: what the design in ' +
      '`params.yaml` asks for before any pool runs short — the target shares with every floor applied and the surplus ' +
      'taken from the other strata in proportion to their shares. A floor the design asked for is therefore not ' +
      'imbalance; a stratum whose pool was too small, drift or a bug in the draw is. When the pool holds fewer ' +
      'examples than the size, the designed counts are scaled to the realised total before the test.',
    '**How to read it.** The chi-squared goodness-of-fit p-value says whether the difference is more than rounding ' +
      'and chance; *imbalanced* means p is below the threshold. The total variation distance (½ Σ |realised share − ' +
      'designed share|, from 0 to 1) says how large the difference is, whatever the size of the dataset: read it ' +
      'beside the p-value, since a large dataset makes a tiny difference significant. Where a stratum expects fewer ' +
      "than 5 examples the chi-squared approximation is weak (Cochran's rule, Biometrics 1954) and a warning below says so.",
  );
  if (balance.warnings.length) parts.push(balance.warnings.map((w) => `- ⚠️ ${w}`).join('\n'));
  const rows = Object.entries(balance.designed).map(([stratum, designed]) => {
    const realised = balance.realised[stratum] ?? 0;
    return [stratum, count(designed), String(realised), difference(realised, designed)];
  });
  if (rows.length) parts.push(markdownTable([['stratum', 'designed', 'realised', 'difference'], ...rows], { align: ['l', 'r', 'r', 'r'] }));
  return parts.join('\n\n');
}
