import { markdownTable } from 'markdown-table';
import type { CoverageDetails } from '../../coverage/result.ts';
import type { QualityResult } from '../../quality/result.ts';

/** The card's coverage section: each gap as a warning with its remediation, then the count per capability. */
export function renderCoverageSection(result: QualityResult<CoverageDetails>): string {
  const d = result.details;
  const lines = [`${result.summary} Capability tree \`taxonomy/capabilities.json\` version ${d.tree_version}.`];
  if (d.gaps.length)
    lines.push(
      '',
      ...d.gaps.map((g) => `- ⚠ \`${g.capability}\`: ${g.count} of ${g.minimum}. ${g.remediation.charAt(0).toUpperCase()}${g.remediation.slice(1)}.`),
    );
  lines.push(
    '',
    markdownTable(
      [
        ['capability', 'examples', 'minimum', 'eligible in the pool, not drawn'],
        ...d.leaves.map((l) => [`${l.count < l.minimum ? '⚠ ' : ''}\`${l.id}\``, String(l.count), String(l.minimum), String(l.available)]),
      ],
      { align: ['l', 'r', 'r', 'r'] },
    ),
  );
  return lines.join('\n');
}
