/**
 * A client for the jobs REST API of NVIDIA NeMo Safe Synthesizer (NeMo Microservices, `v1beta1`):
 * create a job that trains with differential privacy (DP-SGD) on our records, poll its status, fetch
 * the synthetic records, cancel it.
 *
 * Documentation followed (NVIDIA's pages as held by the search index; titles, then addresses):
 * - "NeMo Safe Synthesizer REST API Reference" — the create request `{ name, project, spec: { data_source, config } }`,
 *   `config.generation.num_records`, `enable_synthesis`: docs.nvidia.com/nemo/microservices/latest/generate-private-synthetic-data/sdk/high-level-api.html
 * - "List and Retrieve NeMo Safe Synthesizer Jobs" — `GET /v1beta1/safe-synthesizer/jobs`, the job object (`id`, `status`, …):
 *   …/generate-private-synthetic-data/jobs/retrieve-and-list.html
 * - "Get Job Status" — `GET /v1beta1/safe-synthesizer/jobs/{job_id}/status`: …/generate-private-synthetic-data/jobs/monitor-status.html
 * - "Cancel Job" — `POST`, allowed while `created`, `pending` or `active`: …/generate-private-synthetic-data/jobs/cancel.html
 * - "Safe Synthesizer Jobs" — the ten job states: docs.nvidia.com/nemo/microservices/latest/safe-synthesizer/about/jobs.html
 * - "Get Job Status" (NeMo Platform API reference) — the status enum and `status_details`, `error_details`:
 *   docs.nvidia.com/nemo-platform/latest/documentation/reference/api-reference/jobs/get-job-status-apis-jobs-v-2-workspaces-workspace-jobs-name-status-get.md
 * - "nemo_microservices.types.jobs.platform_job_status_response" — `{ job_id, status, status_details, error_details, steps }`
 * - "nemo_microservices.types.beta.safe_synthesizer.differential_privacy_hyperparams" — `dp_enabled`, `epsilon` ("target for
 *   epsilon when training completes"), `delta` (a number or "auto" = 1/n^1.2), `per_sample_max_grad_norm`
 * - "Job Results", "List Results", "Download Result" and "nemo_microservices.resources.beta.safe_synthesizer.jobs.results.synthetic_data"
 *   ("Download Job Result Synthetic Data") — results exist once the job is `completed`; synthetic data comes as CSV, Parquet or JSON:
 *   …/generate-private-synthetic-data/jobs/results/index.html, …/list-results.html, …/download-result.html
 *
 * Where the stored documentation runs out, this client guesses, and says so here:
 * 1. Data: `spec.data_source` is documented only as a URL of data already uploaded (to the NeMo Data Store, `hf://datasets/…`,
 *    or a Files fileset); the jobs API has no documented field for inline records. By default this client sends the records
 *    inline as a `data:application/x-ndjson;base64,…` URL, which the local test server reads and a real deployment most likely
 *    rejects; give `uploadData` to upload them first and return the URL the service should read.
 * 2. Cancel path: the stored curl example breaks off after `/v1beta1/`; `…/jobs/{job_id}/cancel` is inferred from the SDK's
 *    `jobs.cancel(job_id)` and the `…/jobs/{job_id}/cancel` that NeMo Customizer documents.
 * 3. Results path: `…/jobs/{job_id}/results/synthetic_data/download` is inferred from the SDK resource
 *    `jobs.results.synthetic_data.download(job_id)`. Its body's format is read from the Content-Type (JSON, JSON Lines, CSV) or
 *    from Parquet's magic bytes; CSV cells arrive as text.
 * 4. Where the DP block sits: the SDK type names its fields, not its key in `config`; `config.privacy` is assumed (an older
 *    REST page showed `privacy: { privacy_hyperparams: { dp, epsilon } }` instead).
 * 5. The status body: the status page's example is a bare JSON string (`"completed"`), the SDK type an object; both are read.
 * 6. A failure's message: `error_details` is an untyped map; its `message`, `detail` or `error` is taken, else its JSON.
 * 7. Authentication: the pages show no auth header (deployments put a gateway in front); with an `apiKey` this client sends
 *    `Authorization: Bearer <key>`.
 * 8. Achieved ε: no documented field reports the ε a finished job spent, so no `nemoDpEpsilon` is exported and the
 *    requested (ε, δ) (returned by `synthesize` as `dp`) is what a ledger records.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { EvalsetError, InvalidInputError, type Issue } from '../errors.ts';
import { digest } from '../io/hash.ts';
import { toJsonl } from '../io/jsonl.ts';

/** The jobs collection, relative to the service's base URL. */
export const NEMO_JOBS_PATH = '/v1beta1/safe-synthesizer/jobs';

/** The job states this project distinguishes; `NEMO_STATUS_OF` maps the service's ten onto them. */
export type NemoJobStatus = 'created' | 'pending' | 'active' | 'completed' | 'error' | 'cancelled';

/**
 * The documented states ("Safe Synthesizer Jobs") onto ours. `cancelling` counts as cancelled: no results will come.
 * `paused` and `resuming` wait to run again, so they count as pending; `pausing` is on its way to paused, so it does too.
 */
export const NEMO_STATUS_OF: Readonly<Record<string, NemoJobStatus>> = {
  created: 'created',
  pending: 'pending',
  active: 'active',
  completed: 'completed',
  error: 'error',
  cancelled: 'cancelled',
  cancelling: 'cancelled',
  paused: 'pending',
  pausing: 'pending',
  resuming: 'pending',
};

export interface NemoJobStatusReport {
  status: NemoJobStatus;
  /** The status as the service spelled it (`cancelling`, `paused`, …). */
  serviceStatus: string;
  /** The service's message, when the job ended in `error` and said why. */
  error?: string;
}

export type SyntheticRecord = Record<string, unknown>;

export interface NemoJobInput {
  records: SyntheticRecord[];
  /** Send only these fields of each record (the columns to synthesize); all fields when absent. */
  columns?: string[];
  /** The (ε, δ) DP-SGD trains to: `config.privacy.{dp_enabled: true, epsilon, delta}`. */
  dp: { epsilon: number; delta: number };
  /** Further Safe Synthesizer parameters (`training`, `generation`, `evaluation`, …), passed through; not `privacy`'s ε, δ or switch. */
  config?: Record<string, unknown>;
  /** The job's name; by default `evalset-` and a digest of the request, so the same input names the same job. */
  name?: string;
  /** What the records are called in input errors (a file name, say). */
  source?: string;
}

export interface NemoSynthesis {
  jobId: string;
  records: SyntheticRecord[];
  /** The (ε, δ) the job was asked to train to: what the service guarantees, and what the ledger records (guess 8 above). */
  dp: { epsilon: number; delta: number };
}

export interface NemoClientOptions {
  /** Where the service listens, e.g. `http://localhost:8080`; the API's paths are added to it. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`; never logged, never put in an error message. */
  apiKey?: string;
  fetch?: typeof fetch;
  /** Between status polls; the documentation's default is 30 s. */
  pollIntervalMs?: number;
  /** How long `synthesize` waits for a job to finish before it cancels it. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** The clock the timeout is measured on (milliseconds). */
  now?: () => number;
  /** The job's `project` (documented default: "default"). */
  project?: string;
  /** Upload the records' JSON Lines somewhere the service reads and return that URL for `spec.data_source` (see guess 1). */
  uploadData?: (upload: { name: string; jsonl: string }) => Promise<string>;
}

export const NEMO_DEFAULT_POLL_INTERVAL_MS = 30_000;
export const NEMO_DEFAULT_TIMEOUT_MS = 2 * 60 * 60_000;
/** One HTTP request may take this long before it is abandoned. */
const REQUEST_TIMEOUT_MS = 60_000;

/** A request to the service failed: no answer, or an HTTP error status. */
export class NemoRequestError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint: string;
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number | null,
    detail: string,
  ) {
    super(`NeMo Safe Synthesizer: ${method} ${path} ${status === null ? 'got no answer' : `answered HTTP ${status}`}${detail ? `: ${detail}` : ''}`);
    this.hint =
      status === 401 || status === 403
        ? 'Check the API key given to the NeMo Safe Synthesizer client (it is sent as a Bearer token).'
        : status === 404
          ? 'Check the base URL: the jobs API lives under /v1beta1/safe-synthesizer/jobs on the NeMo Microservices gateway.'
          : 'Check that the NeMo Safe Synthesizer service is running and reachable at the base URL.';
  }
}

/** The service answered, but not with what its API documents. */
export class NemoMalformedResponseError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint = 'Check that the base URL points at NeMo Safe Synthesizer (a proxy or another service may be answering).';
  constructor(
    readonly method: string,
    readonly path: string,
    problem: string,
  ) {
    super(`NeMo Safe Synthesizer: the answer to ${method} ${path} ${problem}`);
  }
}

/** The job ended without results: the service reported `error`, or someone cancelled it. */
export class NemoJobFailedError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint = 'Read the job\'s logs (see "Get Job Logs" in the NeMo Safe Synthesizer documentation), fix the cause and run it again.';
  constructor(
    readonly jobId: string,
    readonly status: 'error' | 'cancelled',
    readonly serviceMessage: string,
  ) {
    super(`NeMo Safe Synthesizer job ${jobId} ended with status ${status}: ${serviceMessage}`);
  }
}

/** The job did not finish in time; it has been cancelled (or cancelling it failed, as the message says). */
export class NemoJobTimeoutError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint = 'Raise the timeout, or check that the service has a free GPU: jobs wait in `pending` until one is.';
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
    readonly lastStatus: string,
    cancelProblem?: string,
  ) {
    super(
      `NeMo Safe Synthesizer job ${jobId} was still ${lastStatus} after ${timeoutMs.toLocaleString('en-US')} ms; ` +
        (cancelProblem ? `cancelling it failed too (${cancelProblem})` : 'it has been cancelled'),
    );
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The records as sent: only `columns` when given, in the records' order. */
function projectedRecords(input: NemoJobInput): SyntheticRecord[] {
  const { records, columns } = input;
  if (!columns) return records;
  return records.map((r) => Object.fromEntries(columns.filter((c) => c in r).map((c) => [c, r[c]])));
}

/** Every problem with a job input, reported together. */
export function nemoJobInputIssues(input: NemoJobInput): Issue[] {
  const file = input.source ?? 'records';
  const issues: Issue[] = [];
  if (!Array.isArray(input.records) || input.records.length === 0)
    issues.push({ file, field: 'records', message: 'must be a non-empty list of records' });
  else
    input.records.forEach((r, i) => {
      if (!isPlainObject(r)) issues.push({ file, line: i + 1, message: 'is not a JSON object' });
    });
  if (input.columns !== undefined) {
    if (!Array.isArray(input.columns) || input.columns.length === 0 || input.columns.some((c) => typeof c !== 'string' || c === ''))
      issues.push({ file, field: 'columns', message: 'must be a non-empty list of field names' });
    else if (Array.isArray(input.records))
      for (const c of input.columns)
        if (!input.records.some((r) => isPlainObject(r) && c in r)) issues.push({ file, field: 'columns', message: `"${c}" is in no record` });
  }
  const { epsilon, delta } = input.dp ?? ({} as NemoJobInput['dp']);
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0)
    issues.push({ file, field: 'dp.epsilon', message: 'must be a finite number > 0' });
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) issues.push({ file, field: 'dp.delta', message: 'must be a number in (0, 1)' });
  if (input.config !== undefined && !isPlainObject(input.config)) issues.push({ file, field: 'config', message: 'must be an object' });
  const privacy = input.config?.privacy;
  if (privacy !== undefined && !isPlainObject(privacy)) issues.push({ file, field: 'config.privacy', message: 'must be an object' });
  else if (privacy)
    for (const key of ['dp_enabled', 'epsilon', 'delta'])
      if (key in privacy) issues.push({ file, field: `config.privacy.${key}`, message: 'is set from `dp`, not from the config' });
  if (input.name !== undefined && (typeof input.name !== 'string' || input.name === ''))
    issues.push({ file, field: 'name', message: 'must be a non-empty string' });
  return issues;
}

/** The records' JSON Lines (canonical JSON, so the same records give the same bytes). */
export function nemoRecordsJsonl(input: NemoJobInput): string {
  return toJsonl(projectedRecords(input));
}

/** The job's `spec.config`: the caller's parameters, synthesis on, DP on at (ε, δ), as many records out as in unless told otherwise. */
export function nemoJobConfig(input: NemoJobInput): Record<string, unknown> {
  const config = input.config ?? {};
  const generation = isPlainObject(config.generation) ? config.generation : {};
  const privacy = isPlainObject(config.privacy) ? config.privacy : {};
  return {
    ...config,
    enable_synthesis: true,
    generation: { num_records: input.records.length, ...generation },
    privacy: { ...privacy, dp_enabled: true, epsilon: input.dp.epsilon, delta: input.dp.delta },
  };
}

/** The default job name: a digest of the records and the config, so a rerun with the same input is recognisable. */
export function nemoJobName(input: NemoJobInput): string {
  return input.name ?? `evalset-${digest({ records: nemoRecordsJsonl(input), config: nemoJobConfig(input) }).slice(0, 16)}`;
}

/** Guess 1: the records inline, as a `data:` URL of base64 JSON Lines. */
export function inlineDataSource(jsonl: string): string {
  return `data:application/x-ndjson;base64,${Buffer.from(jsonl, 'utf8').toString('base64')}`;
}

/** The body of `POST /v1beta1/safe-synthesizer/jobs`. */
export function nemoJobRequest(input: NemoJobInput, dataSource: string, project = 'default'): Record<string, unknown> {
  return { name: nemoJobName(input), project, spec: { data_source: dataSource, config: nemoJobConfig(input) } };
}

/** The message a failed job's `error_details` (or `status_details`) carries (guess 6). */
function serviceErrorMessage(...maps: unknown[]): string | undefined {
  for (const map of maps) {
    if (typeof map === 'string' && map) return map;
    if (!isPlainObject(map)) continue;
    for (const key of ['message', 'detail', 'error']) if (typeof map[key] === 'string' && map[key]) return map[key] as string;
  }
  const first = maps.find((m) => isPlainObject(m) && Object.keys(m).length > 0);
  return first === undefined ? undefined : JSON.stringify(first);
}

/** What an error body says: FastAPI's `detail`, a `message`, or the start of the text. */
/**
 * What an error response says, without what we sent: validation errors (e.g. pydantic's 422) echo the
 * offending `input`, which holds the confidential records, so inputs and `data:` URLs are dropped.
 */
function errorBodyDetail(text: string): string {
  const scrub = (s: string) => s.replace(/data:[^\s"']*/g, 'data:[withheld]');
  try {
    const body: unknown = JSON.parse(text);
    if (isPlainObject(body)) {
      const said = body.detail ?? body.message ?? body.error;
      if (typeof said === 'string') return scrub(said);
      if (said !== undefined)
        return scrub(JSON.stringify(said, (key, value) => (key === 'input' || key === 'ctx' ? '[withheld]' : value)).slice(0, 300));
    }
  } catch {
    // not JSON: show the text
  }
  return scrub(snippet(text));
}

const snippet = (text: string) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class NemoSafeSynthesizerClient {
  private readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly project: string;
  private readonly uploadData: NemoClientOptions['uploadData'];

  constructor(options: NemoClientOptions) {
    const issues: Issue[] = [];
    const file = 'NeMo Safe Synthesizer client';
    let url: URL | undefined;
    try {
      url = new URL(options.baseUrl);
    } catch {
      issues.push({ file, field: 'baseUrl', message: 'is not a URL' });
    }
    if (url && url.protocol !== 'http:' && url.protocol !== 'https:') issues.push({ file, field: 'baseUrl', message: 'must be an http(s) URL' });
    if (url && (url.username || url.password)) issues.push({ file, field: 'baseUrl', message: 'must not hold credentials; give the key as apiKey' });
    for (const key of ['pollIntervalMs', 'timeoutMs'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) issues.push({ file, field: key, message: 'must be a finite number ≥ 0' });
    }
    if (issues.length) throw new InvalidInputError(issues);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey || undefined;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.pollIntervalMs = options.pollIntervalMs ?? NEMO_DEFAULT_POLL_INTERVAL_MS;
    this.timeoutMs = options.timeoutMs ?? NEMO_DEFAULT_TIMEOUT_MS;
    this.sleep = options.sleep ?? defaultSleep;
    this.now = options.now ?? (() => performance.now());
    this.project = options.project ?? 'default';
    this.uploadData = options.uploadData;
  }

  /** Create the job; its id. */
  async createJob(input: NemoJobInput): Promise<string> {
    const issues = nemoJobInputIssues(input);
    if (issues.length) throw new InvalidInputError(issues);
    const jsonl = nemoRecordsJsonl(input);
    const dataSource = this.uploadData ? await this.uploadData({ name: nemoJobName(input), jsonl }) : inlineDataSource(jsonl);
    const job = await this.json('POST', NEMO_JOBS_PATH, nemoJobRequest(input, dataSource, this.project));
    if (!isPlainObject(job) || typeof job.id !== 'string' || job.id === '')
      throw new NemoMalformedResponseError('POST', NEMO_JOBS_PATH, 'is not a job: it has no "id" string');
    return job.id;
  }

  /** The job's status, mapped onto ours, with the service's message when it failed. */
  async status(jobId: string): Promise<NemoJobStatusReport> {
    const path = `${this.jobPath(jobId)}/status`;
    const body = await this.json('GET', path);
    const serviceStatus = typeof body === 'string' ? body : isPlainObject(body) && typeof body.status === 'string' ? body.status : undefined;
    if (serviceStatus === undefined) throw new NemoMalformedResponseError('GET', path, 'holds no "status" string');
    const status = NEMO_STATUS_OF[serviceStatus];
    if (!status)
      throw new NemoMalformedResponseError(
        'GET',
        path,
        `holds the status "${this.redact(serviceStatus)}", which is none of ${Object.keys(NEMO_STATUS_OF).join(', ')}`,
      );
    const report: NemoJobStatusReport = { status, serviceStatus };
    if (status === 'error' && isPlainObject(body)) {
      const message = serviceErrorMessage(body.error_details, body.status_details);
      if (message) report.error = this.redact(message);
    }
    return report;
  }

  /** The synthetic records of a completed job. */
  async results(jobId: string): Promise<SyntheticRecord[]> {
    const path = `${this.jobPath(jobId)}/results/synthetic_data/download`;
    const response = await this.request(
      'GET',
      path,
      undefined,
      'application/x-ndjson, application/json;q=0.9, text/csv;q=0.8, application/vnd.apache.parquet;q=0.7',
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    const type = (response.headers.get('content-type') ?? '').toLowerCase();
    const malformed = (problem: string) => new NemoMalformedResponseError('GET', path, problem);
    let rows: unknown[];
    if (bytes.length >= 4 && Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'PAR1') {
      const { decodeParquet, tableRows } = await import('../io/parquet.ts');
      try {
        rows = tableRows(decodeParquet(bytes));
      } catch (err) {
        throw malformed(`is not a readable Parquet file (${this.redact((err as Error).message)})`);
      }
    } else {
      const text = Buffer.from(bytes).toString('utf8');
      if (type.includes('csv')) {
        try {
          rows = parseCsv(text, { columns: true, bom: true, skip_empty_lines: true }) as unknown[];
        } catch (err) {
          throw malformed(`is not well-formed CSV (${this.redact((err as Error).message)})`);
        }
      } else if (type.includes('ndjson') || type.includes('jsonl') || type.includes('json-seq') || type.includes('jsonlines')) {
        rows = [];
        for (const [i, line] of text.split('\n').entries()) {
          if (line.trim() === '') continue;
          try {
            rows.push(JSON.parse(line));
          } catch {
            throw malformed(`is not JSON Lines: line ${i + 1} is not JSON (${this.redact(snippet(line))})`);
          }
        }
      } else {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw malformed(`is not JSON: ${this.redact(snippet(text)) || 'an empty body'}`);
        }
        if (!Array.isArray(body)) throw malformed('is not a list of records');
        rows = body;
      }
    }
    const bad = rows.findIndex((r) => !isPlainObject(r));
    if (bad >= 0) throw malformed(`holds a record that is not an object (record ${bad + 1})`);
    return rows as SyntheticRecord[];
  }

  /** Ask the service to cancel the job. */
  async cancel(jobId: string): Promise<void> {
    const path = `${this.jobPath(jobId)}/cancel`;
    const body = await this.json('POST', path);
    if (!isPlainObject(body)) throw new NemoMalformedResponseError('POST', path, 'is not a job object');
  }

  /**
   * Create the job, poll its status every `pollIntervalMs` until it ends, and return its records. A job still running after
   * `timeoutMs` is cancelled and `NemoJobTimeoutError` thrown; a job that ends in `error` or `cancelled` throws `NemoJobFailedError`.
   */
  async synthesize(input: NemoJobInput, options: { onStatus?: (report: NemoJobStatusReport, jobId: string) => void } = {}): Promise<NemoSynthesis> {
    const jobId = await this.createJob(input);
    const started = this.now();
    for (;;) {
      const report = await this.status(jobId);
      options.onStatus?.(report, jobId);
      if (report.status === 'completed')
        return { jobId, records: await this.results(jobId), dp: { epsilon: input.dp.epsilon, delta: input.dp.delta } };
      if (report.status === 'error') throw new NemoJobFailedError(jobId, 'error', report.error ?? 'the service gave no message');
      if (report.status === 'cancelled')
        throw new NemoJobFailedError(jobId, 'cancelled', report.error ?? `the job was cancelled (service status ${report.serviceStatus})`);
      const elapsed = this.now() - started;
      if (elapsed >= this.timeoutMs) {
        let problem: string | undefined;
        try {
          await this.cancel(jobId);
        } catch (err) {
          problem = this.redact((err as Error).message);
        }
        throw new NemoJobTimeoutError(jobId, this.timeoutMs, report.serviceStatus, problem);
      }
      await this.sleep(Math.min(this.pollIntervalMs, this.timeoutMs - elapsed));
    }
  }

  private jobPath(jobId: string): string {
    if (typeof jobId !== 'string' || jobId === '')
      throw new InvalidInputError([{ file: 'arguments', field: 'jobId', message: 'must be a non-empty string' }]);
    return `${NEMO_JOBS_PATH}/${encodeURIComponent(jobId)}`;
  }

  /** The key, wherever it might have been echoed back, replaced: it never reaches an error message. */
  private redact(text: string): string {
    return this.apiKey ? text.split(this.apiKey).join('[redacted]') : text;
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { Accept: accept };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    let response: Response;
    try {
      response = await this.fetchImpl(this.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      throw new NemoRequestError(method, path, null, this.redact(e.cause?.code ?? e.cause?.message ?? e.message));
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new NemoRequestError(method, path, response.status, this.redact(errorBodyDetail(text)));
    }
    return response;
  }

  private async json(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const response = await this.request(method, path, body);
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new NemoMalformedResponseError(method, path, `is not JSON: ${this.redact(snippet(text)) || 'an empty body'}`);
    }
  }
}
