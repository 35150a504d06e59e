import type { Exclusion, LazyScreen } from '../../eligibility/exclusion.ts';
import { byCodePoint } from '../../io/order.ts';
import { calibrationByStratum, DEFAULT_MINIMUM_CALIBRATION, zScore, type CalibrationStats } from './calibration.ts';
import { scoreTexts, type ScoreOptions } from './client.ts';
import { publicBaseUrl } from './endpoint.ts';
import { DEFAULT_MIN_K, membershipScore, type MembershipMethod } from './score.ts';

export const MEMBERSHIP_CHECK = 'membership';

/** The default z above which a candidate is flagged as suspected memorisation (issue 7, §3). */
export const DEFAULT_Z_THRESHOLD = 3.0;

/** The endpoint, cache and request settings of scoreTexts (client.ts), plus how to score and judge. */
export interface MembershipScreenOptions extends ScoreOptions {
  /** The score per text: the mean token log-probability, or Min-K% Prob. Default 'mean'. */
  method?: MembershipMethod;
  /** Min-K%'s fraction. Default 0.2. */
  k?: number;
  /** The text scored for a candidate id (its prompt). */
  textOf: (id: string) => string;
  /** Calibration statistics per stratum; or */
  calibration?: ReadonlyMap<string, CalibrationStats>;
  /** calibration texts per stratum, scored through the same endpoint and cache when the stratum is first asked about. */
  calibrationTexts?: ReadonlyMap<string, readonly string[]>;
  /** Default 3.0. */
  zThreshold?: number;
  /** The least calibration examples a stratum needs. Default 20. */
  minimumCalibration?: number;
  /** Told of each candidate flagged, with its score and z (the report counts them; a card lists them). */
  onFlag?: (flag: { id: string; stratum: string; score: number; z: number }) => void;
}

export interface StratumReport {
  stratum: string;
  /** Candidates this screen was asked about. */
  screened: number;
  flagged: number;
  /** Candidates with no scored token (a one-token text): not judged, not clean. */
  unscorable: number;
  /** Candidates not judged because the stratum lacks calibration ("unscreened: no calibration"). */
  unscreenedNoCalibration: number;
  calibration: CalibrationStats;
}

export interface MembershipReport {
  check: typeof MEMBERSHIP_CHECK;
  endpoint: { api: string; baseUrl: string; model: string } | null;
  method: MembershipMethod;
  k: number | null;
  zThreshold: number;
  minimumCalibration: number;
  /** Per stratum the screen was asked about, in code point order. */
  strata: StratumReport[];
  /** Strata asked about whose calibration is missing or too small: their candidates were not judged. */
  lackingCalibration: { stratum: string; reason: string }[];
  /** HTTP requests made and distinct texts answered from the cache, over candidates and calibration. */
  requests: number;
  cacheHits: number;
  cache: { entries: number; digest: string };
}

export type MembershipScreen = LazyScreen & {
  /** What the screen did so far. */
  report(): MembershipReport;
  /** The calibration statistics of a stratum (scored on first use). */
  calibrationOf(stratum: string): Promise<CalibrationStats>;
};

/**
 * The membership-inference screen (issue 7, §3), lazy: `sample` asks it about one stratum's candidates in draw-rank order,
 * a batch at a time, only as far as the allocation needs (lib/eligibility/draw.ts), so a paid endpoint scores only those.
 * Each candidate's text is scored (mean log-probability or Min-K% Prob, higher = more likely memorised) and compared
 * with the calibration set of its stratum (texts known not to be in training); a z-score above the threshold excludes
 * it. A stratum without enough calibration is reported and its candidates are not judged ("unscreened: no
 * calibration"), and a text with no scored token is reported as unscorable: neither is silently passed as clean.
 *
 * Calibration comes as statistics per stratum (`calibration`) or as texts per stratum (`calibrationTexts`), which are
 * then scored through the same endpoint and cache when the stratum is first asked about. With every text in the cache,
 * no request is made, so a release rebuilds from the recorded answers without the endpoint.
 */
export function membershipScreen(options: MembershipScreenOptions): MembershipScreen {
  const { textOf, method = 'mean', k = DEFAULT_MIN_K, calibration: givenCalibration, calibrationTexts, onFlag, ...scoring } = options;
  const zThreshold = options.zThreshold ?? DEFAULT_Z_THRESHOLD;
  const minimum = options.minimumCalibration ?? DEFAULT_MINIMUM_CALIBRATION;
  const strata = new Map<string, StratumReport>();
  const calibration = new Map<string, Promise<CalibrationStats>>();
  let requests = 0;
  let cacheHits = 0;

  const score = async (texts: readonly string[]): Promise<number[]> => {
    const result = await scoreTexts(texts, scoring);
    requests += result.requests;
    cacheHits += result.cacheHits;
    return result.logprobs.map((lp) => membershipScore(lp, method, k));
  };

  const calibrationOf = (stratum: string): Promise<CalibrationStats> => {
    let stats = calibration.get(stratum);
    if (!stats) {
      const given = givenCalibration?.get(stratum);
      const texts = calibrationTexts?.get(stratum);
      stats = given
        ? Promise.resolve(given)
        : texts?.length
          ? score(texts).then((scores) => calibrationByStratum(new Map([[stratum, scores]]), minimum).get(stratum)!)
          : Promise.resolve<CalibrationStats>({ n: 0, mean: null, sd: null, enough: false, reason: 'no calibration examples' });
      calibration.set(stratum, stats);
    }
    return stats;
  };

  return {
    check: MEMBERSHIP_CHECK,
    calibrationOf,
    async screen(stratum: string, candidates: readonly string[]): Promise<Exclusion[]> {
      const stats = await calibrationOf(stratum);
      let row = strata.get(stratum);
      if (!row) strata.set(stratum, (row = { stratum, screened: 0, flagged: 0, unscorable: 0, unscreenedNoCalibration: 0, calibration: stats }));
      row.screened += candidates.length;
      if (!stats.enough) {
        row.unscreenedNoCalibration += candidates.length;
        return [];
      }
      const scores = await score(candidates.map(textOf));
      const out: Exclusion[] = [];
      candidates.forEach((id, i) => {
        if (!Number.isFinite(scores[i])) {
          row.unscorable++;
          return;
        }
        const z = zScore(scores[i], stats);
        if (z > zThreshold) {
          row.flagged++;
          onFlag?.({ id, stratum, score: scores[i], z });
          const name = method === 'mean' ? 'mean token log-probability' : `Min-${Math.round(k * 100)}% Prob`;
          out.push({
            id,
            check: MEMBERSHIP_CHECK,
            score: z,
            reason: `suspected memorisation: z = ${z.toFixed(2)} > ${zThreshold} (${name} ${scores[i].toFixed(4)} against the calibration of stratum ${stratum}: mean ${stats.mean!.toFixed(4)}, sd ${stats.sd!.toFixed(4)}, n ${stats.n})`,
          });
        }
      });
      return out;
    },
    report(): MembershipReport {
      const rows = [...strata.values()].sort((a, b) => byCodePoint(a.stratum, b.stratum));
      const endpoint = options.endpoint;
      return {
        check: MEMBERSHIP_CHECK,
        endpoint: endpoint ? { api: endpoint.api, baseUrl: endpoint.identity ?? publicBaseUrl(endpoint.baseUrl), model: endpoint.model } : null,
        method,
        k: method === 'min-k' ? k : null,
        zThreshold,
        minimumCalibration: minimum,
        strata: rows,
        lackingCalibration: rows
          .filter((r) => !r.calibration.enough)
          .map((r) => ({ stratum: r.stratum, reason: r.calibration.reason ?? 'not enough' })),
        requests,
        cacheHits,
        cache: { entries: options.cache.size, digest: options.cache.digest() },
      };
    },
  };
}
