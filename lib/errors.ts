/**
 * The documented errors. Each is its own class with an exit code and a remediation hint, so the CLI
 * can print what went wrong and what to do, and tests can tell one failure from another.
 */

/** One problem found in an input, reported as data (file, line, field), never as a bare string. */
export interface Issue {
  file: string;
  /** 1-based line number for line-oriented files; absent for whole-file problems. */
  line?: number;
  /** Dotted path of the offending field, e.g. `signals.failure_rate`. Empty for the whole record. */
  field?: string;
  message: string;
}

export function formatIssue(issue: Issue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** `1 problem`, `3,431 problems`: a count with its noun, grouped by thousands the same way on every machine. */
export function countOf(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : nouns}`;
}

/** How many issues each file has, and within it each field, in the order the files were first met. */
function issueTotals(issues: readonly Issue[]): Map<string, Map<string, number>> {
  const totals = new Map<string, Map<string, number>>();
  for (const { file, field } of issues) {
    let fields = totals.get(file);
    if (!fields) totals.set(file, (fields = new Map()));
    const key = field || 'whole line';
    fields.set(key, (fields.get(key) ?? 0) + 1);
  }
  return totals;
}

/**
 * The human text for a list of issues: a count, the first `shown` issues, and, when some are left
 * out, the true total per file and per field so that nothing drops out of sight, and how to see them
 * all. `--json` prints every issue on any command, so that is the default way to say it.
 */
export function describeIssues(issues: readonly Issue[], shown = 20, seeAll = 'add `--json` to list every one'): string {
  const lines = [`${countOf(issues.length, 'problem')} in the inputs:`, ...issues.slice(0, shown).map((issue) => `  ${formatIssue(issue)}`)];
  if (issues.length > shown) {
    lines.push(
      `  … and ${(issues.length - shown).toLocaleString('en-US')} more (${seeAll}); all ${issues.length.toLocaleString('en-US')} by file and field:`,
    );
    for (const [file, fields] of issueTotals(issues)) {
      const total = [...fields.values()].reduce((a, b) => a + b, 0);
      const byField = [...fields]
        .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0))
        .map(([field, n]) => `${field}: ${n.toLocaleString('en-US')}`)
        .join(', ');
      lines.push(`    ${file}: ${total.toLocaleString('en-US')} (${byField})`);
    }
  }
  return lines.join('\n');
}

export abstract class EvalsetError extends Error {
  /** 1 = a check failed, 2 = usage or input error (the CLI's exit code). */
  abstract readonly exitCode: 1 | 2;
  abstract readonly hint: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The hint for problems in the inputs that `evalset validate` checks (params.yaml, the taxonomy, the
 * pool): pointing there helps only for those, not for a tag, a manifest or validate's own output.
 */
export const VALIDATE_HINT =
  'Fix the listed records or settings and re-run; `evalset validate` checks params.yaml, the taxonomy and the whole pool at once.';

/** Bad input or configuration: every problem found, each with file, line and field. */
export class InvalidInputError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint: string;
  constructor(
    readonly issues: Issue[],
    options: { hint?: string } = {},
  ) {
    super(InvalidInputError.describe(issues));
    this.hint = options.hint ?? 'Fix the listed records or settings and re-run.';
  }
  static describe(issues: readonly Issue[], shown = 20): string {
    return describeIssues(issues, shown);
  }
}

export interface StratumDeficit {
  stratum: string;
  pool: number;
  floor: number;
}

/** The whole eligible pool is smaller than the sum of the floors. */
export class PoolTooSmallError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint = 'Add candidates to the deficient strata, or lower their floors (`floor` / `floors` in params.yaml).';
  constructor(
    readonly dataset: string,
    readonly pool: number,
    readonly floors: number,
    readonly deficits: StratumDeficit[],
  ) {
    super(
      `dataset ${dataset}: the pool holds ${countOf(pool, 'example')} but the floors add up to ${floors}. Deficient strata:\n` +
        deficits.map((d) => `  ${d.stratum}: ${d.pool} of ${d.floor} (short by ${d.floor - d.pool})`).join('\n'),
    );
  }
}

/** A stratum ends below its minimum and the dataset does not allow pool-limited strata. */
export class StratumBelowMinimumError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint = 'Add candidates to this stratum, lower its floor, or set `allow_pool_limited: true` for the dataset.';
  constructor(
    readonly dataset: string,
    readonly stratum: string,
    readonly count: number,
    readonly minimum: number,
  ) {
    super(`dataset ${dataset}: stratum ${stratum} has ${countOf(count, 'example')}, below its minimum of ${minimum}`);
  }
}

/** The budget cannot hold the floors of the strata that have candidates. */
export class BudgetBelowFloorsError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint = 'Raise the dataset `size` or lower the floors in params.yaml.';
  constructor(
    readonly dataset: string,
    readonly size: number,
    readonly floors: number,
  ) {
    super(`dataset ${dataset}: size ${size} is smaller than the sum of the floors, ${floors}`);
  }
}

/** The realised strata counts fail the chi-squared balance check and params say to fail on it. */
export class ImbalancedDatasetError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint = 'Inspect the per-stratum counts in meta.json; adjust floors or shares, or set `balance.fail_on_imbalance: false`.';
  constructor(
    readonly dataset: string,
    readonly pValue: number,
    readonly threshold: number,
  ) {
    super(`dataset ${dataset}: chi-squared balance check p = ${pValue.toPrecision(4)} < ${threshold}`);
  }
}

/** A capability has fewer examples than its minimum, and params say a gap fails the stage. */
export class CoverageGapError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint =
    'Add the examples each line asks for to the pool (or lower the minimum in taxonomy/capabilities.json), or set `coverage.fail_on_gap: false` to report gaps as warnings.';
  constructor(
    readonly dataset: string,
    readonly remediations: readonly string[],
  ) {
    super(
      `dataset ${dataset}: ${remediations.length} capabilit${remediations.length === 1 ? 'y is' : 'ies are'} below their minimum:\n${remediations.map((r) => `  ${r}`).join('\n')}`,
    );
  }
}

/** The declared dataset version is not the one the semver bump rules require. */
export class SemverViolationError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint: string;
  constructor(
    readonly violation: string,
    readonly diffSummary: string,
    expected: string | null,
  ) {
    super(`${violation}\nChanges:\n${diffSummary}`);
    this.hint = expected
      ? `Set the dataset's \`version\` in params.yaml to ${expected}, run \`dvc repro\`, and stage the result.`
      : 'Set a valid `version` in params.yaml.';
  }
}

/** A git command failed: not a repository, an unknown revision, or a refused operation. */
export class GitError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint = 'Run evalset inside a git repository (`git init`), and check the names of the tags and revisions given.';
  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`\`git ${command}\` failed: ${stderr.trim() || 'no message'}`);
  }
}

/** The taxonomy changed since the last recorded classify run, but that run's assignments are not here to compare with. */
export class MissingPreviousAssignmentsError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint =
    'Run `.venv/bin/dvc pull interim/strata.parquet` (or `dvc checkout` it from the cache), then `dvc repro` again: the registry needs the previous assignments to record which examples moved.';
  constructor(readonly path: string) {
    super(
      `taxonomy/strata.json changed since the classify run dvc.lock records, and ${path} from that run is missing: the moves between taxonomy versions cannot be recorded`,
    );
  }
}

/**
 * A model endpoint answered with something other than prompt log-probabilities: an HTTP error status, a body that is
 * not JSON, or JSON without the documented fields. `status` is the HTTP status (absent for a body that could not be
 * read as the documented shape), `retryAfterMs` the wait a 429 or 503 asked for. The message names the URL without
 * credentials and never holds the API key.
 */
export class EndpointResponseError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint: string;
  constructor(
    message: string,
    readonly details: { url: string; status?: number; retryAfterMs?: number } = { url: '' },
  ) {
    super(message);
    const { status } = details;
    this.hint =
      status === 401 || status === 403
        ? 'Check the API key: it is read from the environment variable that params name (`membership.api_key_env`).'
        : status === 404
          ? 'Check the endpoint base URL (an OpenAI-compatible one ends in `/v1`) and the model id (`GET /v1/models` lists them).'
          : status !== undefined && (status === 429 || status >= 500)
            ? 'The endpoint is overloaded or failing: lower `membership.concurrency`, raise `membership.retries`, or try later; answers already received are kept in the cache.'
            : 'Check that the endpoint speaks the API named in params (`openai`: vLLM-style /v1/completions with echo or prompt_logprobs; `tgi`: /generate with decoder_input_details) and returns prompt log-probabilities.';
  }
}

/** Membership inference needs log-probabilities that are neither cached nor obtainable: no endpoint is configured. */
export class LogprobsUnavailableError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint =
    'Pull the membership cache from the DVC remote (`dvc pull`) so that the recorded answers are used, or configure the endpoint (`membership.endpoint` in params.yaml) to score the missing texts.';
  constructor(readonly missing: number) {
    super(
      `${countOf(missing, 'text')} to screen for membership ${missing === 1 ? 'has' : 'have'} no cached log-probabilities and no endpoint is configured`,
    );
  }
}
