import { readConfigFile } from './readConfig.ts';
import { InvalidInputError, type Issue } from '../errors.ts';
import { jsonWithLines } from './jsonLines.ts';
import { validateAgainst } from './schema.ts';

export type SignalName = 'failure_rate' | 'reasoning_steps' | 'prompt_tokens';

export interface Taxonomy {
  version: string;
  tokenizer: 'cl100k_base' | 'o200k_base';
  categories: { id: string; description?: string; hf_task_category?: string }[];
  difficulty: {
    levels: { id: string; description?: string }[];
    signals: Partial<Record<SignalName, { thresholds: number[]; description?: string }>>;
    precedence: SignalName[];
    default: string;
  };
}

/** A stratum is one cell of the two axes; its id reads `category×difficulty`. */
export const STRATUM_SEPARATOR = '×';

export function stratumId(category: string, difficulty: string): string {
  return `${category}${STRATUM_SEPARATOR}${difficulty}`;
}

/** Every stratum of the taxonomy with its two axes, categories in their declared order, then levels in theirs. */
export function strataOf(taxonomy: Taxonomy): Map<string, { category: string; difficulty: string }> {
  return new Map(
    taxonomy.categories.flatMap((c) => taxonomy.difficulty.levels.map((l) => [stratumId(c.id, l.id), { category: c.id, difficulty: l.id }])),
  );
}

/** Rules the schema cannot state: unique ids, one threshold fewer than levels, ascending thresholds, known references. */
function checkTaxonomy(t: Taxonomy, file: string): Issue[] {
  const issues: Issue[] = [];
  const duplicates = (ids: string[]) => ids.filter((id, i) => ids.indexOf(id) !== i);
  for (const id of duplicates(t.categories.map((c) => c.id))) issues.push({ file, field: 'categories', message: `duplicate category id "${id}"` });
  const levels = t.difficulty.levels.map((l) => l.id);
  for (const id of duplicates(levels)) issues.push({ file, field: 'difficulty.levels', message: `duplicate level id "${id}"` });
  if (!levels.includes(t.difficulty.default))
    issues.push({ file, field: 'difficulty.default', message: `"${t.difficulty.default}" is not one of the levels ${levels.join(', ')}` });
  for (const [name, signal] of Object.entries(t.difficulty.signals)) {
    const field = `difficulty.signals.${name}.thresholds`;
    if (signal!.thresholds.length !== levels.length - 1)
      issues.push({
        file,
        field,
        message: `needs ${levels.length - 1} thresholds (one between each pair of the ${levels.length} levels), has ${signal!.thresholds.length}`,
      });
    if (signal!.thresholds.some((v, i, a) => i > 0 && v <= a[i - 1])) issues.push({ file, field, message: 'must be strictly ascending' });
  }
  for (const name of t.difficulty.precedence)
    if (!t.difficulty.signals[name])
      issues.push({ file, field: 'difficulty.precedence', message: `signal "${name}" has no thresholds in difficulty.signals` });
  return issues;
}

export function parseTaxonomy(text: string, file: string): Taxonomy {
  const { value, syntaxError, lineOf } = jsonWithLines(text);
  if (syntaxError) throw new InvalidInputError([{ file, ...syntaxError }]);
  const issues = validateAgainst('strata', value, file, lineOf);
  if (issues.length) throw new InvalidInputError(issues);
  const taxonomy = value as Taxonomy;
  const more = checkTaxonomy(taxonomy, file).map((issue) => ({ ...issue, line: lineOf(issue.field!.split('.')) }));
  if (more.length) throw new InvalidInputError(more);
  return taxonomy;
}

export function loadTaxonomy(path: string, displayName = path): Taxonomy {
  return parseTaxonomy(readConfigFile(path, displayName), displayName);
}
