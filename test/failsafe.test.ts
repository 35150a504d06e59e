/**
 * Bad input through `dvc repro` loses nothing and runs nothing. Users run the pipeline through DVC,
 * not stage by stage, so every case here goes the way they do: one baseline `dvc repro` in a copy of
 * the repository, then for each case mutate an input → `dvc repro` → check that it was refused by
 * name, that every committed and cached output is byte-identical, that no shell command built from
 * data ran → restore the inputs. Then the states a SIGKILL between two renames leaves, and the
 * temporaries it leaves behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCopyOfRepository, evalset, git, run, venvDvc } from './helpers.ts';

/** Every output of the pipeline that a refused run must leave as it was (committed, DVC-cached, or interim). */
const OUTPUT_ROOTS = ['evalsets', 'reports', 'interim', 'taxonomy/registry.jsonl', 'dvc.lock'];
/** Everything a case may touch, restored byte for byte after it: the inputs, the DVC pointers and the outputs. */
const RESTORED_ROOTS = [...OUTPUT_ROOTS, 'params.yaml', 'taxonomy', 'datasets', 'datasets.dvc', '.dvcignore'];
/** Walked when looking for a file a shell command might have created; the linked installs are not the repository's own. */
const NOT_SEARCHED = new Set(['node_modules', '.venv', '.git']);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Files (and links, and empty folders) under `path`, by path relative to the root: lstat, so a dangling link counts too. */
function entriesUnder(root: string, path: string, out = new Map<string, Buffer | 'dir' | 'link'>()): Map<string, Buffer | 'dir' | 'link'> {
  const full = join(root, path);
  let stat;
  try {
    stat = lstatSync(full);
  } catch {
    return out;
  }
  if (stat.isSymbolicLink()) out.set(path, 'link');
  else if (stat.isDirectory()) {
    const children = readdirSync(full);
    if (children.length === 0) out.set(path, 'dir');
    for (const child of children) entriesUnder(root, join(path, child), out);
  } else out.set(path, readFileSync(full));
  return out;
}

function snapshot(root: string, roots: readonly string[]): Map<string, Buffer | 'dir' | 'link'> {
  const out = new Map<string, Buffer | 'dir' | 'link'>();
  for (const path of roots) entriesUnder(root, path, out);
  return out;
}

/** The outputs as `path → sha256`, sorted: a failed comparison shows exactly which file changed, appeared or vanished. */
function outputHashes(root: string): Record<string, string> {
  const entries = [...snapshot(root, OUTPUT_ROOTS)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([path, v]) => [path, typeof v === 'string' ? v : sha256(v)]));
}

/**
 * Put every restored path back as the snapshot holds it: entries the case added are removed, files it
 * changed or removed are written back. Only what differs is written, so DVC's hash cache stays warm.
 */
function restore(root: string, saved: Map<string, Buffer | 'dir' | 'link'>): void {
  // Entries the case added; a folder emptied by one round is an added entry in the next.
  for (let round = 0; round < 10; round++) {
    const added = [...snapshot(root, RESTORED_ROOTS).keys()].filter((path) => !saved.has(path));
    if (added.length === 0) break;
    for (const path of added) rmSync(join(root, path), { recursive: true, force: true });
  }
  const now = snapshot(root, RESTORED_ROOTS);
  for (const [path, value] of saved) {
    const full = join(root, path);
    const current = now.get(path);
    if (value === 'dir') mkdirSync(full, { recursive: true });
    else if (value === 'link') throw new Error(`the baseline holds a symbolic link, ${path}, that restore cannot rebuild`);
    else if (!(current instanceof Buffer) || !current.equals(value)) {
      rmSync(full, { recursive: true, force: true });
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, value);
    }
  }
}

/** Every file named PWNED in the repository (linked installs aside) and in the folder that holds it. */
function pwnedFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (NOT_SEARCHED.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.name === 'PWNED') found.push(path);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(root);
  if (existsSync(join(dirname(root), 'PWNED'))) found.push(join(dirname(root), 'PWNED'));
  return found;
}

/** A stack trace line (`    at fn (file:1:2)`): bad input must never show one. */
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

/** Replace text in a file, and fail loudly if the text was not there: a case that mutates nothing proves nothing. */
function edit(root: string, path: string, from: string | RegExp, to: string): void {
  const full = join(root, path);
  const before = readFileSync(full, 'utf8');
  const after = before.replace(from, to);
  if (after === before) throw new Error(`case setup: ${String(from)} not found in ${path}`);
  writeFileSync(full, after);
}

const params = (from: string | RegExp, to: string) => (root: string) => edit(root, 'params.yaml', from, to);
/** Rename the `stress` dataset: the name is what DVC's foreach puts into the stage's shell command. */
const datasetNamed = (name: string) => params(/^ {2}stress:$/m, `  ${JSON.stringify(name)}:`);

/** Edit the taxonomy as JSON (its version left as it is, so a change of content alone is what is refused). */
const taxonomy = (change: (t: Record<string, any>) => void) => (root: string) => {
  const path = join(root, 'taxonomy', 'strata.json');
  const value = JSON.parse(readFileSync(path, 'utf8'));
  change(value);
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
};

/** A valid pool record, from the demo pool's first line, to derive each bad one from. */
let template: Record<string, any>;
let firstDemoId: string;
const record = (id: string, change: (r: Record<string, any>) => void = () => {}) => {
  const r = structuredClone(template);
  r.id = id;
  change(r);
  return JSON.stringify(r);
};
/** A second pool file, so that the line numbers the errors name are known exactly. */
const NEW_POOL_FILE = 'datasets/pool/zz-new.jsonl';
const POOL = NEW_POOL_FILE.replace(/\./g, '\\.');

interface Case {
  name: string;
  mutate: (root: string) => void;
  /** What the output must say: the file, and the line and field where there is one. */
  names: RegExp;
  /** A stage upstream of the refusing one ran and succeeded, so dvc.lock records it: only dvc.lock may differ. */
  upstreamRan?: true;
}

/**
 * One bad line of a pool file. Bad records are tried a batch to a file, one `dvc repro` per batch
 * (classify lists every bad line, not the first): each must be named at its own line, and a batch
 * stays under the 20 problems the error message shows. `line` gets the id to use.
 */
interface RecordCase {
  name: string;
  line: (id: string) => string | Buffer;
  /** What follows `datasets/pool/zz-new.jsonl:LINE: ` in the output. */
  says: string;
}
const bad = (name: string, change: (r: Record<string, any>) => void, says: string): RecordCase => ({ name, line: (id) => record(id, change), says });

const RECORD_BATCHES: RecordCase[][] = [
  [
    // Broken JSONL.
    { name: 'a truncated line', line: (id) => record(id).slice(0, 60), says: 'malformed JSON' },
    { name: 'trailing garbage after the object', line: (id) => record(id) + ' garbage', says: 'malformed JSON' },
    { name: 'two objects on one line', line: (id) => record(id) + record(`${id}b`), says: 'malformed JSON' },
    { name: 'an array, not an object', line: () => '[1, 2, 3]', says: 'must be object' },
    { name: 'a bare string, not an object', line: () => '"just text"', says: 'must be object' },
    { name: 'null, not an object', line: () => 'null', says: 'must be object' },
    {
      name: 'bytes that are not UTF-8',
      line: (id) => {
        const [before, after] = record(id, (r) => (r.prompt = 'caf<BYTE>')).split('<BYTE>');
        return Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from(after)]);
      },
      says: 'is not valid UTF-8',
    },
    // Wrong types.
    bad('prompt a number', (r) => (r.prompt = 42), 'prompt: must be string'),
    bad('signals.failure_rate "high"', (r) => (r.signals = { failure_rate: 'high' }), 'signals\\.failure_rate: must be number'),
    bad('signals.failure_rate above 1', (r) => (r.signals = { failure_rate: 1.5 }), 'signals\\.failure_rate: must be <= 1'),
    bad('signals.reasoning_steps not an integer', (r) => (r.signals = { reasoning_steps: 2.5 }), 'signals\\.reasoning_steps: must be integer'),
    bad('signals.prompt_tokens negative', (r) => (r.signals = { prompt_tokens: -3 }), 'signals\\.prompt_tokens: must be >= 0'),
    bad('capabilities a string', (r) => (r.capabilities = 'code-generation.sql'), 'capabilities: must be array'),
    bad('labels an array', (r) => (r.labels = ['gold']), 'labels: must be object'),
  ],
  [
    bad('reference a number', (r) => (r.reference = 7), 'reference: must be string,null'),
    bad('id a number', (r) => (r.id = 17), 'id: must be string'),
    bad('created_at not a date-time', (r) => (r.created_at = 'yesterday'), 'created_at: must match format "date-time"'),
    // Missing required fields.
    bad('no id', (r) => delete r.id, 'id: is required'),
    bad('no prompt', (r) => delete r.prompt, 'prompt: is required'),
    bad('prompt misspelt as promt', (r) => ((r.promt = r.prompt), delete r.prompt), 'prompt: is required'),
    bad('no task_category', (r) => delete r.task_category, 'task_category: is required'),
    // Ids, text, categories.
    {
      name: 'an id the demo pool already has',
      line: () => record(firstDemoId),
      says: 'id: duplicate id "[^"]+" \\(first at datasets/pool/demo\\.jsonl:1\\)',
    },
    { name: 'the same id twice in one file', line: () => record('failsafe-good'), says: `id: duplicate id "failsafe-good" \\(first at ${POOL}:1\\)` },
    bad('a whitespace-only id', (r) => (r.id = ' \t '), 'id: must not be empty or only whitespace'),
    bad('an empty id', (r) => (r.id = ''), 'id: (must not be empty|must NOT have fewer than 1 characters)'),
    {
      name: 'a lone surrogate \\ud800 in a prompt',
      line: (id) => record(id, (r) => (r.prompt = '<HALF>')).replace('<HALF>', 'half a pair: \\ud800'),
      says: 'prompt: .*surrogate',
    },
    bad('an unknown category', (r) => (r.task_category = 'translation'), 'task_category: unknown category "translation"'),
  ],
];

const CASES: Case[] = [
  // The pool as a whole, and odd files in it.
  {
    name: 'pool: every file emptied',
    mutate: (root) => writeFileSync(join(root, 'datasets/pool/demo.jsonl'), ''),
    names: /datasets\/pool: holds no records/,
  },
  {
    // Not empty: DVC leaves empty folders out of its hashes, so an empty one changes nothing it tracks.
    name: 'pool: a directory named x.jsonl',
    mutate: (root) => {
      mkdirSync(join(root, 'datasets/pool/x.jsonl'));
      writeFileSync(join(root, 'datasets/pool/x.jsonl/part-0.jsonl'), record('failsafe-x') + '\n');
    },
    names: /datasets\/pool\/x\.jsonl: is a directory/,
  },
  {
    name: 'pool: a dangling symbolic link y.jsonl',
    mutate: (root) => symlinkSync('nowhere.jsonl', join(root, 'datasets/pool/y.jsonl')),
    names: /datasets\/pool\/y\.jsonl/,
  },

  // params.yaml.
  {
    name: 'params: misspelt key sizee',
    mutate: params('    size: 1200', '    sizee: 1200'),
    names: /params\.yaml:\d+: datasets\.representative\.sizee: /,
  },
  {
    // DVC expands `foreach: ${datasets}` before any stage runs, so DVC itself refuses (README, "When a run fails").
    name: 'params: empty `datasets:`',
    mutate: (root) => writeFileSync(join(root, 'params.yaml'), 'datasets:\n'),
    names: /failed to resolve 'stages\.sample\.foreach' in 'dvc\.yaml': expected list\/dictionary, got NoneType/,
  },
  {
    name: 'params: `datasets: {}`',
    mutate: (root) => writeFileSync(join(root, 'params.yaml'), 'datasets: {}\n'),
    names: /params\.yaml:1: datasets: must list at least one dataset/,
  },
  {
    name: 'params: an empty file',
    mutate: (root) => writeFileSync(join(root, 'params.yaml'), ''),
    names: /failed to parse 'stages\.sample\.foreach' in 'dvc\.yaml': Could not find 'datasets'/,
  },
  { name: 'params: negative size', mutate: params('size: 1200', 'size: -5'), names: /params\.yaml:\d+: datasets\.representative\.size: / },
  { name: 'params: size 0', mutate: params('size: 1200', 'size: 0'), names: /params\.yaml:\d+: datasets\.representative\.size: / },
  { name: 'params: size not a number', mutate: params('size: 1200', 'size: lots'), names: /params\.yaml:\d+: datasets\.representative\.size: / },
  {
    name: 'params: floor larger than size',
    mutate: params('floor: 30', 'floor: 5000'),
    names: /params\.yaml:\d+: datasets\.representative\.floor: /,
  },
  {
    name: 'params: a per-stratum floor larger than size',
    mutate: params('floors: {}', 'floors: {"reasoning×adversarial": 5000}'),
    names: /params\.yaml:\d+: datasets\.representative\.floors\.reasoning×adversarial: /,
  },
  { name: 'params: negative floor', mutate: params('floor: 30', 'floor: -1'), names: /params\.yaml:\d+: datasets\.representative\.floor: / },
  {
    name: 'params: an unknown stratum in shares',
    mutate: params('summarization×routine: 1', 'summarisation×routine: 1'),
    names: /params\.yaml:\d+: datasets\.stress\.allocation\.shares.*summarisation×routine/,
  },
  {
    name: 'params: an unknown stratum in floors',
    mutate: params('floors: {}', 'floors: {"reasoning×impossible": 5}'),
    names: /params\.yaml:\d+: datasets\.representative\.floors.*reasoning×impossible/,
  },
  {
    name: 'params: a negative share',
    mutate: params('summarization×routine: 1', 'summarization×routine: -1'),
    names: /params\.yaml:\d+: datasets\.stress\.allocation\.shares\.summarization×routine: /,
  },
  {
    name: 'params: explicit allocation without shares',
    mutate: params('mode: proportional', 'mode: explicit'),
    names: /params\.yaml:\d+: datasets\.representative\.allocation/,
  },
  {
    name: 'params: an unknown allocation mode',
    mutate: params('mode: proportional', 'mode: stratified'),
    names: /params\.yaml:\d+: datasets\.representative\.allocation\.mode: /,
  },
  {
    name: 'params: version not semver (1.0)',
    mutate: params('version: 0.1.0', 'version: "1.0"'),
    names: /params\.yaml:\d+: datasets\.representative\.version: /,
  },
  {
    name: 'params: version with a v (v0.1.0)',
    mutate: params('version: 0.1.0', 'version: v0.1.0'),
    names: /params\.yaml:\d+: datasets\.representative\.version: /,
  },
  { name: 'params: seed a string', mutate: params('seed: 1729', 'seed: "1729a"'), names: /params\.yaml:\d+: datasets\.representative\.seed: / },
  { name: 'params: seed a fraction', mutate: params('seed: 1729', 'seed: 17.29'), names: /params\.yaml:\d+: datasets\.representative\.seed: / },
  {
    name: 'params: balance threshold above 1',
    mutate: params('threshold: 0.05', 'threshold: 1.5'),
    names: /params\.yaml:\d+: datasets\.representative\.balance\.threshold: /,
  },
  // DVC reads params.yaml itself (for dvc.yaml's foreach) before any stage runs: these are DVC's own refusals.
  {
    name: 'params: YAML syntax error',
    mutate: params('    seed: 1729', '    seed: [1729'),
    names: /'params\.yaml', YAML file structure is corrupted[\s\S]*line 6/,
  },
  {
    name: 'params: a key given twice',
    mutate: params('    seed: 1729', '    seed: 1729\n    seed: 1730'),
    names: /'params\.yaml', YAML file structure is corrupted[\s\S]*duplicate key "seed"[\s\S]*line 7/,
  },
  {
    name: 'params: a lone surrogate in a card field',
    mutate: params('pretty_name: evalset demo — representative', 'pretty_name: "half \\ud800 a pair"'),
    names: /params\.yaml:\d+: datasets\.representative\.card\.pretty_name: .*surrogate/,
  },
  { name: 'params: params.yaml missing', mutate: (root) => rmSync(join(root, 'params.yaml')), names: /'params\.yaml' does not exist/ },
  // Names that would reach a shell through dvc.yaml's foreach, or a folder, or a prototype.
  {
    name: 'params: dataset name `x; touch PWNED`',
    mutate: datasetNamed('x; touch PWNED'),
    names: /params\.yaml:\d+: datasets\.x; touch PWNED: is not an allowed dataset name/,
  },
  {
    name: 'params: dataset name `$(touch PWNED)`',
    mutate: datasetNamed('$(touch PWNED)'),
    names: /params\.yaml:\d+: datasets\.\$\(touch PWNED\): is not an allowed dataset name/,
  },
  {
    name: 'params: dataset name `` `touch PWNED` ``',
    mutate: datasetNamed('`touch PWNED`'),
    names: /params\.yaml:\d+: datasets\.`touch PWNED`: is not an allowed dataset name/,
  },
  {
    name: 'params: dataset name `x && touch PWNED`',
    mutate: datasetNamed('x && touch PWNED'),
    names: /params\.yaml:\d+: datasets\.x && touch PWNED: is not an allowed dataset name/,
  },
  {
    name: 'params: dataset name `x\\ntouch PWNED`',
    mutate: datasetNamed('x\ntouch PWNED'),
    names: /params\.yaml:\d+: datasets\.x\s+touch PWNED: is not an allowed dataset name/,
  },
  {
    name: 'params: dataset name `../escape`',
    mutate: datasetNamed('../escape'),
    names: /params\.yaml:\d+: datasets\.\.\.\/escape: is not an allowed dataset name/,
  },
  {
    name: 'params: dataset name `Stress` (upper case)',
    mutate: datasetNamed('Stress'),
    names: /params\.yaml:\d+: datasets\.Stress: is not an allowed dataset name/,
  },
  {
    name: 'params: dataset name `__proto__`',
    mutate: datasetNamed('__proto__'),
    names: /params\.yaml:\d+: datasets\.__proto__: is not an allowed dataset name/,
  },
  // Refusals that need the pool: config passes them, sample refuses.
  {
    name: 'params: allow_pool_limited false with a stratum below its floor',
    mutate: params('allow_pool_limited: true', 'allow_pool_limited: false'),
    names:
      /params\.yaml:\d+: datasets\.representative\.floor: stratum creative-writing×adversarial has 14 candidates in the pool, below its floor of 30/,
    // The config stage passed (nothing in params.yaml alone is wrong), and DVC records that run in dvc.lock.
    upstreamRan: true,
  },

  // The taxonomy.
  {
    name: 'taxonomy: malformed JSON',
    mutate: (root) => edit(root, 'taxonomy/strata.json', '"categories": [', '"categories": [,'),
    names: /taxonomy\/strata\.json:\d+/,
  },
  {
    name: 'taxonomy: thresholds not ascending',
    mutate: taxonomy((t) => (t.difficulty.signals.failure_rate.thresholds = [0.5, 0.2])),
    names: /taxonomy\/strata\.json:\d+: difficulty\.signals\.failure_rate\.thresholds: must be strictly ascending/,
  },
  {
    name: 'taxonomy: wrong number of thresholds',
    mutate: taxonomy((t) => (t.difficulty.signals.reasoning_steps.thresholds = [3])),
    names: /taxonomy\/strata\.json:\d+: difficulty\.signals\.reasoning_steps\.thresholds: needs 2 thresholds/,
  },
  {
    name: 'taxonomy: unknown precedence signal',
    mutate: taxonomy((t) => (t.difficulty.precedence = ['failure_rate', 'vibes'])),
    names: /taxonomy\/strata\.json:\d+: difficulty\.precedence/,
  },
  {
    name: 'taxonomy: a duplicate category id',
    mutate: taxonomy((t) => t.categories.push({ ...t.categories[0] })),
    names: /taxonomy\/strata\.json:\d+: categories\.5\.id: duplicate category id "summarization"/,
  },
  {
    name: 'taxonomy: an unknown default level',
    mutate: taxonomy((t) => (t.difficulty.default = 'medium')),
    names: /taxonomy\/strata\.json:\d+: difficulty\.default: /,
  },
  { name: 'taxonomy: version not semver', mutate: taxonomy((t) => (t.version = 'one')), names: /taxonomy\/strata\.json:\d+: version: / },
  {
    name: 'taxonomy: content edited under the same version',
    mutate: taxonomy((t) => (t.difficulty.signals.prompt_tokens.thresholds = [300, 800])),
    names: /taxonomy\/strata\.json.*version/,
  },
  { name: 'taxonomy: strata.json missing', mutate: (root) => rmSync(join(root, 'taxonomy', 'strata.json')), names: /taxonomy\/strata\.json/ },
];

describe('bad input through `dvc repro` loses nothing and runs nothing', () => {
  let repo: string;
  let baseline: Map<string, Buffer | 'dir' | 'link'>;
  let baselineOutputs: Record<string, string>;
  const passed: string[] = [];

  beforeAll(() => {
    repo = builtCopyOfRepository();
    // Committed, so that `git status` after a case shows only what the case changed.
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '--no-verify', '--allow-empty', '-m', 'baseline run');
    baseline = snapshot(repo, RESTORED_ROOTS);
    baselineOutputs = outputHashes(repo);
    const demo = readFileSync(join(repo, 'datasets', 'pool', 'demo.jsonl'), 'utf8');
    template = JSON.parse(demo.slice(0, demo.indexOf('\n')));
    firstDemoId = template.id;
  });

  afterAll(() => {
    const total = CASES.length + RECORD_BATCHES.flat().length;
    console.log(`failsafe: ${passed.length} of ${total} bad-input cases passed through dvc repro`);
  });

  it('has a baseline with every kind of output in it', () => {
    const paths = Object.keys(baselineOutputs);
    for (const expected of [
      'dvc.lock',
      'taxonomy/registry.jsonl',
      'interim/strata.parquet',
      'interim/pool.json',
      'interim/exclusions/duplicates.parquet',
      'reports/duplicates.json',
      'evalsets/stress/data.parquet',
      'evalsets/stress/quarantine.parquet',
      'evalsets/stress/manifest.jsonl',
      'evalsets/stress/meta.json',
      'evalsets/stress/README.md',
      'evalsets/stress/quality/balance.json',
    ])
      expect(paths).toContain(expected);
  });

  describe.each(RECORD_BATCHES.map((batch, i) => [i + 1, batch] as const))('bad pool records, batch %i, in one pool file', (_n, batch) => {
    // Line 1 is a valid record (the first of the duplicated id); each case is on its own line after it.
    const lineOf = (i: number) => i + 2;
    let r: ReturnType<typeof run>;
    let outputs: Record<string, string>;
    let pwned: string[];
    beforeAll(() => {
      try {
        const lines = [record('failsafe-good'), ...batch.map((c, i) => c.line(`failsafe-${lineOf(i)}`))];
        writeFileSync(join(repo, NEW_POOL_FILE), Buffer.concat(lines.map((line) => Buffer.concat([Buffer.from(line), Buffer.from('\n')]))));
        r = run(repo, venvDvc, ['repro']);
        outputs = outputHashes(repo);
        pwned = pwnedFiles(repo);
      } finally {
        restore(repo, baseline);
      }
    });

    it('refuses the batch with a non-zero exit, no stack trace, the valid line unnamed, and every output as it was', () => {
      const output = r.stdout + r.stderr;
      expect(r.status, output).not.toBe(0);
      expect(output).not.toMatch(/unexpected error/);
      expect(output).not.toMatch(STACK_TRACE);
      expect(output).not.toMatch(new RegExp(`${POOL}:1:`));
      // Every line is named (a record may give more than one problem), and all of them are shown, not summarised.
      const problems = Number(/(\d+) problems in the inputs/.exec(output)?.[1]);
      expect(problems).toBeGreaterThanOrEqual(batch.length);
      expect(problems).toBeLessThanOrEqual(20);
      expect(outputs).toEqual(baselineOutputs);
      expect(pwned).toEqual([]);
    });

    it.each(batch.map((c, i) => [c.name, c, i] as const))('names %s at its line', (name, c, i) => {
      const output = r.stdout + r.stderr;
      expect(output).toMatch(new RegExp(`${POOL}:${lineOf(i)}: ${c.says}`));
      // Each record case also stands on the batch's refusal.
      expect(r.status).not.toBe(0);
      expect(outputs).toEqual(baselineOutputs);
      passed.push(`pool record: ${name}`);
    });
  });

  it.each(CASES.map((c) => [c.name, c] as const))('refuses %s, names it, and leaves every output as it was', (_name, c) => {
    try {
      c.mutate(repo);
      const r = run(repo, venvDvc, ['repro']);
      const output = r.stdout + r.stderr;
      expect(pwnedFiles(repo)).toEqual([]);
      expect(r.status, output).not.toBe(0);
      expect(output).toMatch(c.names);
      expect(output).not.toMatch(/unexpected error/);
      expect(output).not.toMatch(STACK_TRACE);
      const { 'dvc.lock': lock, ...outputs } = outputHashes(repo);
      const { 'dvc.lock': baselineLock, ...expected } = baselineOutputs;
      expect(outputs).toEqual(expected);
      if (!c.upstreamRan) expect(lock).toBe(baselineLock);
      passed.push(c.name);
    } finally {
      restore(repo, baseline);
    }
  });

  describe('names that are properties of every object', () => {
    it.each(['sample', 'card'].flatMap((command) => ['__proto__', 'constructor'].map((name) => [command, name])))(
      '`evalset %s --dataset %s` exits 2 naming the dataset, without a stack trace',
      (command, name) => {
        const r = evalset([command, '--dataset', name], { cwd: repo });
        expect(r.status, r.stderr).toBe(2);
        expect(r.stderr).toContain(`no dataset \`${name}\` in params.yaml`);
        expect(r.stderr).not.toMatch(/unexpected error/);
        expect(r.stderr).not.toMatch(STACK_TRACE);
        expect(outputHashes(repo)).toEqual(baselineOutputs);
      },
    );
  });

  describe('unreadable and odd files in the pool, by hand', () => {
    const odd: [string, (root: string) => void, RegExp][] = [
      [
        'an empty directory named x.jsonl',
        (root) => mkdirSync(join(root, 'datasets/pool/x.jsonl')),
        /datasets\/pool\/x\.jsonl: is a directory, not a file/,
      ],
      [
        'a dangling symbolic link y.jsonl',
        (root) => symlinkSync('nowhere.jsonl', join(root, 'datasets/pool/y.jsonl')),
        /datasets\/pool\/y\.jsonl: is a symbolic link to a file that does not exist/,
      ],
    ];
    it.each(odd.flatMap(([what, make, names]) => ['validate', 'classify'].map((command) => [command, what, make, names] as const)))(
      '`evalset %s` with %s names the path and exits 2, without a stack trace',
      (command, _what, make, names) => {
        try {
          make(repo);
          const r = evalset([command], { cwd: repo });
          expect(r.status, r.stdout + r.stderr).toBe(2);
          expect(r.stdout + r.stderr).toMatch(names);
          expect(r.stderr).not.toMatch(/unexpected error/);
          expect(r.stderr).not.toMatch(STACK_TRACE);
          expect(outputHashes(repo)).toEqual(baselineOutputs);
        } finally {
          restore(repo, baseline);
        }
      },
    );
  });

  describe('the states a SIGKILL between two renames leaves', () => {
    /** Run one stage module as DVC runs it (dvc.yaml's `cmd`), in the copy. */
    const stage = (name: string, dataset?: string) =>
      run(repo, process.execPath, ['--import', 'tsx', `stages/${name}.ts`, ...(dataset ? ['--dataset', dataset] : [])]);
    const bytes = (path: string) => readFileSync(join(repo, path));
    const put = (path: string, data: Buffer) => writeFileSync(join(repo, path), data);
    /** The outputs a stage must not touch when it refuses, as path → hash. */
    const outputsUnder = (prefix: string) => Object.fromEntries(Object.entries(outputHashes(repo)).filter(([path]) => path.startsWith(prefix)));
    const baselineUnder = (prefix: string) => Object.fromEntries(Object.entries(baselineOutputs).filter(([path]) => path.startsWith(prefix)));

    it('sample refuses assignments that interim/pool.json does not vouch for, in either order, and a pool changed before the renames', () => {
      try {
        // A real second classify run, on a pool with one more candidate: its table and voucher are the "new" ones.
        writeFileSync(join(repo, NEW_POOL_FILE), record('failsafe-new') + '\n');
        const classify = stage('classify');
        expect(classify.status, classify.stderr).toBe(0);
        const fresh = { table: bytes('interim/strata.parquet'), voucher: bytes('interim/pool.json') };
        const old = { table: baseline.get('interim/strata.parquet') as Buffer, voucher: baseline.get('interim/pool.json') as Buffer };
        expect(fresh.table.equals(old.table)).toBe(false);
        const states: [string, Buffer, Buffer, RegExp][] = [
          ['new table, old voucher', fresh.table, old.voucher, /interim\/strata\.parquet: is not the table interim\/pool\.json vouches for .*again/],
          ['old table, new voucher', old.table, fresh.voucher, /interim\/strata\.parquet: is not the table interim\/pool\.json vouches for .*again/],
          ['old table, old voucher, new pool', old.table, old.voucher, /datasets\/pool: changed since classify ran .*again/],
        ];
        for (const [state, table, voucher, says] of states) {
          put('interim/strata.parquet', table);
          put('interim/pool.json', voucher);
          const r = stage('sample', 'representative');
          expect(r.status, `${state}: ${r.stdout}${r.stderr}`).not.toBe(0);
          expect(r.stderr, state).toMatch(says);
          expect(outputsUnder('evalsets/'), state).toEqual(baselineUnder('evalsets/'));
          expect(outputsUnder('reports/'), state).toEqual(baselineUnder('reports/'));
        }
      } finally {
        restore(repo, baseline);
      }
    });

    it('card refuses a sample whose renames stopped before meta.json', () => {
      const dir = 'evalsets/representative';
      // sample renames in this order, meta.json last (stages/sample.ts).
      const order = [
        'data.parquet',
        'quarantine.parquet',
        'manifest.jsonl',
        'quality/balance.json',
        'quality/eligibility.json',
        'quality/provenance.json',
      ];
      try {
        params('seed: 1729', 'seed: 1730')(repo);
        const sample = stage('sample', 'representative');
        expect(sample.status, sample.stderr).toBe(0);
        const fresh = new Map(order.map((f) => [f, bytes(`${dir}/${f}`)]));
        expect(fresh.get('data.parquet')!.equals(baseline.get(`${dir}/data.parquet`) as Buffer)).toBe(false);
        for (const renamed of [1, order.length]) {
          restore(repo, baseline);
          params('seed: 1729', 'seed: 1730')(repo);
          for (const f of order.slice(0, renamed)) put(`${dir}/${f}`, fresh.get(f)!);
          const r = stage('card', 'representative');
          const state = `killed after ${renamed} rename(s)`;
          expect(r.status, `${state}: ${r.stdout}${r.stderr}`).not.toBe(0);
          expect(r.stderr, state).toMatch(/evalsets\/representative\/data\.parquet: is not the file meta\.json records .*again/);
          expect(bytes(`${dir}/README.md`).equals(baseline.get(`${dir}/README.md`) as Buffer), state).toBe(true);
        }
      } finally {
        restore(repo, baseline);
      }
    });

    /** A temporary named as lib/io/atomic.ts names them, beside each output of these folders. */
    const leaveTemporaries = (prefixes: readonly string[]) => {
      const left: string[] = [];
      for (const path of Object.keys(baselineOutputs).filter((p) => prefixes.some((prefix) => p.startsWith(prefix)) && !p.endsWith('.gitignore'))) {
        const tmp = `${path}.4242.0badc0de.tmp`;
        writeFileSync(join(repo, tmp), 'half-written');
        left.push(tmp);
      }
      return left;
    };
    const withoutTemporaries = (hashes: Record<string, string>) =>
      Object.fromEntries(Object.entries(hashes).filter(([path]) => !path.endsWith('.tmp')));

    it('a `dvc repro` after a kill that left temporaries beside every output is up to date: dvc.lock, meta.json and git status unchanged', () => {
      try {
        const left = leaveTemporaries(['interim/', 'taxonomy/', 'reports/', 'evalsets/']);
        expect(left.length).toBeGreaterThan(10);
        const r = run(repo, venvDvc, ['repro']);
        expect(r.status, r.stdout + r.stderr).toBe(0);
        // A temporary in a folder that is a dependency (interim/exclusions, taxonomy, evalsets/NAME/quality) must not re-run a stage.
        expect(r.stdout.match(/Running stage '[^']+'/g) ?? []).toEqual([]);
        expect(withoutTemporaries(outputHashes(repo))).toEqual(baselineOutputs);
        expect(git(repo, 'status', '--porcelain')).toBe('');
      } finally {
        restore(repo, baseline);
      }
    });

    it('each stage removes the temporaries beside its own outputs when it runs, and writes the same bytes', () => {
      try {
        const left = leaveTemporaries(['interim/', 'taxonomy/', 'reports/', 'evalsets/representative/']);
        for (const [name, dataset] of [
          ['config'],
          ['classify'],
          ['contamination-index'],
          ['ngram'],
          ['duplicates'],
          ['traffic'],
          ['sample', 'representative'],
          ['staleness', 'representative'],
          ['recurate', 'representative'],
          ['card', 'representative'],
        ]) {
          const r = stage(name, dataset);
          expect(r.status, `${name}: ${r.stderr}`).toBe(0);
        }
        expect(left.filter((tmp) => existsSync(join(repo, tmp)))).toEqual([]);
        expect(outputHashes(repo)).toEqual(baselineOutputs);
        expect(git(repo, 'status', '--porcelain')).toBe('');
      } finally {
        restore(repo, baseline);
      }
    });
  });

  it('is back at the baseline after the cases: DVC up to date, git clean', () => {
    expect(run(repo, venvDvc, ['status', '-q']).status).toBe(0);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });
});
