import { relative } from 'node:path';
import { projectPaths } from '../config/paths.ts';
import { loadTaxonomy } from '../config/taxonomy.ts';
import { readJsonl } from '../io/jsonl.ts';
import { loadTokenCounter } from '../sampling/classify.ts';
import { poolFiles } from '../sampling/pool.ts';
import { trainCategoryClassifier, type CategoryClassifier } from './categorize.ts';
import { entitiesOf } from './entities.ts';
import type { FeatureExtractors } from './features.ts';

/** The tokenizer of the project's taxonomy. */
export async function projectTokenCounter(root: string): Promise<(text: string) => number> {
  const paths = projectPaths(root);
  return loadTokenCounter(loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy)).tokenizer);
}

/** A category classifier trained on the project's pool (every pool example carries its category). */
export async function poolClassifier(root: string): Promise<CategoryClassifier> {
  const paths = projectPaths(root);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const labelled: { prompt: string; task_category: string }[] = [];
  for (const file of poolFiles(paths.pool))
    for (const entry of readJsonl(file, relative(root, file))) {
      const v = entry.value as { prompt?: unknown; task_category?: unknown } | undefined;
      if (!entry.issue && typeof v?.prompt === 'string' && typeof v.task_category === 'string')
        labelled.push({ prompt: v.prompt, task_category: v.task_category });
    }
  return trainCategoryClassifier(
    labelled,
    taxonomy.categories.map((c) => c.id),
  );
}

/**
 * The feature extractors of a project: its taxonomy's tokenizer, compromise's entities, and a category
 * classifier trained on its pool, trained only when a prompt without a category asks for it.
 */
export async function projectExtractors(root: string): Promise<FeatureExtractors> {
  let classifier: Promise<CategoryClassifier> | undefined;
  return {
    countTokens: await projectTokenCounter(root),
    classify: async (prompt) => (await (classifier ??= poolClassifier(root))).classify(prompt),
    entities: entitiesOf,
  };
}
