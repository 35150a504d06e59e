import bayes from 'bayes';
import { byCodePoint } from '../io/order.ts';

/**
 * The task category of a traffic prompt that arrives without one. DESIGN.md: "when the category is
 * absent, the taxonomy's classifier assigns it"; the taxonomy (taxonomy/strata.json) decides only the
 * difficulty, so the category needs a text classifier, trained on the pool, whose examples all carry
 * their category.
 *
 * A multinomial naive Bayes over word counts with add-one (Laplace) smoothing, from the `bayes`
 * package (ttezel/bayes 1.0.0): the class of largest log P(c) + Σ_w n_w · log P(w | c), with
 * P(c) = documents of c / documents and P(w | c) = (count of w in c + 1) / (words in c + |V|)
 * (Manning, Raghavan & Schütze, "Introduction to Information Retrieval", 2008, §13.2, eq. 13.7).
 * Small, fast and exact in its arithmetic, which suits prompts whose categories differ in vocabulary
 * (code, summaries, arithmetic, stories); it has no notion of word order or meaning.
 */
export interface CategoryClassifier {
  /** The category of `prompt`: always one of the categories that had training examples. */
  classify(prompt: string): Promise<string>;
}

export interface LabelledPrompt {
  prompt: string;
  task_category: string;
}

/**
 * The words of a text: maximal runs of letters (with their combining marks) and digits, in Unicode
 * (so "Valparaíso" and "数据" are words, not punctuation), after NFC normalisation and lower-casing
 * (String.toLowerCase, independent of the locale).
 */
export function words(text: string): string[] {
  return (
    text
      .normalize('NFC')
      .toLowerCase()
      .match(/[\p{L}\p{M}\p{N}]+/gu) ?? []
  );
}

/*
 * `bayes` keeps its counts in plain objects, so a word or category that names an Object.prototype
 * member ("constructor", "tostring", "valueof", … all of which code prompts use) reads an inherited
 * function instead of a count: the scores turn NaN and categorize returns null (ttezel/bayes issue 14,
 * open). Every word and category gets a prefix that no prototype member has.
 */
const WORD = 'w:';
const CATEGORY = 'c:';

/**
 * Train the classifier on labelled prompts (the pool). `bayes` 1.0.0 learns and categorises
 * asynchronously (its tokenizer may be), so training and classifying return promises.
 *
 * Deterministic whatever the order of `examples` and `categories`:
 * - the counts are sums of whole numbers, so the order of learning changes no score; the examples are
 *   learned in a fixed order anyway (by prompt, then category, in code point order: byCodePoint);
 * - on a tie, `bayes` takes the first category of largest score in the order categories were first
 *   met. They are registered in sorted order before anything is learned, so a tie goes to the first
 *   category in code point order, whatever the data.
 *
 * `categories` are the taxonomy's; a category without examples is never the answer (its prior is 0).
 * Every example's category must be one of them, and there must be at least one example.
 */
export async function trainCategoryClassifier(examples: readonly LabelledPrompt[], categories: readonly string[]): Promise<CategoryClassifier> {
  const known = new Set(categories);
  for (const { task_category } of examples)
    if (!known.has(task_category))
      throw new RangeError(`a training example has category "${task_category}", which is not among ${[...known].sort(byCodePoint).join(', ')}`);
  if (examples.length === 0) throw new RangeError('the category classifier needs at least one labelled example to learn from');

  const classifier = bayes({ tokenizer: (text) => words(text).map((word) => WORD + word) });
  for (const category of [...known].sort(byCodePoint)) classifier.initializeCategory(CATEGORY + category);
  const ordered = [...examples].sort((a, b) => byCodePoint(a.prompt, b.prompt) || byCodePoint(a.task_category, b.task_category));
  for (const { prompt, task_category } of ordered) await classifier.learn(prompt, CATEGORY + task_category);

  return {
    async classify(prompt: string): Promise<string> {
      const category = await classifier.categorize(prompt);
      // Unreachable once an example is learned: its category has a finite score, every other a finite or −∞ one.
      if (category === null) throw new Error('the category classifier found no category');
      return category.slice(CATEGORY.length);
    },
  };
}
