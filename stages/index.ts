/**
 * The stage registry: every stage of the pipeline, in run order. dvc.yaml is held to it by a test
 * (test/registry.test.ts); the CLI registers one command per stage from it; `reproduce` and the
 * pre-push hook rebuild a release by running the stages upstream of its data.
 */
import { rebuilder } from '../lib/pipeline/graph.ts';
import type { Stage } from '../lib/pipeline/stage.ts';
import { stage as agreement } from './agreement.ts';
import { stage as attestation } from './attestation.ts';
import { stage as card } from './card.ts';
import { stage as classify } from './classify.ts';
import { stage as config } from './config.ts';
import { stage as contaminationIndex } from './contamination-index.ts';
import { stage as coverage } from './coverage.ts';
import { stage as duplicates } from './duplicates.ts';
import { stage as ngram } from './ngram.ts';
import { stage as agreementReport } from './agreement-report.ts';
import { stage as recurate } from './recurate.ts';
import { stage as sample } from './sample.ts';
import { stage as staleness } from './staleness.ts';
import { stage as synthesize } from './synthesize.ts';
import { stage as traffic } from './traffic.ts';
import { stage as utility } from './utility.ts';

export const STAGES: readonly Stage[] = [
  config,
  classify,
  contaminationIndex,
  ngram,
  duplicates,
  agreement,
  traffic,
  sample,
  agreementReport,
  coverage,
  staleness,
  recurate,
  card,
  synthesize,
  utility,
  attestation,
] as Stage[];

/** Rebuild one dataset's release in a checkout: every stage upstream of its data.parquet, in order. */
export const rebuildDataset = rebuilder(STAGES, 'evalsets/${key}/data.parquet');
