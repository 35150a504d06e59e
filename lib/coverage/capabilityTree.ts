import { InvalidInputError, VALIDATE_HINT, type Issue } from '../errors.ts';
import { jsonWithLines } from '../config/jsonLines.ts';
import { readConfigFile } from '../config/readConfig.ts';
import { validateAgainst } from '../config/schema.ts';
import { LONE_SURROGATE_MESSAGE, illFormedStrings } from '../io/jsonl.ts';

/** The minimum number of examples per leaf when neither the leaf's path nor the root sets `min_examples`. */
export const DEFAULT_MIN_EXAMPLES = 30;

/** A leaf's full id joins the ids from the root with this; a slug cannot hold it. */
export const CAPABILITY_SEPARATOR = '.';

/** Farthest Levenshtein distance at which an unknown capability id still earns a "did you mean". */
const SUGGESTION_DISTANCE = 3;

/** How many of an internal node's leaves its issue lists. */
const LEAVES_LISTED = 3;

/** One node of taxonomy/capabilities.json, as its schema (capabilities.schema.json) allows it. */
export interface CapabilityNode {
  id: string;
  name: string;
  description?: string;
  min_examples?: number;
  children?: CapabilityNode[];
}

/** The whole file taxonomy/capabilities.json. */
export interface CapabilityFile {
  version: string;
  min_examples?: number;
  capabilities: CapabilityNode[];
}

/** A capability that examples list: a node without children. */
export interface CapabilityLeaf {
  /** The full, dotted id: `code-generation.python.list-comprehension`. */
  id: string;
  /** The leaf's own name, as written in the tree. */
  name: string;
  /** The names from the root's child down to the leaf itself. */
  path: string[];
  /** The `min_examples` nearest the leaf on its path up to the root, else the root's, else 30. */
  minimum: number;
}

export interface CapabilityTree {
  version: string;
  /** Every leaf by full id, in the tree's declared (depth-first) order. */
  leaves: Map<string, CapabilityLeaf>;
  /** The full ids of the nodes that have children: listing one in an example is a mistake. */
  nodes: Set<string>;
}

/** Same-named siblings make a full id ambiguous; each repeat is an issue naming its field path and the first one. */
function duplicateSiblingIssues(siblings: readonly CapabilityNode[], at: string, file: string): Issue[] {
  const issues: Issue[] = [];
  const first = new Map<string, number>();
  siblings.forEach((node, i) => {
    const seen = first.get(node.id);
    if (seen !== undefined)
      issues.push({ file, field: `${at}.${i}.id`, message: `duplicate id "${node.id}" among its siblings (first at ${at}.${seen})` });
    else first.set(node.id, i);
    if (node.children) issues.push(...duplicateSiblingIssues(node.children, `${at}.${i}.children`, file));
  });
  return issues;
}

/** Walk the nodes depth-first, carrying the full id, the names and the inherited minimum down to each leaf. */
function collect(
  nodes: readonly CapabilityNode[],
  parent: { id: string; names: string[]; minimum: number } | undefined,
  rootMinimum: number,
  tree: CapabilityTree,
): void {
  for (const node of nodes) {
    const id = parent ? `${parent.id}${CAPABILITY_SEPARATOR}${node.id}` : node.id;
    const names = [...(parent?.names ?? []), node.name];
    const minimum = node.min_examples ?? parent?.minimum ?? rootMinimum;
    if (node.children) {
      tree.nodes.add(id);
      collect(node.children, { id, names, minimum }, rootMinimum, tree);
    } else tree.leaves.set(id, { id, name: node.name, path: names, minimum });
  }
}

/** The tree from the text of taxonomy/capabilities.json; every problem (syntax, schema, duplicate sibling ids) is an issue with its line. */
export function parseCapabilityTree(text: string, file: string): CapabilityTree {
  const { value, syntaxError, lineOf } = jsonWithLines(text);
  if (syntaxError) throw new InvalidInputError([{ file, ...syntaxError }], { hint: VALIDATE_HINT });
  const illFormed = illFormedStrings(value).map((path) => ({ file, line: lineOf(path), field: path.join('.'), message: LONE_SURROGATE_MESSAGE }));
  const issues = [...illFormed, ...validateAgainst('capabilities', value, file, lineOf)];
  if (issues.length) throw new InvalidInputError(issues, { hint: VALIDATE_HINT });
  const parsed = value as CapabilityFile;
  const duplicates = duplicateSiblingIssues(parsed.capabilities, 'capabilities', file).map((issue) => ({
    ...issue,
    line: lineOf(issue.field!.split('.')),
  }));
  if (duplicates.length) throw new InvalidInputError(duplicates, { hint: VALIDATE_HINT });
  const tree: CapabilityTree = { version: parsed.version, leaves: new Map(), nodes: new Set() };
  collect(parsed.capabilities, undefined, parsed.min_examples ?? DEFAULT_MIN_EXAMPLES, tree);
  return tree;
}

/** Read and check taxonomy/capabilities.json; `file` is the name issues give it. */
export function loadCapabilityTree(path: string, file: string): CapabilityTree {
  return parseCapabilityTree(readConfigFile(path, file), file);
}

/**
 * Levenshtein distance: the fewest single-character insertions, deletions and substitutions that turn
 * `a` into `b` (V. I. Levenshtein, 1966), by the Wagner–Fischer dynamic programme (JACM 21(1), 1974)
 * keeping two rows. Counted over code points; stops early and returns `limit + 1` once every entry of
 * a row exceeds `limit`, since the distance can only grow from there.
 */
function levenshtein(a: string, b: string, limit: number): number {
  const s = Array.from(a);
  const t = Array.from(b);
  if (Math.abs(s.length - t.length) > limit) return limit + 1;
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    let rowMinimum = i;
    for (let j = 1; j <= t.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
      rowMinimum = Math.min(rowMinimum, current[j]);
    }
    if (rowMinimum > limit) return limit + 1;
    previous = current;
  }
  return previous[t.length];
}

/**
 * The leaf an unknown id most likely meant: the nearest by Levenshtein distance within 3 (ties to the
 * first in id order), else the one leaf whose own last segment is that id (a short id for a full one).
 */
function suggestion(tree: CapabilityTree, unknown: string): string | undefined {
  let best: { id: string; distance: number } | undefined;
  for (const id of tree.leaves.keys()) {
    const distance = levenshtein(unknown, id, SUGGESTION_DISTANCE);
    if (distance > SUGGESTION_DISTANCE) continue;
    if (!best || distance < best.distance || (distance === best.distance && id < best.id)) best = { id, distance };
  }
  if (best) return best.id;
  const bySegment = [...tree.leaves.keys()].filter((id) => id.endsWith(`${CAPABILITY_SEPARATOR}${unknown}`));
  return bySegment.length === 1 ? bySegment[0] : undefined;
}

/** `"a", "b", "c" and 4 more`: the first leaves below an internal node, in the tree's order. */
function leavesBelow(tree: CapabilityTree, node: string): string {
  const below = [...tree.leaves.keys()].filter((id) => id.startsWith(`${node}${CAPABILITY_SEPARATOR}`));
  const listed = below
    .slice(0, LEAVES_LISTED)
    .map((id) => JSON.stringify(id))
    .join(', ');
  return below.length > LEAVES_LISTED ? `${listed} and ${below.length - LEAVES_LISTED} more` : listed;
}

/**
 * The problems with one example's `capabilities` value: it must be an array of full leaf ids, each
 * listed once. Absent (`undefined`) is no problem here; whether the field is required is the pool
 * record schema's call. Each entry's issue names its field `capabilities[i]` and the example's line.
 */
export function capabilityIssues(tree: CapabilityTree, capabilities: unknown, file: string, line: number): Issue[] {
  if (capabilities === undefined) return [];
  if (!Array.isArray(capabilities)) return [{ file, line, field: 'capabilities', message: 'must be an array of capability ids' }];
  const issues: Issue[] = [];
  const first = new Map<string, number>();
  capabilities.forEach((entry: unknown, i) => {
    const field = `capabilities[${i}]`;
    if (typeof entry !== 'string') {
      issues.push({ file, line, field, message: 'must be a capability id (a string)' });
      return;
    }
    if (tree.leaves.has(entry)) {
      const seen = first.get(entry);
      if (seen !== undefined) issues.push({ file, line, field, message: `${JSON.stringify(entry)} is already listed at capabilities[${seen}]` });
      else first.set(entry, i);
      return;
    }
    if (tree.nodes.has(entry)) {
      issues.push({ file, line, field, message: `${JSON.stringify(entry)} is not a leaf; list its leaves (${leavesBelow(tree, entry)})` });
      return;
    }
    const meant = suggestion(tree, entry);
    issues.push({
      file,
      line,
      field,
      message: `unknown capability ${JSON.stringify(entry)}${meant ? `; did you mean ${JSON.stringify(meant)}?` : ''}`,
    });
  });
  return issues;
}
