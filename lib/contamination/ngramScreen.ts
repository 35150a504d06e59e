import type { Exclusion } from '../eligibility/exclusion.ts';
import { headerJson, readIndexFile } from './indexFile.ts';
import { InvalidInputError } from '../errors.ts';
import { checkScannable, expectedFalsePositiveRate, guaranteedRunTokens, scoreText } from './scan.ts';
import type { NgramSettings } from './settings.ts';

export interface NgramFlag {
  id: string;
  shingles: number;
  hits: number;
  score: number;
}

/** What the `ngram` screen found in the pool (reports/ngram.json). */
export interface NgramReport {
  /** Why nothing was screened (no reference corpus), or null. */
  skipped: string | null;
  pool: number;
  scored: number;
  /** Examples shorter than one shingle: not scorable, so neither clean nor flagged. */
  unscorable: number;
  threshold: number;
  excluded: number;
  /** The share of an unrelated example's shingles expected to be found by chance (the filter's false-positive rate). */
  fpr_baseline: number;
  /** Any run of at least this many tokens shared with the corpus is found (width + stride − 1). */
  guaranteed_run: number;
  index: Record<string, unknown>;
  /** Every example above the threshold, by id. */
  flagged: NgramFlag[];
}

export const NO_REFERENCE_CORPUS = 'no reference corpus';

/**
 * Score every example against the index; those whose share of shingles found exceeds `threshold`
 * are excluded. The score of an unrelated example is about the false-positive rate, which the
 * report states beside the threshold, so a threshold near it is visibly meaningless.
 */
export async function ngramScreen(
  indexPath: string,
  examples: readonly { id: string; text: string }[],
  settings: Pick<NgramSettings, 'threshold' | 'width' | 'stride' | 'seed'>,
  onProgress?: (n: number) => void,
): Promise<{ report: NgramReport; exclusions: Exclusion[] }> {
  const { threshold } = settings;
  const { header, index } = await readIndexFile(indexPath);
  checkScannable(header, indexPath);
  // An index built elsewhere (the sharded workflow) must have been built with the pipeline's params.
  const differing = (['width', 'stride', 'seed'] as const).filter((k) => String(header[k]) !== String(settings[k]));
  if (differing.length)
    throw new InvalidInputError(
      differing.map((k) => ({
        file: indexPath,
        field: k,
        message: `the index was built with ${k} ${header[k]}, params.yaml has contamination.ngram.${k}: ${settings[k]}`,
      })),
      { hint: 'Rebuild the index with the params (`dvc repro contamination-index`, or the workflow with the same inputs).' },
    );
  const base = {
    pool: examples.length,
    threshold,
    fpr_baseline: expectedFalsePositiveRate(header),
    guaranteed_run: guaranteedRunTokens(header),
    index: headerJson(header),
  };
  if (header.inserted === 0)
    return { report: { skipped: NO_REFERENCE_CORPUS, scored: 0, unscorable: 0, excluded: 0, flagged: [], ...base }, exclusions: [] };
  let unscorable = 0;
  const flagged: NgramFlag[] = [];
  examples.forEach(({ id, text }, i) => {
    const { shingles, hits, score } = scoreText(index, header, text);
    if (score === null) unscorable++;
    else if (score > threshold) flagged.push({ id, shingles, hits, score });
    if (onProgress && i % 256 === 0) onProgress(i);
  });
  const exclusions = flagged.map((f) => ({
    id: f.id,
    check: 'ngram',
    score: f.score,
    reason: `${f.hits} of ${f.shingles} shingles (${(100 * f.score).toFixed(1)}%) are in the reference corpus index (threshold ${100 * threshold}%, chance ${(100 * base.fpr_baseline).toFixed(2)}%)`,
  }));
  return {
    report: { skipped: null, scored: examples.length - unscorable, unscorable, excluded: flagged.length, flagged, ...base },
    exclusions,
  };
}
