/** Stage `card@{name}`: render the dataset card from meta.json, params and the taxonomy. */
import { relative } from 'node:path';
import { renderCard } from '../lib/card/render.ts';
import { datasetParams, loadParams } from '../lib/config/params.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy } from '../lib/config/taxonomy.ts';
import { writeAtomic } from '../lib/io/atomic.ts';
import { readMeta } from '../lib/provenance/meta.ts';

export function runCard(root: string, name: string): string {
  const paths = projectPaths(root);
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const out = paths.dataset(name);
  const meta = readMeta(out.meta, relative(root, out.meta));
  writeAtomic(out.card, renderCard(meta, params.card ?? {}, taxonomy));
  return out.card;
}
