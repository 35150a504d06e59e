import pLimit from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import { EndpointResponseError, LogprobsUnavailableError } from '../../errors.ts';
import { LogprobCache, textHash, type CacheKey } from './cache.ts';
import { maxPromptsPerRequest, promptTokenLogprobsBatch, publicBaseUrl, requestShape, type LogprobEndpoint } from './endpoint.ts';

export interface ScoreProgress {
  /** Distinct texts answered so far (from the cache or the endpoint), of `total`. */
  done: number;
  total: number;
  requests: number;
  cacheHits: number;
}

export interface ScoreOptions {
  /** Null when no endpoint is configured: every text must then be cached (a release rebuilt without the endpoint). */
  endpoint: LogprobEndpoint | null;
  cache: LogprobCache;
  /** Requests in flight at once. Default 8. */
  concurrency?: number;
  /** Retries per request after the first attempt. Default 6. */
  retries?: number;
  /** Prompts per request on the completions route (a list prompt); TGI takes one. Default 1. */
  batchSize?: number;
  /** The first retry's backoff in ms, doubling per retry, each with full jitter in [d, 2d) (p-retry `randomize`). Default 500. */
  minRetryDelayMs?: number;
  /** The longest backoff in ms. Default 30,000. */
  maxRetryDelayMs?: number;
  onProgress?: (progress: ScoreProgress) => void;
  signal?: AbortSignal;
}

export interface ScoreResult {
  /** Per text, in the order given: its prompt-token log-probabilities, first token dropped. */
  logprobs: number[][];
  /** HTTP requests that succeeded, and attempts that failed and were retried. */
  requests: number;
  retries: number;
  /** Distinct texts found in the cache. */
  cacheHits: number;
}

/** The cache key of a text for this endpoint. */
export function cacheKeyOf(endpoint: Pick<LogprobEndpoint, 'api' | 'baseUrl' | 'model' | 'promptLogprobs' | 'identity'>, text: string): CacheKey {
  return {
    baseUrl: endpoint.identity ?? publicBaseUrl(endpoint.baseUrl),
    model: endpoint.model,
    request: requestShape(endpoint as LogprobEndpoint),
    sha256: textHash(text),
  };
}

/**
 * The prompt log-probabilities of every text: from the cache when it has them, otherwise from the endpoint, and each
 * answer is appended to the cache as it arrives (so a killed run keeps them, and a re-run asks only for the rest).
 * Identical texts are asked once. With no endpoint, a text missing from the cache is an error (LogprobsUnavailableError),
 * raised before any work.
 *
 * Requests carry `batchSize` prompts (completions route only) with at most `concurrency` in flight (p-limit). A request
 * that fails with 429, a 5xx, a network error or a timeout is retried with exponential backoff and jitter (p-retry);
 * the wait is at least the Retry-After the server sent (seconds or an HTTP date). Any other HTTP status and a malformed
 * body fail at once, as does the caller's abort.
 */
export async function scoreTexts(texts: readonly string[], options: ScoreOptions): Promise<ScoreResult> {
  const { endpoint, cache, onProgress, signal } = options;
  const concurrency = options.concurrency ?? 8;
  const retries = options.retries ?? 6;
  const minTimeout = options.minRetryDelayMs ?? 500;
  const maxTimeout = options.maxRetryDelayMs ?? 30_000;

  const distinct = [...new Set(texts)];
  const known = new Map<string, number[]>();
  const missing: string[] = [];
  let cacheHits = 0;
  if (endpoint) {
    for (const text of distinct) {
      const hit = cache.get(cacheKeyOf(endpoint, text));
      if (hit) {
        known.set(text, hit);
        cacheHits++;
      } else missing.push(text);
    }
  } else {
    // No endpoint, so no base URL or model to key on: a text counts as cached when the cache holds exactly one answer
    // for it (from whichever endpoint recorded it). Anything else is an error before any work.
    const byText = cache.answersByTextHash();
    const unanswered = distinct.filter((t) => byText.get(textHash(t))?.length !== 1);
    if (unanswered.length) throw new LogprobsUnavailableError(unanswered.length);
    for (const t of distinct) known.set(t, byText.get(textHash(t))![0]);
    cacheHits = distinct.length;
  }

  const progress: ScoreProgress = { done: cacheHits, total: distinct.length, requests: 0, cacheHits };
  let retried = 0;
  onProgress?.({ ...progress });

  if (endpoint && missing.length) {
    const size = Math.max(1, Math.min(options.batchSize ?? 1, maxPromptsPerRequest(endpoint)));
    const batches: string[][] = [];
    for (let i = 0; i < missing.length; i += size) batches.push(missing.slice(i, i + size));
    const limit = pLimit(concurrency);
    const inner = new AbortController();
    const combined = signal ? AbortSignal.any([signal, inner.signal]) : inner.signal;
    const ask = (batch: string[]) =>
      pRetry(
        async () => {
          try {
            return await promptTokenLogprobsBatch(endpoint, batch, combined);
          } catch (err) {
            if (combined.aborted) throw new AbortError(err as Error);
            if (err instanceof EndpointResponseError && !retryable(err)) throw new AbortError(err);
            throw err;
          }
        },
        {
          retries,
          factor: 2,
          minTimeout,
          maxTimeout,
          randomize: true,
          signal: combined,
          shouldRetry: async ({ error, retriesConsumed }) => {
            retried++;
            // p-retry waits next round(r · minTimeout · 2^retriesConsumed), r ∈ [1, 2), capped at maxTimeout; wait
            // first for whatever of Retry-After that backoff's lower bound does not cover, so the total is ≥ Retry-After.
            const asked = error instanceof EndpointResponseError ? error.details.retryAfterMs : undefined;
            if (asked !== undefined) {
              const lowerBound = Math.min(Math.floor(minTimeout * 2 ** retriesConsumed), maxTimeout);
              if (asked > lowerBound) await sleep(asked - lowerBound + 1, combined);
            }
            return true;
          },
        },
      );
    try {
      await Promise.all(
        batches.map((batch) =>
          limit(async () => {
            const answers = await ask(batch);
            progress.requests++;
            batch.forEach((text, i) => {
              known.set(text, answers[i]);
              cache.append({ ...cacheKeyOf(endpoint, text), logprobs: answers[i] });
            });
            progress.done += batch.length;
            onProgress?.({ ...progress });
          }),
        ),
      );
    } catch (err) {
      inner.abort(); // stop the requests still in flight or queued: the first failure decides
      limit.clearQueue();
      throw err;
    }
  }
  return { logprobs: texts.map((t) => known.get(t)!), requests: progress.requests, retries: retried, cacheHits };
}

/** 429 (rate limited), 408 (request timeout) and the 5xx are worth retrying; other statuses and malformed bodies are not. */
function retryable(err: EndpointResponseError): boolean {
  const status = err.details.status;
  return status !== undefined && (status === 429 || status === 408 || status >= 500);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
