import { relative } from 'node:path';
import { projectPaths } from '../config/paths.ts';
import { loadTaxonomy } from '../config/taxonomy.ts';
import { readJsonl } from '../io/jsonl.ts';
import { loadTokenCounter } from '../sampling/classify.ts';
import { poolFiles } from '../sampling/pool.ts';
import { trainCategoryClassifier } from './categorize.ts';
import { entitiesOf } from './entities.ts';
import type { FeatureExtractors } from './features.ts';

/** The feature extractors of a project: its taxonomy's tokenizer, a category classifier trained on its pool, compromise's entities. */
export async function projectExtractors(root: string): Promise<FeatureExtractors> {
  const paths = projectPaths(root);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const labelled: { prompt: string; task_category: string }[] = [];
  for (const file of poolFiles(paths.pool))
    for (const entry of readJsonl(file, relative(root, file))) {
      const v = entry.value as { prompt?: unknown; task_category?: unknown } | undefined;
      if (!entry.issue && typeof v?.prompt === 'string' && typeof v.task_category === 'string')
        labelled.push({ prompt: v.prompt, task_category: v.task_category });
    }
  const classifier = await trainCategoryClassifier(
    labelled,
    taxonomy.categories.map((c) => c.id),
  );
  return { countTokens: await loadTokenCounter(taxonomy.tokenizer), classify: (p) => classifier.classify(p), entities: entitiesOf };
}
