/**
 * The privacy budget and the ledger that spends it.
 *
 * `privacy/budget.yaml` states the total (ε, δ) the source records may lose over every noisy release
 * made from them. `privacy/ledger.jsonl` is committed and append-only: one line per release, holding
 * the release's RDP curve (aligned with RDP_ORDERS). Because RDP composes by addition, the privacy
 * spent so far is rdpToEpsilon(Σ curves, δ), and a new release is allowed only if that total,
 * including it, stays within the budget. Spending takes an exclusive lock on the ledger so that
 * concurrent runs cannot both see the same remaining budget and overspend it together.
 */
import { lstatSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { lock } from 'proper-lockfile';
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml';
import { errorField } from '../config/schema.ts';
import { readConfigFile } from '../config/readConfig.ts';
import { EvalsetError, InvalidInputError, type Issue } from '../errors.ts';
import { canonicalJson } from '../io/hash.ts';
import { readJsonl } from '../io/jsonl.ts';
import { RDP_ORDERS, composeRdp, releaseEpsilon, type MechanismSpec } from './rdp.ts';

/** `privacy/budget.yaml`: the total ε the source may lose, at δ (when absent, each release's own δ, by default 1/n²). */
export interface PrivacyBudget {
  version: 1;
  epsilon: number;
  delta?: number;
}

/** One line of `privacy/ledger.jsonl`: one release and what it cost. */
export interface LedgerEntry {
  run_id: string;
  /** ISO 8601 time the spend was recorded. */
  recorded_at: string;
  dataset: string;
  /** SHA-256 of the release's configuration and of its source records: the same pair is the same release. */
  config_sha256: string;
  source_sha256: string;
  /** Number of source records (n). */
  records: number;
  /** The δ of this release (by default 1/n²). */
  delta: number;
  mechanisms: MechanismSpec[];
  /** This release's RDP curve, aligned with RDP_ORDERS. */
  rdp: number[];
  /** ε of this release alone, at `delta`. */
  epsilon_run: number;
  /** ε of every entry up to and including this one, composed, at the δ the spend used (the budget's, else `delta`). */
  epsilon_total: number;
}

/** What `evalset privacy budget` shows. */
export interface BudgetStatus {
  epsilon_budget: number;
  /** The δ the total is stated at: the budget's, else that of the last release; null for an empty ledger without a budget δ. */
  delta: number | null;
  spent: number;
  remaining: number;
  runs: Pick<LedgerEntry, 'run_id' | 'recorded_at' | 'dataset' | 'epsilon_run' | 'epsilon_total'>[];
}

export interface SpendResult {
  /** A line was appended to the ledger. */
  recorded: boolean;
  /** The ledger already holds this release (same config and source hashes): nothing new was spent. */
  reused: boolean;
  epsilon_total: number;
  remaining: number;
}

const LEDGER_HINT =
  'privacy/ledger.jsonl is append-only and written by evalset: restore the damaged lines from git history instead of editing them (removing a line does not give the privacy back).';

/** ε rounded for messages: four significant digits. */
const shown = (x: number): string => String(Number(x.toPrecision(4)));

/** Spending this release would take the privacy loss past the budget. Nothing was recorded. */
export class PrivacyBudgetExceededError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint =
    'Raise the noise (a larger noise_multiplier or a smaller epsilon0), lower the compositions, or agree a new budget version in privacy/budget.yaml with whoever answers for the data.';
  constructor(
    /** ε of the ledger's releases and this one, composed. */
    readonly projectedEpsilon: number,
    readonly budgetEpsilon: number,
    /** What the ledger leaves of the budget before this release. */
    readonly remainingEpsilon: number,
    readonly delta: number,
  ) {
    super(
      `this release would bring the privacy loss to ε = ${shown(projectedEpsilon)} (δ = ${Number(delta.toPrecision(4)).toExponential()}), over the budget of ε = ${shown(budgetEpsilon)}; ` +
        `ε = ${shown(remainingEpsilon)} remains`,
    );
  }
}

// --- validation ------------------------------------------------------------------------------------

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, discriminator: true });
addFormats(ajv);

const probability = { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 };
const sha256Hex = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const nonEmpty = { type: 'string', minLength: 1 };
const compositions = { type: 'integer', minimum: 1 };

const validateBudget = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ['version', 'epsilon'],
  properties: { version: { const: 1 }, epsilon: { type: 'number', exclusiveMinimum: 0 }, delta: probability },
});

const mechanismSchema = {
  type: 'object',
  required: ['mechanism'],
  discriminator: { propertyName: 'mechanism' },
  oneOf: [
    {
      additionalProperties: false,
      required: ['field', 'mechanism', 'noise_multiplier'],
      properties: { field: nonEmpty, mechanism: { const: 'gaussian' }, noise_multiplier: { type: 'number', exclusiveMinimum: 0 }, compositions },
    },
    {
      additionalProperties: false,
      required: ['field', 'mechanism', 'epsilon0'],
      properties: { field: nonEmpty, mechanism: { const: 'laplace' }, epsilon0: { type: 'number', exclusiveMinimum: 0 }, compositions },
    },
    {
      additionalProperties: false,
      required: ['field', 'mechanism', 'epsilon', 'delta'],
      properties: {
        field: nonEmpty,
        mechanism: { const: 'approximate-dp' },
        epsilon: { type: 'number', exclusiveMinimum: 0 },
        delta: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
        compositions,
      },
    },
  ],
};

const ENTRY_FIELDS = [
  'run_id',
  'recorded_at',
  'dataset',
  'config_sha256',
  'source_sha256',
  'records',
  'delta',
  'mechanisms',
  'rdp',
  'epsilon_run',
  'epsilon_total',
] as const satisfies readonly (keyof LedgerEntry)[];

const validateEntry = ajv.compile({
  type: 'object',
  additionalProperties: false,
  required: ENTRY_FIELDS,
  properties: {
    run_id: nonEmpty,
    recorded_at: { type: 'string', format: 'date-time' },
    dataset: nonEmpty,
    config_sha256: sha256Hex,
    source_sha256: sha256Hex,
    records: { type: 'integer', minimum: 1 },
    delta: probability,
    mechanisms: { type: 'array', items: mechanismSchema },
    rdp: { type: 'array', minItems: RDP_ORDERS.length, maxItems: RDP_ORDERS.length, items: { type: 'number', minimum: 0 } },
    epsilon_run: { type: 'number', minimum: 0 },
    epsilon_total: { type: 'number', minimum: 0 },
  },
});

function errorMessage(error: ErrorObject): string {
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'const') return `must be ${JSON.stringify(error.params.allowedValue)}`;
  if (error.keyword === 'discriminator') return 'must be "gaussian", "laplace" or "approximate-dp"';
  if (error.keyword === 'minItems' || error.keyword === 'maxItems')
    return `must hold ${RDP_ORDERS.length} values, one per RDP order (found ${error.keyword === 'minItems' ? 'fewer' : 'more'})`;
  return error.message ?? 'is invalid';
}

/** Every problem the schema finds, as issues; `lineOf` maps a field path to its line. */
function issuesOf(validate: ValidateFunction, value: unknown, file: string, lineOf: (field: string[]) => number | undefined): Issue[] {
  if (validate(value)) return [];
  const issues: Issue[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const path = errorField(error);
    const field = error.keyword === 'discriminator' ? [path, String(error.params.tag)].filter(Boolean).join('.') : path;
    const message = errorMessage(error);
    const key = `${field}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ file, line: lineOf(field ? field.split('.') : []), field, message });
  }
  return issues;
}

// --- the budget ------------------------------------------------------------------------------------

/** Parse budget.yaml's text; every problem is an issue naming file, line and field. */
export function parseBudget(text: string, file: string): PrivacyBudget {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length)
    throw new InvalidInputError(doc.errors.map((e) => ({ file, line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] })));
  const lineOf = (field: string[]): number | undefined => {
    const root = doc.contents;
    if (field.length && isMap(root)) {
      const pair = root.items.find((p) => isScalar(p.key) && String(p.key.value) === field[0]);
      if (pair && isScalar(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
    }
    return root?.range ? lineCounter.linePos(root.range[0]).line : undefined;
  };
  const value: unknown = doc.toJS();
  const issues = issuesOf(validateBudget, value, file, lineOf);
  if (issues.length) throw new InvalidInputError(issues, { hint: `Set version: 1, epsilon > 0 and, optionally, 0 < delta < 1 in ${file}.` });
  return value as PrivacyBudget;
}

/** Read and validate `privacy/budget.yaml`. */
export function loadBudget(path: string, file = path): PrivacyBudget {
  return parseBudget(readConfigFile(path, file), file);
}

// --- the ledger ------------------------------------------------------------------------------------

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** The ledger's entries in order; a missing file is an empty ledger. Any bad line is an issue naming file and line. */
export function readLedger(path: string, file = path): LedgerEntry[] {
  if (!exists(path)) return [];
  const entries: LedgerEntry[] = [];
  const issues: Issue[] = [];
  for (const { line, value, issue } of readJsonl(path, file)) {
    if (issue) {
      issues.push(issue);
      continue;
    }
    const found = issuesOf(validateEntry, value, file, () => line);
    if (found.length) issues.push(...found);
    else entries.push(value as LedgerEntry);
  }
  if (issues.length) throw new InvalidInputError(issues, { hint: LEDGER_HINT });
  return entries;
}

/** ε of the entries composed at δ: their curves, and their (ε, δ)-only releases (lib/privacy/rdp.ts, releaseEpsilon). */
function totalEpsilon(entries: readonly Pick<LedgerEntry, 'rdp' | 'mechanisms'>[], delta: number): number {
  return entries.length
    ? releaseEpsilon(
        composeRdp(entries.map((e) => e.rdp)),
        entries.flatMap((e) => e.mechanisms),
        delta,
      ).epsilon
    : 0;
}

/**
 * How long to wait for the lock: up to about a minute, backing off from 10 ms to 250 ms with jitter,
 * which lets dozens of runs queue behind one another (each holds the lock for milliseconds). A lock
 * left by a killed run goes stale after proper-lockfile's default 10 s and is taken over.
 */
const LOCK_RETRIES = { retries: 250, factor: 1.3, minTimeout: 10, maxTimeout: 250, randomize: true };

/**
 * Record the spend of one release, if the budget allows it:
 * 1. take an exclusive lock on the ledger (proper-lockfile; the file is created first if missing);
 * 2. if the ledger already holds a release with the same config and source hashes, these are the
 *    same bytes released again, which costs nothing more: nothing is appended;
 * 3. project ε of every release so far plus this one, at δ = budget.delta ?? entry.delta; over the
 *    budget, throw PrivacyBudgetExceededError with nothing appended;
 * 4. else append one canonical JSON line, fsync it, and release the lock (always).
 */
export async function spendBudget(options: {
  ledgerPath: string;
  /** The ledger's name in messages (default: ledgerPath). */
  ledgerFile?: string;
  budget: PrivacyBudget;
  entry: Omit<LedgerEntry, 'epsilon_total' | 'recorded_at'>;
  now?: Date;
}): Promise<SpendResult> {
  const { budget, entry } = options;
  const file = options.ledgerFile ?? options.ledgerPath;
  const recorded_at = (options.now ?? new Date()).toISOString();
  const newIssues = issuesOf(
    validateEntry,
    { ...entry, recorded_at, epsilon_total: 0 },
    `${file} (new entry${typeof entry.run_id === 'string' ? ` ${entry.run_id}` : ''})`,
    () => undefined,
  );
  if (newIssues.length) throw new InvalidInputError(newIssues);
  // The total is stated at the δ of the release that makes it (the budget's, else 1/n² of its source),
  // and recorded with it, so a later change of the budget's δ leaves every recorded total checkable.
  const delta = entry.delta;

  const ledgerPath = resolve(options.ledgerPath);
  await mkdir(dirname(ledgerPath), { recursive: true });
  await (await open(ledgerPath, 'a')).close();
  const release = await lock(ledgerPath, { retries: LOCK_RETRIES, realpath: false });
  try {
    const entries = readLedger(ledgerPath, file);
    const spent = totalEpsilon(entries, delta);
    const remainingBefore = Math.max(0, budget.epsilon - spent);
    if (entries.some((e) => e.config_sha256 === entry.config_sha256 && e.source_sha256 === entry.source_sha256))
      return { recorded: false, reused: true, epsilon_total: spent, remaining: remainingBefore };

    const epsilon_total = totalEpsilon([...entries, entry], delta);
    if (!(epsilon_total <= budget.epsilon)) throw new PrivacyBudgetExceededError(epsilon_total, budget.epsilon, remainingBefore, delta);

    const line: LedgerEntry = { ...entry, recorded_at, epsilon_total };
    const handle = await open(ledgerPath, 'a+');
    try {
      // A ledger whose last line lost its line break (a hand edit) must not have the new line glued to it.
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (size > 0) await handle.read(last, 0, 1, size - 1);
      await handle.appendFile((size > 0 && last[0] !== 10 ? '\n' : '') + canonicalJson(line) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { recorded: true, reused: false, epsilon_total, remaining: Math.max(0, budget.epsilon - epsilon_total) };
  } finally {
    await release();
  }
}

/**
 * The budget, what the ledger has spent of it and each release, for `evalset privacy budget`. The
 * total is stated at the budget's δ, else at the δ of the last release (the δ its spend was checked at).
 */
export function budgetStatus(budget: PrivacyBudget, ledger: readonly LedgerEntry[]): BudgetStatus {
  const delta = budget.delta ?? ledger.at(-1)?.delta ?? null;
  const spent = delta === null ? 0 : totalEpsilon(ledger, delta);
  return {
    epsilon_budget: budget.epsilon,
    delta,
    spent,
    remaining: Math.max(0, budget.epsilon - spent),
    runs: ledger.map(({ run_id, recorded_at, dataset, epsilon_run, epsilon_total }) => ({
      run_id,
      recorded_at,
      dataset,
      epsilon_run,
      epsilon_total,
    })),
  };
}
