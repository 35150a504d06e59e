/**
 * What staleness compares of a prompt: its task category, its length in tokens and the named entities
 * it mentions. The dataset's examples and the production traffic go through the same function, so a
 * bin means the same thing on both sides.
 */
export interface PromptFeatures {
  category: string;
  /** Length in tokens, by the taxonomy's tokenizer (lib/sampling/classify.ts loadTokenCounter). */
  tokens: number;
  /** Entity mentions in order of occurrence (lib/refresh/entities.ts). */
  entities: string[];
  /** The record carried no category: the classifier assigned it. */
  classified?: true;
}

export interface FeatureExtractors {
  countTokens: (text: string) => number;
  /** The category of a prompt that carries none (traffic may omit it). */
  classify: (prompt: string) => Promise<string>;
  entities: (text: string) => string[];
}

/** The features of one prompt; `category` is the prompt's own when given, else the classifier's. */
export async function promptFeatures(prompt: string, category: string | undefined, extract: FeatureExtractors): Promise<PromptFeatures> {
  const own = { tokens: extract.countTokens(prompt), entities: extract.entities(prompt) };
  return category === undefined ? { category: await extract.classify(prompt), ...own, classified: true } : { category, ...own };
}
