/**
 * Types for `bayes` 1.0.0 (ttezel/bayes), which ships none: only what lib/refresh/categorize.ts uses.
 * In 1.0.0 `learn` and `categorize` return promises (the tokenizer may be asynchronous).
 */
declare module 'bayes' {
  interface NaiveBayesOptions {
    tokenizer?: (text: string) => string[] | Promise<string[]>;
  }
  interface NaiveBayes {
    /** Register a category with no documents yet; not in the README, but a method of the prototype that `learn` calls first. */
    initializeCategory(category: string): NaiveBayes;
    learn(text: string, category: string): Promise<NaiveBayes>;
    /** The category of largest posterior; the first such in the order categories were first seen; null when it learned nothing. */
    categorize(text: string): Promise<string | null>;
  }
  function bayes(options?: NaiveBayesOptions): NaiveBayes;
  export default bayes;
}
