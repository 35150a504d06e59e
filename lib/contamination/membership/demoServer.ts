import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256 } from '../../io/hash.ts';
import { KneserNeyModel } from './ngramModel.ts';

interface TokenLogprob {
  id: number;
  logprob: number;
}

/**
 * A local model server for membership inference: the demo (`base_url: demo` in params) and the tests use it, so it lives
 * in lib/. It scores text with a real language model, an interpolated Kneser–Ney 4-gram model trained on the given corpus
 * (ngramModel.ts), so text from the corpus genuinely gets higher log-probabilities than fresh text, and it answers in
 * the shapes the real servers document (endpoint.ts cites them):
 *
 * - `POST /v1/completions` as vLLM: `prompt` a string or a list, `echo` + `logprobs` (tokens, token_logprobs with the
 *   first null, top_logprobs, text_offset), `prompt_logprobs` (null first, then {token id: {logprob, rank,
 *   decoded_token}}), `max_tokens` greedy tokens after the prompt, `usage`;
 * - `GET /v1/models`;
 * - `POST /generate` as TGI: `details.prefill` [{id, text, logprob}] (first logprob null) with `decoder_input_details`,
 *   and `max_new_tokens` ≥ 1 greedy tokens (422 otherwise, as TGI's validation).
 *
 * Answers are deterministic (no clock, no randomness). Faults can be injected on the scoring routes, by the running
 * count of scoring requests n: 429 with Retry-After when n is a multiple of `rateLimitEvery`, 500 for
 * `serverErrorEvery`, a 200 with a body that is not JSON for `malformedEvery`, and a `slowMs` delay (every request,
 * or every `slowEvery`-th). `latencyMs` delays every answer. Node's http module only.
 */
export interface DemoModelServerOptions {
  corpus: readonly string[];
  /** The model id it serves. Default `evalset-demo-4gram`. */
  model?: string;
  /** 0 (the default) for a free port. */
  port?: number;
  host?: string;
  /** Added to every answer, in ms. */
  latencyMs?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (401 otherwise). */
  apiKey?: string;
  faults?: {
    rateLimitEvery?: number;
    /** Sent as Retry-After with each 429. Default 1. */
    retryAfterSeconds?: number;
    serverErrorEvery?: number;
    malformedEvery?: number;
    slowMs?: number;
    slowEvery?: number;
  };
}

export interface DemoModelServer {
  /** `http://host:port`: TGI's base URL; the OpenAI-compatible base URL is `${url}/v1`. */
  url: string;
  model: string;
  close(): Promise<void>;
  /** Requests to the scoring routes (faulted ones included), and prompts scored. */
  stats: { requests: number; prompts: number; faults: number };
}

export const DEMO_MODEL_ID = 'evalset-demo-4gram';

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

export async function startDemoModelServer(options: DemoModelServerOptions): Promise<DemoModelServer> {
  const model = options.model ?? DEMO_MODEL_ID;
  const lm = await KneserNeyModel.train(options.corpus);
  const faults = options.faults ?? {};
  const stats = { requests: 0, prompts: 0, faults: 0 };
  const wait = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    try {
      if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`)
        throw new HttpError(401, { error: { message: 'missing or wrong API key', type: 'invalid_request_error', code: 401 } });
      if (req.method === 'GET' && path === '/v1/models') {
        await wait(options.latencyMs ?? 0);
        return send(200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'evalset', max_model_len: 8192 }] });
      }
      const scoring = req.method === 'POST' && (path === '/v1/completions' || path === '/generate');
      if (!scoring) throw new HttpError(404, { error: { message: `no route ${req.method} ${path}`, type: 'NotFoundError', code: 404 } });
      const n = ++stats.requests;
      const raw = await readBody(req);
      await wait((options.latencyMs ?? 0) + (faults.slowMs && (!faults.slowEvery || n % faults.slowEvery === 0) ? faults.slowMs : 0));
      if (faults.rateLimitEvery && n % faults.rateLimitEvery === 0) {
        stats.faults++;
        return send(
          429,
          { error: { message: 'rate limited', type: 'rate_limit_exceeded', code: 429 } },
          { 'retry-after': String(faults.retryAfterSeconds ?? 1) },
        );
      }
      if (faults.serverErrorEvery && n % faults.serverErrorEvery === 0) {
        stats.faults++;
        return send(500, { error: { message: 'internal server error', type: 'InternalServerError', code: 500 } });
      }
      if (faults.malformedEvery && n % faults.malformedEvery === 0) {
        stats.faults++;
        return send(200, '{"choices": [{"index": 0, "text": "trunc');
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        throw new HttpError(400, { error: { message: 'the request body is not JSON', type: 'BadRequestError', code: 400 } });
      }
      if (typeof body !== 'object' || body === null) throw new HttpError(400, { error: { message: 'the request body is not an object', code: 400 } });
      return send(
        200,
        path === '/generate'
          ? tgiGenerate(lm, body as Record<string, unknown>, stats)
          : completions(lm, model, body as Record<string, unknown>, stats),
      );
    } catch (err) {
      if (err instanceof HttpError) return send(err.status, err.body);
      return send(500, { error: { message: String(err), code: 500 } });
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    model,
    stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

interface Scored {
  ids: number[];
  /** Per prompt token: ln P given the two before (null for the first). */
  logprobs: (number | null)[];
  /** The greedy continuation. */
  generated: TokenLogprob[];
}

/** Score a prompt and continue it greedily for `maxNew` tokens. */
function score(lm: KneserNeyModel, text: string, maxNew: number): Scored {
  const ids = lm.tokenize(text);
  const logprobs: (number | null)[] = ids.map((_, t) => (t === 0 ? null : lm.logprobAt(ids, t)));
  const generated: TokenLogprob[] = [];
  const seq = [...ids];
  for (let i = 0; i < maxNew; i++) {
    const [best] = lm.top(seq, seq.length, 1);
    generated.push(best);
    seq.push(best.id);
  }
  return { ids, logprobs, generated };
}

const whole = (v: unknown, name: string, min: number, max: number, fallback: number): number => {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new HttpError(400, { error: { message: `${name} must be a whole number in [${min}, ${max}]`, type: 'BadRequestError', code: 400 } });
  return v;
};

function completions(lm: KneserNeyModel, model: string, body: Record<string, unknown>, stats: { prompts: number }): unknown {
  if (body.model !== model)
    throw new HttpError(404, { error: { message: `The model \`${String(body.model)}\` does not exist.`, type: 'NotFoundError', code: 404 } });
  const prompts =
    typeof body.prompt === 'string'
      ? [body.prompt]
      : Array.isArray(body.prompt) && body.prompt.every((p) => typeof p === 'string')
        ? (body.prompt as string[])
        : null;
  if (!prompts || prompts.length === 0)
    throw new HttpError(400, { error: { message: '`prompt` must be a string or a list of strings', type: 'BadRequestError', code: 400 } });
  const echo = body.echo === true;
  const logprobs = body.logprobs === undefined || body.logprobs === null ? null : whole(body.logprobs, 'logprobs', 0, 20, 0);
  const promptLogprobs =
    body.prompt_logprobs === undefined || body.prompt_logprobs === null ? null : whole(body.prompt_logprobs, 'prompt_logprobs', 0, 20, 0);
  const maxTokens = whole(body.max_tokens, 'max_tokens', 0, 256, 16);
  stats.prompts += prompts.length;
  let promptTokens = 0;
  let completionTokens = 0;
  const choices = prompts.map((prompt, index) => {
    const s = score(lm, prompt, maxTokens);
    promptTokens += s.ids.length;
    completionTokens += s.generated.length;
    const generatedText = s.generated.map((g) => lm.tokenText(g.id)).join('');
    const choice: Record<string, unknown> = { index, text: echo ? prompt + generatedText : generatedText };
    if (logprobs !== null) {
      const shown: { id: number; logprob: number | null; seq: number[]; t: number }[] = [];
      const seq = [...s.ids, ...s.generated.map((g) => g.id)];
      if (echo) s.ids.forEach((id, t) => shown.push({ id, logprob: s.logprobs[t], seq, t }));
      s.generated.forEach((g, i) => shown.push({ id: g.id, logprob: g.logprob, seq, t: s.ids.length + i }));
      const tokens: string[] = [];
      const textOffset: number[] = [];
      let offset = echo ? 0 : prompt.length;
      for (const x of shown) {
        const text = lm.tokenText(x.id);
        tokens.push(text);
        textOffset.push(offset);
        offset += text.length;
      }
      choice.logprobs = {
        text_offset: textOffset,
        token_logprobs: shown.map((x) => x.logprob),
        tokens,
        top_logprobs: shown.map((x) => {
          if (x.logprob === null) return null;
          const top = new Map<string, number>([[lm.tokenText(x.id), x.logprob]]);
          for (const alt of lm.top(x.seq, x.t, logprobs)) if (!top.has(lm.tokenText(alt.id))) top.set(lm.tokenText(alt.id), alt.logprob);
          return Object.fromEntries(top);
        }),
      };
    } else choice.logprobs = null;
    choice.finish_reason = 'length';
    choice.stop_reason = null;
    choice.prompt_logprobs =
      promptLogprobs === null
        ? null
        : s.ids.map((id, t) => {
            if (t === 0) return null;
            const entry: Record<string, { logprob: number; rank: number; decoded_token: string }> = {
              [id]: { logprob: s.logprobs[t]!, rank: lm.rank(s.ids, t), decoded_token: lm.tokenText(id) },
            };
            for (const alt of lm.top(s.ids, t, promptLogprobs)) {
              if (!(alt.id in entry)) entry[alt.id] = { logprob: alt.logprob, rank: lm.rank(s.ids, t, alt.id), decoded_token: lm.tokenText(alt.id) };
            }
            return entry;
          });
    return choice;
  });
  const id = `cmpl-${sha256(JSON.stringify(body)).slice(0, 32)}`;
  return {
    id,
    object: 'text_completion',
    created: 0,
    model,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
}

function tgiGenerate(lm: KneserNeyModel, body: Record<string, unknown>, stats: { prompts: number }): unknown {
  if (typeof body.inputs !== 'string' || body.inputs === '')
    throw new HttpError(422, { error: 'Input validation error: `inputs` must be a non-empty string', error_type: 'validation' });
  const parameters = (typeof body.parameters === 'object' && body.parameters !== null ? body.parameters : {}) as Record<string, unknown>;
  if (parameters.max_new_tokens !== undefined && (typeof parameters.max_new_tokens !== 'number' || parameters.max_new_tokens < 1))
    throw new HttpError(422, { error: 'Input validation error: `max_new_tokens` must be strictly positive', error_type: 'validation' });
  const maxNew = whole(parameters.max_new_tokens, 'max_new_tokens', 1, 256, 20);
  stats.prompts++;
  const s = score(lm, body.inputs, maxNew);
  const generatedText = s.generated.map((g) => lm.tokenText(g.id)).join('');
  const answer: Record<string, unknown> = { generated_text: parameters.return_full_text === true ? body.inputs + generatedText : generatedText };
  if (parameters.details === true) {
    answer.details = {
      finish_reason: 'length',
      generated_tokens: s.generated.length,
      seed: null,
      prefill: parameters.decoder_input_details === true ? s.ids.map((id, t) => ({ id, text: lm.tokenText(id), logprob: s.logprobs[t] })) : [],
      tokens: s.generated.map((g) => ({ id: g.id, text: lm.tokenText(g.id), logprob: g.logprob, special: false })),
    };
  }
  return answer;
}
