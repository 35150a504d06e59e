import { existsSync, readFileSync } from 'node:fs';
import type { ProjectPaths } from '../config/paths.ts';
import type { QualityResult } from '../quality/result.ts';
import type { Exclusion } from '../eligibility/exclusion.ts';
import { byCodePoint } from '../io/order.ts';
import type { NgramReport } from './ngramScreen.ts';

/** Near-duplicate groups as the `duplicates` stage reports them (reports/duplicates.json, `near`). */
export interface NearDuplicateSummary {
  width: number;
  threshold: number;
  groups: { kept: string; members: { id: string; jaccard: number }[] }[];
  excluded: number;
  unscorable: number;
}

export interface CalibrationRow {
  stratum: string;
  n: number;
  mean: number | null;
  sd: number | null;
  enough: boolean;
}

/** What the membership screen did for one dataset's draw. */
export interface MembershipSummary {
  /** Why it did not run (no endpoint), or null. */
  skipped: string | null;
  api?: string;
  model?: string;
  endpoint?: string;
  method?: string;
  min_k?: number | null;
  z_threshold?: number;
  screened?: number;
  flagged?: { id: string; stratum: string; z: number; score: number }[];
  /** Candidates of strata without enough calibration: asked about, but never flagged. */
  unscreened_no_calibration?: number;
  cache?: { path: string; sha256: string; entries: number };
  calibration?: CalibrationRow[];
  strata_without_calibration?: string[];
}

export interface ContaminationDetails {
  ngram: NgramReport;
  /** Null when the duplicates stage has not run (a stage run by hand). */
  near_duplicates: NearDuplicateSummary | null;
  membership: MembershipSummary;
  /** Per detector: how many candidates of this dataset's draw it put in quarantine.parquet. */
  quarantined: Record<string, number>;
  /** The fallback in force, in the card's words, or null when both detectors ran. */
  fallback: string | null;
}

export const CONTAMINATION_CHECKS = ['ngram', 'membership', 'near-duplicates'] as const;

/** The fallback sentence the card shows: stated, never silent (issue 7, §4). */
export function contaminationFallback(ngramSkipped: string | null, membershipSkipped: string | null): string | null {
  if (ngramSkipped && membershipSkipped)
    return `This dataset is unchecked for contamination: n-gram detection was skipped (${ngramSkipped}) and so was membership inference (${membershipSkipped}).`;
  if (ngramSkipped) return `n-gram contamination detection was skipped: ${ngramSkipped}. Membership inference ran alone.`;
  if (membershipSkipped) return `Membership inference was skipped: ${membershipSkipped}. n-gram contamination detection ran alone.`;
  return null;
}

/**
 * The screens' reports as the sample stage reads them. A report that is absent (the stage was run by
 * hand before the screens) is stated as not run, never read as clean.
 */
export function readScreenReports(paths: Pick<ProjectPaths, 'ngramReport' | 'duplicatesReport'>): {
  ngram: NgramReport;
  nearDuplicates: NearDuplicateSummary | null;
} {
  const ngram: NgramReport = existsSync(paths.ngramReport)
    ? JSON.parse(readFileSync(paths.ngramReport, 'utf8'))
    : {
        skipped: 'the ngram stage has not run (no reports/ngram.json)',
        pool: 0,
        scored: 0,
        unscorable: 0,
        threshold: 0,
        excluded: 0,
        fpr_baseline: 0,
        guaranteed_run: 0,
        index: {},
        flagged: [],
      };
  const near = existsSync(paths.duplicatesReport) ? (JSON.parse(readFileSync(paths.duplicatesReport, 'utf8')).near ?? null) : null;
  return { ngram, nearDuplicates: near };
}

export function contaminationResult(
  dataset: string,
  parts: { ngram: NgramReport; nearDuplicates: NearDuplicateSummary | null; membership: MembershipSummary; quarantined: readonly Exclusion[] },
): QualityResult<ContaminationDetails> {
  const quarantined = Object.fromEntries(CONTAMINATION_CHECKS.map((c) => [c, parts.quarantined.filter((q) => q.check === c).length]));
  const fallback = contaminationFallback(parts.ngram.skipped, parts.membership.skipped);
  const details: ContaminationDetails = {
    ngram: { ...parts.ngram, flagged: [...parts.ngram.flagged].sort((a, b) => byCodePoint(a.id, b.id)) },
    near_duplicates: parts.nearDuplicates,
    membership: parts.membership,
    quarantined,
    fallback,
  };
  const common = { schema_version: 1 as const, check: 'contamination', dataset, details };
  if (parts.ngram.skipped && parts.membership.skipped)
    return { ...common, status: 'not_run', summary: fallback!, reason: `${parts.ngram.skipped}; ${parts.membership.skipped}` };
  const found = [
    parts.ngram.skipped ? null : `${parts.ngram.excluded} pool example${parts.ngram.excluded === 1 ? '' : 's'} overlap the reference corpus`,
    parts.membership.skipped
      ? null
      : `membership inference flagged ${parts.membership.flagged!.length} of ${parts.membership.screened} candidates screened`,
  ].filter(Boolean);
  const held = quarantined.ngram + quarantined.membership;
  const gaps = parts.membership.strata_without_calibration?.length ?? 0;
  return {
    ...common,
    status: fallback || gaps ? 'warn' : 'pass',
    summary:
      `${found.join('; ')}; ${held} suspected contaminated candidate${held === 1 ? '' : 's'} this draw would have taken ${held === 1 ? 'is' : 'are'} in quarantine.parquet.` +
      (gaps
        ? ` ${gaps} strat${gaps === 1 ? 'um lacks' : 'a lack'} calibration examples and ${gaps === 1 ? 'was' : 'were'} not screened by membership inference.`
        : ''),
  };
}
