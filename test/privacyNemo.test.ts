import { afterEach, describe, expect, it } from 'vitest';
import { EvalsetError, InvalidInputError } from '../lib/errors.ts';
import { encodeParquet, toArrowTable } from '../lib/io/parquet.ts';
import {
  NEMO_JOBS_PATH,
  NemoJobFailedError,
  NemoJobTimeoutError,
  NemoMalformedResponseError,
  NemoRequestError,
  NemoSafeSynthesizerClient,
  inlineDataSource,
  nemoJobRequest,
  nemoRecordsJsonl,
  type NemoJobInput,
  type NemoJobStatusReport,
} from '../lib/privacy/nemo.ts';
import { shuffledRecord, startNemoServer, type NemoServer, type NemoServerOptions } from './support/nemoServer.ts';

const KEY = 'nvapi-test-5ecret-key';

const records = [
  { id: 'ex-1', prompt: 'What is the capital of France', answer: 'Paris is the capital' },
  { id: 'ex-2', prompt: 'Name a prime number above ten', answer: 'Eleven is one' },
  { id: 'ex-3', prompt: 'Translate hello into Spanish please', answer: 'Hola' },
  { id: 'ex-4', prompt: 'How many legs does a spider have', answer: 'A spider has eight legs' },
];
// δ = 1/n² for n source records (the project's default, replace-one neighbours): n = 4 gives 1/16.
const input: NemoJobInput = { records, columns: ['prompt', 'answer'], dp: { epsilon: 4, delta: 1 / 16 } };

let servers: NemoServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function server(options: NemoServerOptions = {}): Promise<NemoServer> {
  const s = await startNemoServer({ apiKey: KEY, ...options });
  servers.push(s);
  return s;
}
const noWait = async () => {};
const client = (s: NemoServer, extra: Partial<ConstructorParameters<typeof NemoSafeSynthesizerClient>[0]> = {}) =>
  new NemoSafeSynthesizerClient({ baseUrl: s.url, apiKey: KEY, pollIntervalMs: 10, sleep: noWait, ...extra });

/** The error a promise rejects with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('NeMo Safe Synthesizer client against the local stand-in', () => {
  it('creates a job with DP on at (ε, δ), polls it to completion and returns as many records as it sent', async () => {
    const s = await server({ pollsToComplete: 3 });
    const seen: NemoJobStatusReport[] = [];
    const result = await client(s).synthesize(input, { onStatus: (r) => seen.push(r) });

    expect(result.records).toHaveLength(records.length);
    expect(result.dp).toEqual({ epsilon: 4, delta: 1 / 16 });
    expect(seen.map((r) => r.status)).toEqual(['active', 'active', 'completed']);

    const create = s.requests.find((r) => r.method === 'POST' && r.path === NEMO_JOBS_PATH)!;
    const body = create.body as { name: string; project: string; spec: { data_source: string; config: Record<string, any> } };
    expect(body.spec.config.privacy).toEqual({ dp_enabled: true, epsilon: 4, delta: 1 / 16 });
    expect(body.spec.config.enable_synthesis).toBe(true);
    expect(body.spec.config.generation).toEqual({ num_records: 4 });
    expect(body.project).toBe('default');
    // The records travel as the documented data_source field (inline, guess 1), holding only the chosen columns.
    expect(body.spec.data_source).toBe(inlineDataSource(nemoRecordsJsonl(input)));
    expect(s.jobs.get(result.jobId)!.input).toEqual(records.map(({ prompt, answer }) => ({ prompt, answer })));
    expect(s.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(s.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST ${NEMO_JOBS_PATH}`,
      ...Array(3).fill(`GET ${NEMO_JOBS_PATH}/${result.jobId}/status`),
      `GET ${NEMO_JOBS_PATH}/${result.jobId}/results/synthetic_data/download`,
    ]);

    // The stand-in's records: each input record's words reordered, field by field.
    const sorted = (t: unknown) => String(t).split(' ').sort();
    result.records.forEach((r, i) => {
      expect(Object.keys(r).sort()).toEqual(['answer', 'prompt']);
      expect(sorted(r.prompt)).toEqual(sorted(records[i].prompt));
      expect(r).toEqual(shuffledRecord({ prompt: records[i].prompt, answer: records[i].answer }, 0, i));
    });
    expect(result.records.some((r, i) => r.prompt !== records[i].prompt)).toBe(true);
  });

  it('sends the same request bytes and gets the same records for the same input and seed', async () => {
    const a = await server();
    const b = await server();
    const first = await client(a).synthesize(input);
    const second = await client(b).synthesize(input);
    expect(second.records).toEqual(first.records);
    expect(JSON.stringify(b.requests[0].body)).toBe(JSON.stringify(a.requests[0].body));
    expect(nemoJobRequest(input, 'x')).toEqual(nemoJobRequest({ ...input, records: records.map((r) => ({ ...r })) }, 'x'));
    expect((a.requests[0].body as { name: string }).name).toMatch(/^evalset-[0-9a-f]{16}$/);
  });

  it('passes further parameters through, and a caller-set number of records wins', async () => {
    const s = await server();
    const result = await client(s).synthesize({
      ...input,
      config: { generation: { num_records: 6, temperature: 0.8 }, privacy: { per_sample_max_grad_norm: 1 } },
    });
    expect(result.records).toHaveLength(6);
    const config = (s.requests[0].body as { spec: { config: Record<string, unknown> } }).spec.config;
    expect(config.generation).toEqual({ num_records: 6, temperature: 0.8 });
    expect(config.privacy).toEqual({ per_sample_max_grad_norm: 1, dp_enabled: true, epsilon: 4, delta: 1 / 16 });
  });

  it('uploads through uploadData when given, and sends the URL it returns', async () => {
    const uploads: { name: string; jsonl: string }[] = [];
    const s = await server();
    await expect(
      client(s, {
        uploadData: async (u) => {
          uploads.push(u);
          return 'hf://datasets/default/safe-synthesizer/evalset.jsonl';
        },
      }).createJob(input),
    ).rejects.toThrow(/answered HTTP 422: this test server reads only inline data/);
    expect(uploads).toEqual([{ name: (s.requests[0].body as { name: string }).name, jsonl: nemoRecordsJsonl(input) }]);
    expect((s.requests[0].body as { spec: { data_source: string } }).spec.data_source).toBe('hf://datasets/default/safe-synthesizer/evalset.jsonl');
  });

  it('a job that ends in error throws NemoJobFailedError with the service message', async () => {
    const s = await server({ pollsToComplete: 2, failWith: 'CUDA out of memory while training the adapter' });
    const err = await rejection(client(s).synthesize(input));
    expect(err).toBeInstanceOf(NemoJobFailedError);
    expect(err).toBeInstanceOf(EvalsetError);
    expect((err as NemoJobFailedError).exitCode).toBe(1);
    expect((err as NemoJobFailedError).status).toBe('error');
    expect((err as NemoJobFailedError).serviceMessage).toBe('CUDA out of memory while training the adapter');
    expect(err.message).toBe('NeMo Safe Synthesizer job job-1 ended with status error: CUDA out of memory while training the adapter');
    expect(s.requests.some((r) => r.path.endsWith('/download'))).toBe(false);
  });

  it('cancels a job on request', async () => {
    const s = await server({ pollsToComplete: Infinity });
    const c = client(s);
    const id = await c.createJob(input);
    expect((await c.status(id)).status).toBe('active');
    await c.cancel(id);
    expect(s.jobs.get(id)!.status).toBe('cancelled');
    expect(await c.status(id)).toEqual({ status: 'cancelled', serviceStatus: 'cancelled' });
    expect(s.requests.at(-2)).toMatchObject({ method: 'POST', path: `${NEMO_JOBS_PATH}/${id}/cancel` });
    // A second cancel is refused by the service (409) and reported with method, path and status.
    await expect(c.cancel(id)).rejects.toThrow(
      `NeMo Safe Synthesizer: POST ${NEMO_JOBS_PATH}/${id}/cancel answered HTTP 409: cannot cancel a job in status cancelled`,
    );
  });

  it('a job cancelled by someone else ends synthesize with NemoJobFailedError', async () => {
    const s = await server({ pollsToComplete: Infinity });
    const c = client(s, {
      sleep: async () => {
        for (const job of s.jobs.values()) job.status = 'cancelled';
      },
    });
    const err = await rejection(c.synthesize(input));
    expect(err).toBeInstanceOf(NemoJobFailedError);
    expect((err as NemoJobFailedError).status).toBe('cancelled');
  });

  it('cancels the job and throws NemoJobTimeoutError when it outlasts the timeout (fake clock)', async () => {
    const s = await server({ pollsToComplete: Infinity });
    let clock = 0;
    const slept: number[] = [];
    const c = client(s, {
      pollIntervalMs: 300,
      timeoutMs: 1000,
      now: () => clock,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
    });
    const err = await rejection(c.synthesize(input));
    expect(err).toBeInstanceOf(NemoJobTimeoutError);
    expect(err.message).toBe('NeMo Safe Synthesizer job job-1 was still active after 1,000 ms; it has been cancelled');
    // Polls at t = 0, 300, 600, 900 and the last at the deadline, 1000.
    expect(slept).toEqual([300, 300, 300, 100]);
    expect(s.requests.filter((r) => r.path.endsWith('/status'))).toHaveLength(5);
    expect(s.requests.at(-1)).toMatchObject({ method: 'POST', path: `${NEMO_JOBS_PATH}/job-1/cancel` });
    expect(s.jobs.get('job-1')!.status).toBe('cancelled');
  });

  it('says so when cancelling a timed-out job fails as well', async () => {
    const s = await server({ pollsToComplete: Infinity, malformed: ['cancel'] });
    let clock = 0;
    const c = client(s, { timeoutMs: 50, now: () => clock, sleep: async (ms) => void (clock += ms) });
    const err = await rejection(c.synthesize(input));
    expect(err).toBeInstanceOf(NemoJobTimeoutError);
    expect(err.message).toMatch(/cancelling it failed too \(NeMo Safe Synthesizer: the answer to POST .*\/cancel is not JSON/);
  });
});

describe('authentication and the key', () => {
  it('without the key the service answers 401, reported with method, path and status', async () => {
    const s = await server();
    const err = await rejection(new NemoSafeSynthesizerClient({ baseUrl: s.url }).createJob(input));
    expect(err).toBeInstanceOf(NemoRequestError);
    expect(err.message).toBe(`NeMo Safe Synthesizer: POST ${NEMO_JOBS_PATH} answered HTTP 401: Not authenticated`);
    expect((err as NemoRequestError).status).toBe(401);
    expect((err as NemoRequestError).hint).toMatch(/API key/);
    expect(s.requests[0].authorization).toBeUndefined();
  });

  it('the key appears in no thrown error, even when the service echoes it back', async () => {
    const errors: Error[] = [];
    const wrongKey = 'nvapi-wrong-key-0123456789';
    const s = await server();
    errors.push(await rejection(new NemoSafeSynthesizerClient({ baseUrl: s.url, apiKey: wrongKey }).createJob(input)));
    // Failing job, malformed answers and an unreachable service, each with the key set.
    errors.push(await rejection(client(await server({ pollsToComplete: 1, failWith: `token ${KEY} expired` })).synthesize(input)));
    for (const where of ['create', 'status', 'download'] as const)
      errors.push(await rejection(client(await server({ malformed: [where] })).synthesize(input)));
    errors.push(await rejection(new NemoSafeSynthesizerClient({ baseUrl: 'http://127.0.0.1:9', apiKey: KEY }).createJob(input)));
    // A service that echoes the Authorization header into its error body and its status.
    const echo: typeof fetch = async (_url, init) => {
      const auth = (init?.headers as Record<string, string>).Authorization;
      return new Response(JSON.stringify({ detail: `rejected header ${auth}` }), { status: 500 });
    };
    errors.push(await rejection(new NemoSafeSynthesizerClient({ baseUrl: 'http://nemo.invalid', apiKey: KEY, fetch: echo }).createJob(input)));
    const echoStatus: typeof fetch = async () => new Response(JSON.stringify({ status: KEY }), { headers: { 'content-type': 'application/json' } });
    errors.push(await rejection(new NemoSafeSynthesizerClient({ baseUrl: 'http://nemo.invalid', apiKey: KEY, fetch: echoStatus }).status('job-1')));

    expect(errors).toHaveLength(8);
    expect(errors[0].message).toBe(`NeMo Safe Synthesizer: POST ${NEMO_JOBS_PATH} answered HTTP 401: Not authenticated`);
    expect(errors[1].message).toBe('NeMo Safe Synthesizer job job-1 ended with status error: token [redacted] expired');
    expect(errors[6].message).toBe(`NeMo Safe Synthesizer: POST ${NEMO_JOBS_PATH} answered HTTP 500: rejected header Bearer [redacted]`);
    for (const err of errors) {
      expect(err).toBeInstanceOf(EvalsetError);
      for (const text of [err.message, (err as EvalsetError).hint, String(err.stack)]) {
        expect(text).not.toContain(KEY);
        expect(text).not.toContain(wrongKey);
      }
    }
  });
});

describe('malformed answers', () => {
  it.each([
    ['create', `the answer to POST ${NEMO_JOBS_PATH} is not JSON: {"id": "job-1", "status": "act`],
    ['status', `the answer to GET ${NEMO_JOBS_PATH}/job-1/status is not JSON: {"id": "job-1", "status": "act`],
    ['download', `the answer to GET ${NEMO_JOBS_PATH}/job-1/results/synthetic_data/download is not JSON: {"id": "job-1", "status": "act`],
  ] as const)('a malformed %s answer is rejected with a clear error', async (where, message) => {
    const s = await server({ malformed: [where], pollsToComplete: 1 });
    const err = await rejection(client(s).synthesize(input));
    expect(err).toBeInstanceOf(NemoMalformedResponseError);
    expect(err.message).toBe(`NeMo Safe Synthesizer: ${message}`);
  });

  const stub =
    (body: BodyInit, type = 'application/json'): typeof fetch =>
    async () =>
      new Response(body, { headers: { 'content-type': type } });
  const stubbed = (f: typeof fetch) => new NemoSafeSynthesizerClient({ baseUrl: 'http://nemo.invalid', fetch: f });

  it('rejects a job without an id, an unknown status and records that are not objects', async () => {
    await expect(stubbed(stub('{"name": "x"}')).createJob(input)).rejects.toThrow(
      `the answer to POST ${NEMO_JOBS_PATH} is not a job: it has no "id" string`,
    );
    await expect(stubbed(stub('{"status": "running"}')).status('job-1')).rejects.toThrow(
      'holds the status "running", which is none of created, pending, active, completed, error, cancelled, cancelling, paused, pausing, resuming',
    );
    await expect(stubbed(stub('{"job_id": "job-1"}')).status('job-1')).rejects.toThrow('holds no "status" string');
    await expect(stubbed(stub('[{"a": 1}, 2]')).results('job-1')).rejects.toThrow('holds a record that is not an object (record 2)');
    await expect(stubbed(stub('{"a": 1}')).results('job-1')).rejects.toThrow('is not a list of records');
    await expect(stubbed(stub('')).status('job-1')).rejects.toThrow('is not JSON: an empty body');
    await expect(stubbed(stub('{"a": 1}\n{"a": \n', 'application/x-ndjson')).results('job-1')).rejects.toThrow(
      'is not JSON Lines: line 2 is not JSON ({"a":)',
    );
    await expect(stubbed(stub('a,b\n"x\n', 'text/csv')).results('job-1')).rejects.toThrow(/is not well-formed CSV/);
  });
});

describe('reading the documented shapes', () => {
  const stubbed = (body: BodyInit, type = 'application/json') =>
    new NemoSafeSynthesizerClient({ baseUrl: 'http://nemo.invalid/', fetch: async () => new Response(body, { headers: { 'content-type': type } }) });

  it('reads a bare status string (the status page example) and maps the ten documented states', async () => {
    expect(await stubbed('"completed"').status('job-1')).toEqual({ status: 'completed', serviceStatus: 'completed' });
    const mapped: Record<string, string> = {};
    for (const s of ['created', 'pending', 'active', 'completed', 'error', 'cancelled', 'cancelling', 'paused', 'pausing', 'resuming'])
      mapped[s] = (
        await stubbed(JSON.stringify({ job_id: 'job-1', status: s, status_details: {}, error_details: {}, steps: [] })).status('job-1')
      ).status;
    expect(mapped).toEqual({
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
    });
    expect(await stubbed(JSON.stringify({ status: 'error', error_details: { detail: 'bad column' } })).status('job-1')).toEqual({
      status: 'error',
      serviceStatus: 'error',
      error: 'bad column',
    });
  });

  it('reads synthetic data as JSON, CSV or Parquet', async () => {
    expect(await stubbed('[{"prompt": "a b"}]').results('job-1')).toEqual([{ prompt: 'a b' }]);
    expect(await stubbed('prompt,answer\n"a, b",c\n', 'text/csv').results('job-1')).toEqual([{ prompt: 'a, b', answer: 'c' }]);
    const parquet = encodeParquet(toArrowTable({ prompt: 'string', n: 'int32' }, [{ prompt: 'x y', n: 3 }]));
    expect(await stubbed(Buffer.from(parquet), 'application/octet-stream').results('job-1')).toEqual([{ prompt: 'x y', n: 3 }]);
  });
});

describe('bad input', () => {
  it('lists every problem of a job input at once, before any request', async () => {
    let requests = 0;
    const c = new NemoSafeSynthesizerClient({ baseUrl: 'http://nemo.invalid', fetch: async () => (requests++, new Response('{}')) });
    const err = await rejection(
      c.createJob({
        records: [{ a: 1 }, 'x' as never],
        columns: ['b'],
        dp: { epsilon: 0, delta: 1 },
        config: { privacy: { epsilon: 3 } },
        source: 'datasets/pool.jsonl',
      }),
    );
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).issues).toEqual([
      { file: 'datasets/pool.jsonl', line: 2, message: 'is not a JSON object' },
      { file: 'datasets/pool.jsonl', field: 'columns', message: '"b" is in no record' },
      { file: 'datasets/pool.jsonl', field: 'dp.epsilon', message: 'must be a finite number > 0' },
      { file: 'datasets/pool.jsonl', field: 'dp.delta', message: 'must be a number in (0, 1)' },
      { file: 'datasets/pool.jsonl', field: 'config.privacy.epsilon', message: 'is set from `dp`, not from the config' },
    ]);
    expect(requests).toBe(0);
  });

  it('refuses a base URL that is not http(s) or holds credentials', () => {
    expect(() => new NemoSafeSynthesizerClient({ baseUrl: 'ftp://x' })).toThrow(InvalidInputError);
    expect(() => new NemoSafeSynthesizerClient({ baseUrl: 'http://user:pw@x' })).toThrow('must not hold credentials');
    expect(() => new NemoSafeSynthesizerClient({ baseUrl: 'not a url' })).toThrow('is not a URL');
  });
});
