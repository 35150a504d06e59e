import { markdownTable } from 'markdown-table';
import type { ContaminationDetails } from '../../contamination/result.ts';
import type { QualityResult } from '../../quality/result.ts';

const SHOWN = 15;
const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;
const more = (n: number, where: string) => (n > SHOWN ? [``, `… and ${n - SHOWN} more in ${where}.`] : []);

/**
 * The card's contamination section: the fallback first when one is in force (stated, never silent),
 * then each detector — n-gram overlap with its guarantee and chance baseline, membership inference
 * with the model, calibration per stratum and the cache digest — and the near-duplicate groups.
 */
export function renderContaminationSection(result: QualityResult<ContaminationDetails>): string {
  const { ngram, membership: m, near_duplicates: near, quarantined, fallback } = result.details;
  const lines: string[] = [];
  if (fallback) lines.push(`**${fallback}**`, '');
  lines.push(result.summary);

  lines.push('', '**n-gram overlap.** ');
  if (ngram.skipped) lines[lines.length - 1] += `Skipped: ${ngram.skipped}.`;
  else {
    const ix = ngram.index as { width?: number; stride?: number; inserted?: number; bits?: number; hashes?: number };
    lines[lines.length - 1] +=
      `Shingles of ${ix.width} tokens against a Bloom index of ${Number(ix.inserted).toLocaleString('en-US')} reference shingles ` +
      `(${Number(ix.bits).toLocaleString('en-US')} bits, ${ix.hashes} hashes${Number(ix.stride) > 1 ? `, every ${ix.stride}th shingle indexed` : ''}). ` +
      `Any run of ${ngram.guaranteed_run} or more tokens shared with the corpus is found; an unrelated example scores about ${pct(ngram.fpr_baseline, 2)} by chance. ` +
      `${ngram.excluded} of ${ngram.scored} scorable pool examples scored above ${pct(ngram.threshold, 0)} and are excluded; ${ngram.unscorable} were shorter than one shingle and are unscorable (not clean). ` +
      `${quarantined.ngram} of them are in this dataset's quarantine.`;
    if (ngram.flagged.length)
      lines.push(
        '',
        markdownTable(
          [
            ['id', 'shingles found', 'score'],
            ...ngram.flagged.slice(0, SHOWN).map((f) => [`\`${f.id}\``, `${f.hits} / ${f.shingles}`, pct(f.score)]),
          ],
          { align: ['l', 'r', 'r'] },
        ),
        ...more(ngram.flagged.length, '`reports/ngram.json`'),
      );
  }

  lines.push('', '**Membership inference.** ');
  if (m.skipped) lines[lines.length - 1] += `Skipped: ${m.skipped}.`;
  else {
    const method = m.method === 'min-k' ? `Min-K% Prob (k = ${pct(m.min_k ?? 0.2, 0)})` : 'the mean token log-probability (first token excluded)';
    lines[lines.length - 1] +=
      `Model \`${m.model}\` (${m.api} API${m.endpoint === 'demo' ? ', the built-in demo model' : ''}) scored by ${method}, ` +
      `z-scored against the calibration examples of the same stratum; z > ${m.z_threshold} is flagged. ` +
      `${m.screened} candidates were screened in draw-rank order, as far as the allocation needed; ${m.flagged!.length} flagged, ${quarantined.membership} in quarantine. ` +
      `The answers used are in \`${m.cache!.path}\` (${m.cache!.entries} entries, SHA-256 \`${m.cache!.sha256.slice(0, 16)}…\`), pushed to the DVC remote with the data.`;
    if (m.strata_without_calibration?.length)
      lines.push(
        '',
        `⚠ Not enough calibration examples, so not screened: ${m.strata_without_calibration.map((s) => `\`${s}\``).join(', ')} (${m.unscreened_no_calibration} candidates).`,
      );
    if (m.flagged!.length)
      lines.push(
        '',
        markdownTable(
          [['id', 'stratum', 'score', 'z'], ...m.flagged!.slice(0, SHOWN).map((f) => [`\`${f.id}\``, f.stratum, f.score.toFixed(3), f.z.toFixed(2)])],
          { align: ['l', 'l', 'r', 'r'] },
        ),
        ...more(m.flagged!.length, '`quarantine.parquet`'),
      );
  }

  if (!near) lines.push('', '**Near-duplicates in the pool.** Not measured: the duplicates stage has not run.');
  else {
    lines.push(
      '',
      `**Near-duplicates in the pool.** Shingles of ${near.width} tokens; pairs with a Jaccard similarity of at least ${near.threshold} form groups, ` +
        `each keeping its smallest id. ${near.groups.length} group${near.groups.length === 1 ? '' : 's'}, ${near.excluded} excluded, ` +
        `${quarantined['near-duplicates']} in this dataset's quarantine; ${near.unscorable} prompts were too short to compare.`,
    );
    if (near.groups.length)
      lines.push(
        '',
        markdownTable([
          ['kept', 'excluded (Jaccard)'],
          ...near.groups.slice(0, SHOWN).map((g) => [`\`${g.kept}\``, g.members.map((x) => `\`${x.id}\` (${x.jaccard.toFixed(2)})`).join(', ')]),
        ]),
        ...more(near.groups.length, '`reports/duplicates.json`'),
      );
  }
  return lines.join('\n');
}
