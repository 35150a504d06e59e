/**
 * The dataset card diff a refresh pull request shows: the card as it is, against the card rendered
 * with the proposal's composition (examples per stratum and in all). The quality sections are the
 * current ones: they are recomputed on the applied set when the approved changeset is applied and the
 * pipeline runs, and the pull request says so.
 */
import { relative } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { renderCard } from '../card/render.ts';
import { datasetParams, loadParams } from '../config/params.ts';
import { projectPaths } from '../config/paths.ts';
import { loadTaxonomy } from '../config/taxonomy.ts';
import { readMeta, type SampleMeta } from '../provenance/meta.ts';
import { readQualityResults } from '../quality/result.ts';
import type { Changeset } from './changeset.ts';

/** The meta a proposal would give, as far as the card's composition goes. */
export function proposedMeta(meta: SampleMeta, c: Changeset): SampleMeta {
  const after = new Map(c.strata.map((s) => [s.stratum, s.after]));
  const total = c.strata.reduce((sum, s) => sum + s.after, 0);
  return {
    ...meta,
    size: { ...meta.size, realised: total },
    strata: meta.strata.map((s) => {
      const realised = after.get(s.stratum) ?? s.realised;
      return { ...s, realised, percent: total === 0 ? 0 : (100 * realised) / total };
    }),
  };
}

/** The unified diff of the card, current against proposed (empty when the proposal changes no count). */
export function proposedCardDiff(root: string, name: string, c: Changeset): string {
  const paths = projectPaths(root);
  const out = paths.dataset(name);
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const meta = readMeta(out.meta, relative(root, out.meta));
  const quality = readQualityResults(root, out.qualityDir);
  const current = renderCard(meta, params.card ?? {}, taxonomy, quality);
  const proposed = renderCard(proposedMeta(meta, c), params.card ?? {}, taxonomy, quality);
  if (current === proposed) return '';
  const file = relative(root, out.card);
  // jsdiff starts its patch with a line of `=` (its Index-style header); a unified diff starts at `---`.
  return createTwoFilesPatch(`a/${file}`, `b/${file}`, current, proposed, undefined, undefined, { context: 2 }).replace(/^=+\n/, '');
}
