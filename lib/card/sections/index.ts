/**
 * The card's quality sections, one renderer per check, in the order the card shows them. The card
 * stage renders every `quality/<check>.json` present through its renderer; a registered check
 * whose file is absent is stated as not run, with the reason; a file of an unregistered check gets
 * the generic renderer, so a new check shows up before it has a renderer of its own.
 */
import type { QualityResult } from '../../quality/result.ts';
import { renderAgreementSection } from './agreement.ts';
import { renderBalanceSection } from './balance.ts';
import { renderContaminationSection } from './contamination.ts';
import { renderCoverageSection } from './coverage.ts';
import { renderEligibilitySection } from './eligibility.ts';
import { renderProvenanceSection } from './provenance.ts';
import { renderStaleness } from './staleness.ts';
import { renderUtilitySection } from './utility.ts';

export interface SectionRenderer {
  check: string;
  title: string;
  /** Why the check has no result when its file is absent. */
  absent: string;
  /** The section's Markdown body (no heading). */
  render?: (result: QualityResult) => string;
}

export const SECTIONS: readonly SectionRenderer[] = [
  {
    check: 'balance',
    title: 'Balance',
    absent: 'the sample stage wrote no balance result',
    render: (r) => renderBalanceSection(r.details as never),
  },
  {
    check: 'eligibility',
    title: 'Eligibility screens',
    absent: 'the sample stage wrote no eligibility result',
    render: (r) => renderEligibilitySection(r as never),
  },
  {
    check: 'contamination',
    title: 'Contamination',
    absent: 'the sample stage wrote no contamination result',
    render: (r) => renderContaminationSection(r as never),
  },
  {
    check: 'agreement',
    title: 'Annotator agreement',
    absent: 'the agreement-report stage wrote no result for this dataset',
    render: (r) => renderAgreementSection(r as never),
  },
  {
    check: 'coverage',
    title: 'Capability coverage',
    absent: 'the coverage stage wrote no result for this dataset',
    render: (r) => renderCoverageSection(r as never),
  },
  {
    check: 'staleness',
    title: 'Staleness',
    absent: 'the staleness stage wrote no result for this dataset',
    render: (r) => renderStaleness(r as never),
  },
  {
    check: 'utility',
    title: 'Utility',
    absent: 'utility is validated for synthetic datasets only (the `utility` stage, on evalsets/synthetic/)',
    render: (r) => renderUtilitySection(r as never),
  },
  {
    check: 'provenance',
    title: 'Provenance',
    absent: 'the sample stage wrote no provenance result',
    render: (r) => renderProvenanceSection(r as never),
  },
];

function genericSection(result: QualityResult): string {
  return `**${result.status}** — ${result.summary}\n\nDetails: \`quality/${result.check}.json\`.`;
}

/** Every section, rendered: registered checks in order (present or not), then any other check's file, by name. */
export function renderQualitySections(results: ReadonlyMap<string, QualityResult>): string {
  const known = new Set(SECTIONS.map((s) => s.check));
  const parts = SECTIONS.map((s) => {
    const result = results.get(s.check);
    if (!result) return `## ${s.title}\n\n_Not run: ${s.absent}._`;
    if (result.status === 'not_run') return `## ${s.title}\n\n_Not run: ${result.reason}._`;
    return `## ${s.title}\n\n${(s.render ?? genericSection)(result).trim()}`;
  });
  for (const [check, result] of [...results].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!known.has(check)) parts.push(`## ${check}\n\n${genericSection(result)}`);
  }
  return parts.join('\n\n');
}
