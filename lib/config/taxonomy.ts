import { readConfigFile } from './readConfig.ts';
import { InvalidInputError, VALIDATE_HINT, type Issue } from '../errors.ts';
import { LONE_SURROGATE_MESSAGE, illFormedStrings } from '../io/jsonl.ts';
import { jsonWithLines } from './jsonLines.ts';
import { validateAgainst } from './schema.ts';

export type SignalName = 'failure_rate' | 'reasoning_steps' | 'prompt_tokens';

export interface Taxonomy {
  version: string;
  tokenizer: 'cl100k_base' | 'o200k_base';
  categories: {
    id: string;
    description?: string;
    hf_task_category?: string;
    /** Thresholds for this category only, per signal, overriding `difficulty.signals`. */
    thresholds?: Partial<Record<SignalName, number[]>>;
  }[];
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

/** The problems with one signal's thresholds: one between each pair of levels, strictly ascending. */
function thresholdIssues(thresholds: readonly number[], levels: number, file: string, field: string, owner: string): Issue[] {
  const issues: Issue[] = [];
  if (thresholds.length !== levels - 1)
    issues.push({
      file,
      field,
      message: `${owner}needs ${levels - 1} threshold${levels - 1 === 1 ? '' : 's'} (one between each pair of the ${levels} levels), has ${thresholds.length}`,
    });
  if (thresholds.some((v, i, a) => i > 0 && v <= a[i - 1])) issues.push({ file, field, message: `${owner}must be strictly ascending` });
  return issues;
}

/**
 * Rules the schema cannot state: unique ids, one threshold fewer than levels, ascending thresholds,
 * known references, and per-category overrides only of signals that have default thresholds.
 */
function checkTaxonomy(t: Taxonomy, file: string): Issue[] {
  const issues: Issue[] = [];
  const firstIndex = new Map<string, number>();
  t.categories.forEach((c, i) => {
    if (firstIndex.has(c.id))
      issues.push({ file, field: `categories.${i}.id`, message: `duplicate category id "${c.id}" (first at categories.${firstIndex.get(c.id)})` });
    else firstIndex.set(c.id, i);
  });
  const levels = t.difficulty.levels.map((l) => l.id);
  levels.forEach((id, i) => {
    if (levels.indexOf(id) !== i) issues.push({ file, field: `difficulty.levels.${i}.id`, message: `duplicate level id "${id}"` });
  });
  if (!levels.includes(t.difficulty.default))
    issues.push({ file, field: 'difficulty.default', message: `"${t.difficulty.default}" is not one of the levels ${levels.join(', ')}` });
  for (const [name, signal] of Object.entries(t.difficulty.signals))
    issues.push(...thresholdIssues(signal!.thresholds, levels.length, file, `difficulty.signals.${name}.thresholds`, ''));
  t.categories.forEach((c, i) => {
    for (const [name, thresholds] of Object.entries(c.thresholds ?? {})) {
      const field = `categories.${i}.thresholds.${name}`;
      if (!t.difficulty.signals[name as SignalName])
        issues.push({ file, field, message: `category "${c.id}": signal "${name}" has no default thresholds in difficulty.signals to override` });
      else issues.push(...thresholdIssues(thresholds!, levels.length, file, field, `category "${c.id}": `));
    }
  });
  t.difficulty.precedence.forEach((name, i) => {
    if (!t.difficulty.signals[name])
      issues.push({ file, field: `difficulty.precedence.${i}`, message: `signal "${name}" has no thresholds in difficulty.signals` });
  });
  return issues;
}

export function parseTaxonomy(text: string, file: string): Taxonomy {
  const { value, syntaxError, lineOf } = jsonWithLines(text);
  if (syntaxError) throw new InvalidInputError([{ file, ...syntaxError }], { hint: VALIDATE_HINT });
  const illFormed = illFormedStrings(value).map((path) => ({ file, line: lineOf(path), field: path.join('.'), message: LONE_SURROGATE_MESSAGE }));
  const issues = [...illFormed, ...validateAgainst('strata', value, file, lineOf)];
  if (issues.length) throw new InvalidInputError(issues, { hint: VALIDATE_HINT });
  const taxonomy = value as Taxonomy;
  const more = checkTaxonomy(taxonomy, file).map((issue) => ({ ...issue, line: lineOf(issue.field!.split('.')) }));
  if (more.length) throw new InvalidInputError(more, { hint: VALIDATE_HINT });
  return taxonomy;
}

export function loadTaxonomy(path: string, displayName = path): Taxonomy {
  return parseTaxonomy(readConfigFile(path, displayName), displayName);
}
