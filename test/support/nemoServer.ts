/**
 * A local stand-in for NeMo Safe Synthesizer's jobs API (the paths and shapes lib/privacy/nemo.ts documents, guesses
 * included), for tests and for a dry run of the client without a GPU deployment. Node's http module only, no packages.
 *
 * It trains nothing and guarantees no privacy: its "synthetic" records are the input records with every string field's
 * words put in a fixed pseudo-random order (ranked by SHA-256 of seed, record, field and position), other fields copied.
 * That is a plausible stand-in for the shape of the output, not a synthesizer.
 *
 * Endpoints (under /v1beta1/safe-synthesizer/jobs): POST / (create), GET / (list), GET /{id}, GET /{id}/status,
 * POST /{id}/cancel, GET /{id}/results, GET /{id}/results/{name}/download. A job reads its records from an inline
 * `data:…;base64,` JSON Lines data_source. Each status poll moves it on: `created` at creation, `active` for the first
 * `pollsToComplete - 1` polls, then `completed` (or `error` with `failWith`'s message).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

const JOBS = '/v1beta1/safe-synthesizer/jobs';

export type NemoEndpoint = 'create' | 'list' | 'retrieve' | 'status' | 'cancel' | 'results' | 'download';

export interface NemoServerOptions {
  /** The Bearer key every request must carry (401 otherwise); no check when absent. */
  apiKey?: string;
  /** The status poll at which a job completes (≥ 1); Infinity keeps it active for ever. Default 3. */
  pollsToComplete?: number;
  /** Make every job end in `error` with this message instead of completing. */
  failWith?: string;
  /** Answer these endpoints with a 200 whose body is not valid JSON. */
  malformed?: NemoEndpoint[];
  /** Seed of the word order in the synthetic records. Default 0. */
  seed?: number;
  /** Port on 127.0.0.1; a free one when absent. */
  port?: number;
}

export interface StoredNemoJob {
  id: string;
  name: string;
  project: string;
  spec: { data_source: string; config: Record<string, unknown> };
  status: string;
  polls: number;
  input: Record<string, unknown>[];
  error_details: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface RecordedNemoRequest {
  method: string;
  path: string;
  authorization?: string;
  /** The parsed JSON body, when there was one. */
  body?: unknown;
}

export interface NemoServer {
  url: string;
  close(): Promise<void>;
  jobs: Map<string, StoredNemoJob>;
  requests: RecordedNemoRequest[];
}

/** A record's string fields with their words reordered by a keyed hash; the same seed gives the same records. */
export function shuffledRecord(record: Record<string, unknown>, seed: number, index: number): Record<string, unknown> {
  const rank = (field: string, word: string, position: number) =>
    createHash('sha256').update(`${seed}\0${index}\0${field}\0${position}\0${word}`).digest('hex');
  return Object.fromEntries(
    Object.entries(record).map(([field, value]) => {
      if (typeof value !== 'string') return [field, value];
      const words = value.split(/\s+/).filter(Boolean);
      const order = words
        .map((word, position) => ({ word, key: rank(field, word, position) }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return [field, order.map((w) => w.word).join(' ')];
    }),
  );
}

function decodeInlineData(dataSource: string): Record<string, unknown>[] | string {
  const match = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(dataSource);
  if (!match) return 'this test server reads only inline data: URLs (base64 JSON Lines) as data_source';
  const text = match[2] ? Buffer.from(match[3], 'base64').toString('utf8') : decodeURIComponent(match[3]);
  const records: Record<string, unknown>[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return `data_source line ${i + 1} is not a JSON object`;
      records.push(value as Record<string, unknown>);
    } catch {
      return `data_source line ${i + 1} is not JSON`;
    }
  }
  return records.length ? records : 'data_source holds no records';
}

export async function startNemoServer(options: NemoServerOptions = {}): Promise<NemoServer> {
  const pollsToComplete = options.pollsToComplete ?? 3;
  if (!(pollsToComplete >= 1)) throw new Error('pollsToComplete must be at least 1');
  const seed = options.seed ?? 0;
  const malformed = new Set(options.malformed ?? []);
  const jobs = new Map<string, StoredNemoJob>();
  const requests: RecordedNemoRequest[] = [];
  let nextId = 1;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const sendMalformed = (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id": "job-1", "status": "act');
  };
  const jobView = (job: StoredNemoJob) => ({
    id: job.id,
    name: job.name,
    project: job.project,
    spec: job.spec,
    status: job.status,
    status_details: {},
    error_details: job.error_details,
    created_at: job.created_at,
    updated_at: job.updated_at,
  });
  const touch = (job: StoredNemoJob, status: string) => {
    job.status = status;
    job.updated_at = new Date().toISOString();
  };

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const text = await readBody(req);
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    requests.push({ method, path, authorization: req.headers.authorization, body });

    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`)
      return send(res, 401, { detail: 'Not authenticated' });
    if (!path.startsWith(JOBS)) return send(res, 404, { detail: 'Not Found' });
    const parts = path.slice(JOBS.length).split('/').filter(Boolean).map(decodeURIComponent);

    if (parts.length === 0 && method === 'POST') {
      if (malformed.has('create')) return sendMalformed(res);
      const request = body as { name?: unknown; project?: unknown; spec?: { data_source?: unknown; config?: unknown } } | undefined;
      const spec = request?.spec;
      if (typeof spec?.data_source !== 'string' || typeof spec.config !== 'object' || spec.config === null)
        return send(res, 422, { detail: 'spec.data_source (string) and spec.config (object) are required' });
      const input = decodeInlineData(spec.data_source);
      if (typeof input === 'string') return send(res, 422, { detail: input });
      const now = new Date().toISOString();
      const job: StoredNemoJob = {
        id: `job-${nextId++}`,
        name: typeof request?.name === 'string' ? request.name : 'unnamed',
        project: typeof request?.project === 'string' ? request.project : 'default',
        spec: { data_source: spec.data_source, config: spec.config as Record<string, unknown> },
        status: 'created',
        polls: 0,
        input,
        error_details: {},
        created_at: now,
        updated_at: now,
      };
      jobs.set(job.id, job);
      return send(res, 200, jobView(job));
    }
    if (parts.length === 0 && method === 'GET') return malformed.has('list') ? sendMalformed(res) : send(res, 200, [...jobs.values()].map(jobView));

    const job = jobs.get(parts[0]);
    if (!job) return send(res, 404, { detail: `job ${parts[0]} not found` });
    const [, action, name, download] = parts;

    if (action === undefined && method === 'GET') return malformed.has('retrieve') ? sendMalformed(res) : send(res, 200, jobView(job));
    if (action === 'status' && parts.length === 2 && method === 'GET') {
      if (malformed.has('status')) return sendMalformed(res);
      if (job.status === 'created' || job.status === 'active') {
        job.polls++;
        if (job.polls < pollsToComplete) touch(job, 'active');
        else if (options.failWith !== undefined) {
          job.error_details = { message: options.failWith };
          touch(job, 'error');
        } else touch(job, 'completed');
      }
      return send(res, 200, { job_id: job.id, status: job.status, status_details: {}, error_details: job.error_details, steps: [] });
    }
    if (action === 'cancel' && parts.length === 2 && method === 'POST') {
      if (malformed.has('cancel')) return sendMalformed(res);
      if (!['created', 'pending', 'active'].includes(job.status)) return send(res, 409, { detail: `cannot cancel a job in status ${job.status}` });
      touch(job, 'cancelled');
      return send(res, 200, jobView(job));
    }
    if (action === 'results' && method === 'GET') {
      if (malformed.has(parts.length === 2 ? 'results' : 'download')) return sendMalformed(res);
      const ready = job.status === 'completed';
      if (parts.length === 2)
        return send(
          res,
          200,
          ready ? [{ result_name: 'synthetic_data', job_id: job.id, created_at: job.updated_at, artifact_storage_type: 'inline' }] : [],
        );
      if (parts.length === 4 && name === 'synthetic_data' && download === 'download') {
        if (!ready) return send(res, 404, { detail: `job ${job.id} has no results: its status is ${job.status}` });
        const generation = job.spec.config.generation as { num_records?: unknown } | undefined;
        const count = typeof generation?.num_records === 'number' ? generation.num_records : job.input.length;
        const records = Array.from({ length: count }, (_, i) => shuffledRecord(job.input[i % job.input.length], seed, i));
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        return res.end(records.map((r) => JSON.stringify(r) + '\n').join(''));
      }
    }
    return send(res, 404, { detail: 'Not Found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => send(res, 500, { detail: err.message }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    jobs,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Run on its own for a dry run: `node --import tsx test/support/nemoServer.ts [port]`, key from NEMO_API_KEY (none if unset). */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startNemoServer({
    port: process.argv[2] ? Number(process.argv[2]) : undefined,
    apiKey: process.env.NEMO_API_KEY || undefined,
  });
  console.log(`NeMo Safe Synthesizer stand-in listening at ${server.url}${JOBS} (Ctrl-C stops it)`);
}
