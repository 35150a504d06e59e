/** The quality results the sample stage writes for its draw: balance, eligibility and provenance. */
import type { EligibleDraw } from '../eligibility/draw.ts';
import type { QualityResult } from '../quality/result.ts';
import type { ToolVersions } from '../provenance/tools.ts';
import { formatP } from '../stats/formatP.ts';
import { byCodePoint } from '../io/order.ts';
import type { Balance } from './balance.ts';

export function balanceResult(dataset: string, balance: Balance): QualityResult<Balance> {
  return {
    schema_version: 1,
    check: 'balance',
    dataset,
    status: balance.imbalanced ? 'warn' : 'pass',
    summary:
      balance.df === 0
        ? 'Not applicable: the dataset has a single stratum.'
        : `${balance.imbalanced ? 'Imbalanced' : 'Balanced'}: χ² = ${balance.statistic.toFixed(3)}, df = ${balance.df}, p = ${formatP(balance.p_value)} at the ${balance.threshold} threshold.`,
    details: balance,
  };
}

export interface EligibilityDetails {
  checks: { check: string; excluded: number; quarantined: number }[];
  /** Every quarantined candidate: id, check, score, reason (also in quarantine.parquet, with the row). */
  quarantined: { id: string; check: string; score: number | null; reason: string }[];
}

export function eligibilityResult(dataset: string, draw: Pick<EligibleDraw, 'checks' | 'quarantined'>): QualityResult<EligibilityDetails> {
  const checks = [...draw.checks]
    .map(([check, c]) => ({ check, excluded: c.excluded, quarantined: c.quarantined }))
    .sort((a, b) => byCodePoint(a.check, b.check));
  const excluded = checks.reduce((n, c) => n + c.excluded, 0);
  return {
    schema_version: 1,
    check: 'eligibility',
    dataset,
    status: 'pass',
    summary: checks.length
      ? `${excluded} candidate${excluded === 1 ? '' : 's'} excluded before the draw; ${draw.quarantined.length} of them ranked where the draw would have taken them and are kept in quarantine.parquet.`
      : 'No eligibility screen excluded any candidate.',
    details: {
      checks,
      quarantined: draw.quarantined
        .map(({ id, check, score, reason }) => ({ id, check, score, reason }))
        .sort((a, b) => byCodePoint(a.id, b.id) || byCodePoint(a.check, b.check)),
    },
  };
}

export interface ProvenanceDetails {
  timestamp: string;
  timestamp_source: string;
  files: Record<string, { sha256: string; bytes: number; rows: number }>;
  content_hash: string;
  code: Record<string, string> | null;
  tools: ToolVersions;
}

export function provenanceResult(dataset: string, details: ProvenanceDetails): QualityResult<ProvenanceDetails> {
  const missing = Object.entries(details.tools)
    .filter(([, v]) => !v)
    .map(([k]) => k);
  return {
    schema_version: 1,
    check: 'provenance',
    dataset,
    status: missing.length || !details.code ? 'warn' : 'pass',
    summary: missing.length
      ? `Built with unrecorded versions of ${missing.join(', ')}.`
      : `Every tool version and the pipeline code${details.code ? '' : ' (not a git working tree: code not identified)'} are recorded.`,
    details,
  };
}
