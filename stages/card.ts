/** Stage `card@{name}`: render the dataset card from meta.json, the quality results, params and the taxonomy. */
import { relative } from 'node:path';
import { renderCard } from '../lib/card/render.ts';
import { datasetParams, loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy } from '../lib/config/taxonomy.ts';
import { removeStaleTemporaries, writeAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import type { Stage } from '../lib/pipeline/stage.ts';
import { readMeta } from '../lib/provenance/meta.ts';
import { verifyRecordedFiles } from '../lib/provenance/verify.ts';
import { readQualityResults } from '../lib/quality/result.ts';

export function runCard(root: string, name: string): { card: string } {
  const paths = projectPaths(root);
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const out = paths.dataset(name);
  removeStaleTemporaries([out.dir]);
  const meta = readMeta(out.meta, relative(root, out.meta));
  // meta.json vouches for the files the sample stage wrote: a run killed between its renames leaves a mismatch, refused here.
  verifyRecordedFiles(root, out.dir, meta);
  const quality = readQualityResults(root, out.qualityDir);
  writeAtomic(out.card, renderCard(meta, params.card ?? {}, taxonomy, quality));
  return { card: relative(root, out.card) };
}

export const stage: Stage<{ card: string }> = {
  name: 'card',
  perDataset: true,
  describe: 'render the dataset card, evalsets/NAME/README.md, with a section per quality result',
  params: ['datasets.${key}.card'],
  deps: ['evalsets/${key}/meta.json', 'evalsets/${key}/quality', 'taxonomy/strata.json', 'package-lock.json'],
  code: [
    'stages/card.ts',
    'lib/card',
    'lib/quality',
    'lib/sampling',
    'lib/provenance',
    'lib/config',
    'lib/io',
    'lib/stats',
    'lib/pipeline',
    'lib/cli/output.ts',
    'lib/errors.ts',
  ],
  outs: [{ path: 'evalsets/${key}/README.md', cache: false }],
  run: async (root, dataset) => runCard(root, dataset!),
  summarize: (r) => `wrote ${r.card}`,
};

await runStageMain(stage, import.meta.url);
