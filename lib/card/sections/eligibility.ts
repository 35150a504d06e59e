import { markdownTable } from 'markdown-table';
import type { QualityResult } from '../../quality/result.ts';
import type { EligibilityDetails } from '../../sampling/quality.ts';

const SHOWN = 20;

export function renderEligibilitySection(result: QualityResult<EligibilityDetails>): string {
  const { checks, quarantined } = result.details;
  const lines = [
    'Screens run before the draw and exclude candidates from the pool; the allocation (floors and budget) is computed on what is left.',
    'An excluded candidate that ranked where the keyed-hash draw would have taken it is kept, with its reason, in `quarantine.parquet`.',
    '',
    result.summary,
  ];
  if (checks.length) {
    lines.push(
      '',
      markdownTable(
        [
          ['check', 'excluded from the pool', 'quarantined (passed over by this draw)'],
          ...checks.map((c) => [c.check, String(c.excluded), String(c.quarantined)]),
        ],
        { align: ['l', 'r', 'r'] },
      ),
    );
  }
  if (quarantined.length) {
    lines.push(
      '',
      markdownTable([
        ['id', 'check', 'score', 'reason'],
        ...quarantined.slice(0, SHOWN).map((q) => [`\`${q.id}\``, q.check, q.score === null ? '' : String(Number(q.score.toPrecision(3))), q.reason]),
      ]),
    );
    if (quarantined.length > SHOWN) lines.push('', `… and ${quarantined.length - SHOWN} more in \`quarantine.parquet\`.`);
  }
  return lines.join('\n');
}
