/** The sampling stages of one dataset, classify then sample, as `reproduce` re-runs them in a checkout of a release. */
import type { Rebuild } from '../lib/versioning/reproduce.ts';
import { runClassify } from './classify.ts';
import { runSample } from './sample.ts';

export const rebuildDataset: Rebuild = async (root, dataset) => {
  await runClassify(root);
  await runSample(root, dataset);
};
