import { EndpointResponseError } from '../../errors.ts';

/**
 * A model endpoint that returns the log-probabilities of a prompt's own tokens, for membership inference (issue 7, §3).
 *
 * - `openai`: an OpenAI-compatible `/completions` route (vLLM's). With `echo: true, logprobs: 1, max_tokens: 0` the
 *   answer's `choices[i].logprobs` holds the prompt's `tokens`, `token_logprobs` (the first one null: the first token
 *   has no context), `top_logprobs` (first null) and `text_offset`
 *   (https://docs.vllm.ai/en/v0.15.0/api/vllm/entrypoints/openai/completion/protocol/, `CompletionLogProbs`).
 *   With `promptLogprobs`, vLLM's own `prompt_logprobs: 1` is sent instead, and `choices[i].prompt_logprobs` is a list
 *   whose first entry is null and each other entry maps token ids to `{logprob, rank, decoded_token}`
 *   (https://docs.vllm.ai/en/v0.10.2/api/vllm/logprobs.html, `PromptLogprobs`, `Logprob`). vLLM refuses
 *   `max_tokens: 0` outside echo (SamplingParams requires ≥ 1, vllm-project/vllm#9336), so that variant asks for one.
 *   Hosted OpenAI models no longer accept echo with logprobs: this adapter is for vLLM and servers like it.
 * - `tgi`: Hugging Face text-generation-inference `/generate` with `details: true, decoder_input_details: true`;
 *   `details.prefill` lists the prompt tokens as `{id, text, logprob}`, the first without a log-probability
 *   (https://huggingface.co/docs/huggingface.js/inference/interfaces/TextGenerationOutputDetails and
 *   .../TextGenerationStreamPrefillToken: "Optional since the logprob of the first token cannot be computed"). TGI
 *   requires `max_new_tokens` ≥ 1, so one token is generated and ignored.
 */
export interface LogprobEndpoint {
  api: 'openai' | 'tgi';
  /** `http://host:8000/v1` for `openai`; the server root for `tgi`. */
  baseUrl: string;
  model: string;
  /** `openai` only: ask with vLLM's `prompt_logprobs` instead of `echo` + `logprobs`. */
  promptLogprobs?: boolean;
  /** Sent as `Authorization: Bearer …`. The caller reads it from an environment variable; it is never logged or cached. */
  apiKey?: string;
  /** Per request, in milliseconds. */
  timeoutMs: number;
  /**
   * What the cache keys on and reports name instead of the base URL, when the URL is not the endpoint's
   * identity: the demo model server listens on a new ephemeral port each run, and is `demo` throughout.
   */
  identity?: string;
}

/** The base URL without credentials or trailing slashes: what errors name and what the cache keys on. */
export function publicBaseUrl(baseUrl: string): string {
  let text = baseUrl;
  try {
    const url = new URL(baseUrl);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    text = url.toString();
  } catch {
    // Not a URL: fetch will say so; keep the text as given.
  }
  return text.replace(/\/+$/, '');
}

/**
 * The request parameters that shape the answer, as the cache records them: two endpoints asked the same way about the
 * same text give the same log-probabilities. The score (mean or Min-K%) is computed from the cached log-probabilities,
 * so the scoring method is not part of it.
 */
export function requestShape(endpoint: LogprobEndpoint): string {
  if (endpoint.api === 'tgi') return 'tgi/generate decoder_input_details';
  return endpoint.promptLogprobs ? 'openai/completions prompt_logprobs=1 max_tokens=1' : 'openai/completions echo logprobs=1 max_tokens=0';
}

/** How many prompts one request may carry: the completions route takes a list (`prompt: string[]`), TGI's /generate one input. */
export function maxPromptsPerRequest(endpoint: LogprobEndpoint): number {
  return endpoint.api === 'openai' ? Infinity : 1;
}

/** The per-token log-probabilities of `text`, first token dropped (it has none). */
export async function promptTokenLogprobs(endpoint: LogprobEndpoint, text: string, signal?: AbortSignal): Promise<number[]> {
  return (await promptTokenLogprobsBatch(endpoint, [text], signal))[0];
}

/**
 * The per-token log-probabilities of each text (first token dropped), in one request: a list prompt on the completions
 * route, so `texts` holds one text for `tgi`. HTTP errors and malformed bodies throw EndpointResponseError (with the
 * status and any Retry-After, for the retrying client to decide); network errors and timeouts throw what fetch throws.
 */
export async function promptTokenLogprobsBatch(endpoint: LogprobEndpoint, texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
  if (texts.length > maxPromptsPerRequest(endpoint))
    throw new RangeError(`the ${endpoint.api} API takes one prompt per request, not ${texts.length}`);
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  const url = endpoint.api === 'openai' ? `${base}/completions` : `${base}/generate`;
  const shownUrl = `${publicBaseUrl(endpoint.baseUrl)}/${endpoint.api === 'openai' ? 'completions' : 'generate'}`;
  const body =
    endpoint.api === 'tgi'
      ? { inputs: texts[0], parameters: { details: true, decoder_input_details: true, max_new_tokens: 1 } }
      : endpoint.promptLogprobs
        ? { model: endpoint.model, prompt: texts.length === 1 ? texts[0] : texts, prompt_logprobs: 1, max_tokens: 1, temperature: 0 }
        : { model: endpoint.model, prompt: texts.length === 1 ? texts[0] : texts, echo: true, logprobs: 1, max_tokens: 0, temperature: 0 };
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
  });
  const raw = await response.text();
  const redact = (s: string) => (endpoint.apiKey ? s.replaceAll(endpoint.apiKey, '[redacted]') : s);
  if (!response.ok) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    throw new EndpointResponseError(redact(`${shownUrl} answered HTTP ${response.status}: ${excerpt(raw)}`), {
      url: shownUrl,
      status: response.status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  const malformed = (why: string) =>
    new EndpointResponseError(redact(`${shownUrl} answered a malformed body (${why}): ${excerpt(raw)}`), { url: shownUrl });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw malformed('not JSON');
  }
  return endpoint.api === 'tgi' ? [tgiPrefill(json, malformed)] : openaiChoices(json, texts.length, !!endpoint.promptLogprobs, malformed);
}

/** Retry-After as milliseconds: delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const excerpt = (raw: string) => (raw.length > 200 ? `${raw.slice(0, 200)}…` : raw || '(empty body)');

type Malformed = (why: string) => EndpointResponseError;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLogprob = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v) && v <= 0;

/** The prompt log-probabilities of each choice, in prompt order (`index`), first token dropped. */
function openaiChoices(json: unknown, prompts: number, promptLogprobs: boolean, malformed: Malformed): number[][] {
  if (!isRecord(json) || !Array.isArray(json.choices)) throw malformed('no `choices` list');
  if (json.choices.length !== prompts) throw malformed(`${json.choices.length} choices for ${prompts} prompts`);
  const out = new Array<number[]>(prompts);
  json.choices.forEach((choice: unknown, position: number) => {
    if (!isRecord(choice)) throw malformed(`choices[${position}] is not an object`);
    const index = choice.index ?? position;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= prompts || out[index])
      throw malformed(`choices[${position}].index is ${JSON.stringify(index)}`);
    out[index] = promptLogprobs ? vllmPromptLogprobs(choice, position, malformed) : echoedLogprobs(choice, json, prompts, position, malformed);
  });
  return out;
}

/** `choices[i].logprobs.token_logprobs` after echo: null first, then one number per prompt token (and none generated: max_tokens 0). */
function echoedLogprobs(
  choice: Record<string, unknown>,
  json: Record<string, unknown>,
  prompts: number,
  position: number,
  malformed: Malformed,
): number[] {
  const logprobs = choice.logprobs;
  if (!isRecord(logprobs) || !Array.isArray(logprobs.token_logprobs)) throw malformed(`choices[${position}].logprobs.token_logprobs is missing`);
  let values = logprobs.token_logprobs as unknown[];
  // A server that generated tokens despite max_tokens 0 appends them: usage.prompt_tokens says where the prompt ends (one prompt only).
  const usage = json.usage;
  if (prompts === 1 && isRecord(usage) && typeof usage.prompt_tokens === 'number' && usage.prompt_tokens < values.length)
    values = values.slice(0, usage.prompt_tokens);
  if (values.length === 0) throw malformed(`choices[${position}] echoes no prompt tokens`);
  if (values[0] !== null) throw malformed(`choices[${position}].logprobs.token_logprobs[0] is not null: the prompt was not echoed`);
  const out = values.slice(1);
  out.forEach((v, i) => {
    if (!isLogprob(v)) throw malformed(`choices[${position}].logprobs.token_logprobs[${i + 1}] is ${JSON.stringify(v)}, not a log-probability`);
  });
  return out as number[];
}

/**
 * `choices[i].prompt_logprobs`: null, then per token a map from token id to `{logprob, rank, decoded_token}` holding the
 * prompt's token and the top-1 alternative when that is another token. Which key is the prompt's token? The id order is
 * lost (JSON.parse orders integer-like keys numerically), so: when the choice lists `prompt_token_ids` (vLLM's
 * `return_token_ids`), by id; otherwise the entry with the largest rank, since the alternative is rank 1 and the prompt
 * token, when it differs, ranks lower (when both rank 1 they tie, and their log-probabilities are equal).
 */
function vllmPromptLogprobs(choice: Record<string, unknown>, position: number, malformed: Malformed): number[] {
  const list = choice.prompt_logprobs;
  if (!Array.isArray(list) || list.length === 0) throw malformed(`choices[${position}].prompt_logprobs is missing`);
  if (list[0] !== null) throw malformed(`choices[${position}].prompt_logprobs[0] is not null`);
  const ids =
    Array.isArray(choice.prompt_token_ids) && choice.prompt_token_ids.length === list.length ? (choice.prompt_token_ids as unknown[]) : null;
  const out: number[] = [];
  for (let t = 1; t < list.length; t++) {
    const entry = list[t];
    if (!isRecord(entry)) throw malformed(`choices[${position}].prompt_logprobs[${t}] is not an object`);
    let chosen: Record<string, unknown> | undefined;
    if (ids) {
      const own = entry[String(ids[t])];
      if (isRecord(own)) chosen = own;
    }
    if (!chosen) {
      for (const value of Object.values(entry)) {
        if (!isRecord(value)) throw malformed(`choices[${position}].prompt_logprobs[${t}] holds a non-object`);
        const rank = typeof value.rank === 'number' ? value.rank : 1;
        if (!chosen || rank > (typeof chosen.rank === 'number' ? chosen.rank : 1)) chosen = value;
      }
    }
    if (!chosen || !isLogprob(chosen.logprob)) throw malformed(`choices[${position}].prompt_logprobs[${t}] has no log-probability`);
    out.push(chosen.logprob);
  }
  return out;
}

/** `details.prefill`: `{id, text, logprob}` per prompt token, the first logprob null (or absent). */
function tgiPrefill(json: unknown, malformed: Malformed): number[] {
  // TGI answers /generate with an object; some deployments wrap it in a one-element list.
  const answer = Array.isArray(json) && json.length === 1 ? json[0] : json;
  if (!isRecord(answer) || !isRecord(answer.details) || !Array.isArray(answer.details.prefill))
    throw malformed('no `details.prefill` list (was decoder_input_details honoured?)');
  const prefill = answer.details.prefill as unknown[];
  if (prefill.length === 0) throw malformed('`details.prefill` is empty');
  return prefill.slice(1).map((token, i) => {
    if (!isRecord(token) || !isLogprob(token.logprob)) throw malformed(`details.prefill[${i + 1}].logprob is not a log-probability`);
    return token.logprob;
  });
}
