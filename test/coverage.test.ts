import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capabilityIssues, loadCapabilityTree, type CapabilityTree } from '../lib/coverage/capabilityTree.ts';
import { coverageGaps } from '../lib/coverage/coverage.ts';
import { InvalidInputError, type Issue } from '../lib/errors.ts';

const FILE = 'taxonomy/capabilities.json';

/** Write `text` as a capabilities file in a fresh temporary folder and return its path. */
function capabilitiesFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'evalset-coverage-')), 'capabilities.json');
  writeFileSync(path, text);
  return path;
}

const treeOf = (value: unknown): CapabilityTree => loadCapabilityTree(capabilitiesFile(JSON.stringify(value, null, 2)), FILE);

/** The issues `loadCapabilityTree` throws for `text`. */
function loadIssues(text: string): Issue[] {
  try {
    loadCapabilityTree(capabilitiesFile(text), FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInputError);
    return (err as InvalidInputError).issues;
  }
  throw new Error('the tree loaded without complaint');
}

/** 1-based line of the first line of `text` holding `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

// One tree exercising every way a minimum is set: the root's default, a node's override, a deeper
// override, an explicit 0, and a leaf straight under the root.
const NODES = [
  {
    id: 'code-generation',
    name: 'Code generation',
    children: [
      {
        id: 'python',
        name: 'Python',
        min_examples: 20,
        children: [
          { id: 'list-comprehension', name: 'List comprehensions' },
          { id: 'decorators', name: 'Decorators', min_examples: 5 },
          { id: 'generators', name: 'Generators' },
          { id: 'async', name: 'Async', min_examples: 0 },
        ],
      },
      { id: 'sql', name: 'SQL' },
    ],
  },
  {
    id: 'sentiment',
    name: 'Sentiment analysis',
    min_examples: 40,
    children: [{ id: 'negation', name: 'Negation handling in sentiment analysis', description: 'not, never, hardly' }],
  },
  { id: 'kitten', name: 'Kitten' },
];

describe('loadCapabilityTree', () => {
  it('gives each leaf its full dotted id, its own name, the names on its path, and the nearest minimum', () => {
    const tree = treeOf({ version: '1.0.0', capabilities: NODES });
    expect(tree.version).toBe('1.0.0');
    expect([...tree.nodes]).toEqual(['code-generation', 'code-generation.python', 'sentiment']);
    expect([...tree.leaves.keys()]).toEqual([
      'code-generation.python.list-comprehension',
      'code-generation.python.decorators',
      'code-generation.python.generators',
      'code-generation.python.async',
      'code-generation.sql',
      'sentiment.negation',
      'kitten',
    ]);
    expect(tree.leaves.get('code-generation.python.list-comprehension')).toEqual({
      id: 'code-generation.python.list-comprehension',
      name: 'List comprehensions',
      path: ['Code generation', 'Python', 'List comprehensions'],
      minimum: 20,
    });
    const minimum = (id: string) => tree.leaves.get(id)!.minimum;
    // Without a root min_examples the default is 30 (the brief's stated default).
    expect(minimum('code-generation.sql')).toBe(30);
    expect(minimum('kitten')).toBe(30);
    // A node's override reaches every leaf below it…
    expect(minimum('code-generation.python.generators')).toBe(20);
    expect(minimum('sentiment.negation')).toBe(40);
    // …unless a nearer node sets its own, 0 included.
    expect(minimum('code-generation.python.decorators')).toBe(5);
    expect(minimum('code-generation.python.async')).toBe(0);
  });

  it("takes the root's min_examples, 0 included, where no node on the path sets one", () => {
    const tree = treeOf({ version: '1.0.0', min_examples: 50, capabilities: NODES });
    expect(tree.leaves.get('code-generation.sql')!.minimum).toBe(50);
    expect(tree.leaves.get('kitten')!.minimum).toBe(50);
    expect(tree.leaves.get('code-generation.python.generators')!.minimum).toBe(20);
    const zero = treeOf({ version: '1.0.0', min_examples: 0, capabilities: NODES });
    expect(zero.leaves.get('kitten')!.minimum).toBe(0);
    expect(zero.leaves.get('sentiment.negation')!.minimum).toBe(40);
  });

  it('names the field and line of a bad id and of a missing name, all in one error', () => {
    const text = [
      '{',
      '  "version": "1.0.0",',
      '  "capabilities": [',
      '    { "id": "code-generation", "name": "Code generation", "children": [',
      '      { "id": "Python", "name": "Python" },',
      '      { "id": "sql", "name": "SQL" }',
      '    ] },',
      '    {',
      '      "id": "reasoning"',
      '    }',
      '  ]',
      '}',
    ].join('\n');
    const issues = loadIssues(text);
    expect(issues).toContainEqual({
      file: FILE,
      line: lineOf(text, '"Python"'),
      field: 'capabilities.0.children.0.id',
      message: 'must match pattern "^[a-z0-9][a-z0-9-]*$"',
    });
    // A missing field is reported on the line where its node starts.
    expect(issues).toContainEqual({ file: FILE, line: text.split('\n').indexOf('    {') + 1, field: 'capabilities.1.name', message: 'is required' });
    expect(issues).toHaveLength(2);
  });

  it('reports each duplicate sibling id, at any depth, with its field path and the first one', () => {
    const text = JSON.stringify(
      {
        version: '1.0.0',
        capabilities: [
          {
            id: 'code',
            name: 'Code',
            children: [
              { id: 'python', name: 'Python' },
              { id: 'sql', name: 'SQL' },
              { id: 'python', name: 'Python 3' },
            ],
          },
          { id: 'code', name: 'Code again' },
        ],
      },
      null,
      2,
    );
    const issues = loadIssues(text);
    expect(issues).toEqual([
      {
        file: FILE,
        line: lineOf(text, '"Python 3"') - 1,
        field: 'capabilities.0.children.2.id',
        message: 'duplicate id "python" among its siblings (first at capabilities.0.children.0)',
      },
      {
        file: FILE,
        line: lineOf(text, '"Code again"') - 1,
        field: 'capabilities.1.id',
        message: 'duplicate id "code" among its siblings (first at capabilities.0)',
      },
    ]);
  });

  it('refuses an empty children array, a negative or fractional minimum, an unknown field, and malformed JSON', () => {
    const fields = (value: unknown) =>
      loadIssues(JSON.stringify(value, null, 2))
        .map((i) => `${i.field}: ${i.message}`)
        .sort();
    expect(
      fields({ version: '1.0.0', min_examples: -1, capabilities: [{ id: 'a', name: 'A', children: [], min_examples: 2.5, weight: 1 }] }),
    ).toEqual(
      [
        'min_examples: must be >= 0',
        'capabilities.0.weight: is not a known field',
        'capabilities.0.min_examples: must be integer',
        'capabilities.0.children: must NOT have fewer than 1 items',
      ].sort(),
    );
    expect(loadIssues('{ "version": "1.0.0", ')).toEqual([{ file: FILE, line: 1, message: 'malformed JSON (PropertyNameExpected)' }]);
    expect(() => loadCapabilityTree(join(mkdtempSync(join(tmpdir(), 'evalset-coverage-')), 'capabilities.json'), FILE)).toThrow(
      `${FILE}: cannot be read (missing?)`,
    );
  });
});

describe('capabilityIssues', () => {
  const tree = treeOf({ version: '1.0.0', capabilities: NODES });

  it('accepts full leaf ids and an absent field', () => {
    expect(capabilityIssues(tree, ['code-generation.sql', 'kitten'], 'datasets/pool/pool.jsonl', 4)).toEqual([]);
    expect(capabilityIssues(tree, [], 'datasets/pool/pool.jsonl', 4)).toEqual([]);
    expect(capabilityIssues(tree, undefined, 'datasets/pool/pool.jsonl', 4)).toEqual([]);
  });

  it('names the file, line and capabilities[i] of an unknown id and an internal node', () => {
    const issues = capabilityIssues(
      tree,
      ['kitten', 'code-generation.python', 'code-generation.python.decorator', 'sentiment'],
      'datasets/pool/a.jsonl',
      7,
    );
    expect(issues).toEqual([
      {
        file: 'datasets/pool/a.jsonl',
        line: 7,
        field: 'capabilities[1]',
        message:
          '"code-generation.python" is not a leaf; list its leaves ("code-generation.python.list-comprehension", "code-generation.python.decorators", "code-generation.python.generators" and 1 more)',
      },
      {
        file: 'datasets/pool/a.jsonl',
        line: 7,
        field: 'capabilities[2]',
        message: 'unknown capability "code-generation.python.decorator"; did you mean "code-generation.python.decorators"?',
      },
      {
        file: 'datasets/pool/a.jsonl',
        line: 7,
        field: 'capabilities[3]',
        message: '"sentiment" is not a leaf; list its leaves ("sentiment.negation")',
      },
    ]);
  });

  it('suggests a leaf up to Levenshtein distance 3 and none beyond', () => {
    const message = (id: string) => capabilityIssues(tree, [id], 'f', 1)[0].message;
    // d("kitten", "sitting") = 3, the textbook example (Wikipedia, "Levenshtein distance").
    expect(message('sitting')).toBe('unknown capability "sitting"; did you mean "kitten"?');
    // "sittings" is one insertion further: 4.
    expect(message('sittings')).toBe('unknown capability "sittings"');
    // A leaf's own id alone, for the full id it ends.
    expect(message('list-comprehension')).toBe('unknown capability "list-comprehension"; did you mean "code-generation.python.list-comprehension"?');
  });

  it('flags a leaf listed twice, an entry that is not a string, and a value that is not an array', () => {
    expect(capabilityIssues(tree, ['kitten', 3, 'kitten'], 'f', 2)).toEqual([
      { file: 'f', line: 2, field: 'capabilities[1]', message: 'must be a capability id (a string)' },
      { file: 'f', line: 2, field: 'capabilities[2]', message: '"kitten" is already listed at capabilities[0]' },
    ]);
    expect(capabilityIssues(tree, 'kitten', 'f', 2)).toEqual([
      { file: 'f', line: 2, field: 'capabilities', message: 'must be an array of capability ids' },
    ]);
  });
});

describe('coverageGaps', () => {
  const tree = treeOf({ version: '1.0.0', capabilities: NODES });

  it('lists every leaf sorted by id and the gaps with their exact remediation sentences', () => {
    const counts = new Map([
      ['sentiment.negation', 28],
      ['code-generation.sql', 18],
      ['code-generation.python.decorators', 5],
      ['code-generation.python.generators', 19],
      ['kitten', 31],
      ['not-a-leaf', 99],
    ]);
    const available = new Map([
      ['sentiment.negation', 7],
      ['code-generation.python.generators', 1],
      ['code-generation.python.list-comprehension', 0],
    ]);
    const report = coverageGaps(tree, counts, available);
    expect(report.leaves).toEqual([
      { id: 'code-generation.python.async', name: 'Async', minimum: 0, count: 0, available: 0 },
      { id: 'code-generation.python.decorators', name: 'Decorators', minimum: 5, count: 5, available: 0 },
      { id: 'code-generation.python.generators', name: 'Generators', minimum: 20, count: 19, available: 1 },
      { id: 'code-generation.python.list-comprehension', name: 'List comprehensions', minimum: 20, count: 0, available: 0 },
      { id: 'code-generation.sql', name: 'SQL', minimum: 30, count: 18, available: 0 },
      { id: 'kitten', name: 'Kitten', minimum: 30, count: 31, available: 0 },
      { id: 'sentiment.negation', name: 'Negation handling in sentiment analysis', minimum: 40, count: 28, available: 7 },
    ]);
    // The sentences are the ones the coverage brief fixes word for word.
    expect(report.gaps).toEqual([
      {
        capability: 'code-generation.python.generators',
        name: 'Generators',
        minimum: 20,
        count: 19,
        missing: 1,
        available: 1,
        remediation:
          "add 1 more example for capability 'Generators' to reach the minimum of 20; the pool holds 1 eligible candidate with it that the dataset does not include",
      },
      {
        capability: 'code-generation.python.list-comprehension',
        name: 'List comprehensions',
        minimum: 20,
        count: 0,
        missing: 20,
        available: 0,
        remediation:
          "add 20 more examples for capability 'List comprehensions' to reach the minimum of 20; the pool holds no eligible candidate with it: new examples are needed",
      },
      {
        capability: 'code-generation.sql',
        name: 'SQL',
        minimum: 30,
        count: 18,
        missing: 12,
        available: 0,
        remediation:
          "add 12 more examples for capability 'SQL' to reach the minimum of 30; the pool holds no eligible candidate with it: new examples are needed",
      },
      {
        capability: 'sentiment.negation',
        name: 'Negation handling in sentiment analysis',
        minimum: 40,
        count: 28,
        missing: 12,
        available: 7,
        remediation:
          "add 12 more examples for capability 'Negation handling in sentiment analysis' to reach the minimum of 40; the pool holds 7 eligible candidates with it that the dataset does not include",
      },
    ]);
    expect(report.covered).toBe(3);
    expect(report.total).toBe(7);
  });

  it('gives the brief’s own example sentence word for word', () => {
    const one = treeOf({ version: '1.0.0', capabilities: [{ id: 'negation', name: 'negation handling in sentiment analysis' }] });
    const [gap] = coverageGaps(one, new Map([['negation', 18]]), new Map([['negation', 7]])).gaps;
    expect(gap.remediation).toBe(
      "add 12 more examples for capability 'negation handling in sentiment analysis' to reach the minimum of 30; the pool holds 7 eligible candidates with it that the dataset does not include",
    );
  });
});
