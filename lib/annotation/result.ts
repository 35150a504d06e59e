import type { QualityResult } from '../quality/result.ts';
import { lowAgreementFindings, weakestPairs, type AgreementReport, type GroupAgreement, type PairAgreement } from './analysis.ts';

/**
 * Krippendorff's guidance on alpha (Content Analysis, 2004, §11.4.4): rely on data with α ≥ 0.800;
 * 0.667 ≤ α < 0.800 allows tentative conclusions only; below 0.667, do not rely on the data.
 */
export function reliabilityVerdict(alpha: number | null): 'reliable' | 'tentative' | 'unreliable' | 'undefined' {
  if (alpha === null) return 'undefined';
  return alpha >= 0.8 ? 'reliable' : alpha >= 0.667 ? 'tentative' : 'unreliable';
}

export interface AgreementDetails extends AgreementReport {
  verdict: ReturnType<typeof reliabilityVerdict>;
  weakest_pairs: PairAgreement[];
  /** Plain sentences naming groups whose agreement is well below the rest. */
  findings: string[];
  /** Strata whose interval lies wholly below or above the overall alpha. */
  strata_excluding_overall: { stratum: string; side: 'below' | 'above' }[];
  /** Examples the draw passed over because their annotators disagree, per queue file. */
  routing: { adjudication: number; senior: number; files: { adjudication: string; senior: string } };
}

const f3 = (x: number | null) => (x === null ? 'undefined' : x.toFixed(3));

export function agreementDetails(report: AgreementReport, routing: AgreementDetails['routing']): AgreementDetails {
  const strata = report.groups.stratum ?? [];
  // A stratum is named on its own only when its whole category is not already named (strata are `category×difficulty`).
  const lowCategories = (report.groups.task_category ?? []).filter((g) => lowAgreementFindings([g]).length).map((g) => g.group);
  const categoryFindings = lowAgreementFindings(report.groups.task_category ?? []);
  const strataFindings = lowAgreementFindings(strata.filter((g) => !lowCategories.some((c) => g.group.startsWith(`${c}×`))));
  return {
    ...report,
    verdict: reliabilityVerdict(report.overall.alpha),
    weakest_pairs: weakestPairs(report.pairs),
    findings: [...categoryFindings, ...strataFindings],
    strata_excluding_overall: strata.filter((g) => g.excludes_overall).map((g) => ({ stratum: g.group, side: g.excludes_overall! })),
    routing,
  };
}

export function agreementResult(dataset: string, details: AgreementDetails): QualityResult<AgreementDetails> {
  const { overall } = details;
  const ci = overall.ci ? ` [${f3(overall.ci[0])}, ${f3(overall.ci[1])}]` : '';
  const routed = details.routing.adjudication + details.routing.senior;
  return {
    schema_version: 1,
    check: 'agreement',
    dataset,
    status: details.verdict === 'reliable' && details.findings.length === 0 ? 'pass' : 'warn',
    summary:
      `Krippendorff's alpha (${details.level}) = ${f3(overall.alpha)}${ci} over ${overall.units} examples: ${details.verdict}.` +
      (details.findings.length ? ` ${details.findings.length} group${details.findings.length === 1 ? '' : 's'} well below the rest.` : '') +
      (routed ? ` ${routed} example${routed === 1 ? '' : 's'} routed to adjudication.` : ''),
    details,
  };
}

const group = (g: GroupAgreement) => ({ alpha: g.alpha, ci: g.ci, units: g.units });

/** reports/iaa-NAME.json, a DVC metrics file: the numbers worth diffing between versions. */
export function agreementMetrics(details: AgreementDetails) {
  return {
    level: details.level,
    alpha: details.overall.alpha,
    ci: details.overall.ci,
    confidence: details.confidence,
    units: details.overall.units,
    annotators: details.annotators,
    annotations: details.annotations,
    strata: Object.fromEntries((details.groups.stratum ?? []).map((g) => [g.group, group(g)])),
    task_categories: Object.fromEntries((details.groups.task_category ?? []).map((g) => [g.group, group(g)])),
    pairs: details.pairs.map(({ a, b, n, kappa }) => ({ a, b, n, kappa })),
    routing: { adjudication: details.routing.adjudication, senior: details.routing.senior },
  };
}
