import type { ContaminationParams } from '../config/params.ts';

/**
 * The contamination screens' settings with their defaults filled in (params.yaml `contamination:`).
 * The defaults are the issue's: shingles of 10 tokens (GPT-3's decontamination used 13-grams,
 * lm-evaluation-harness' decontaminator 13; 10 catches shorter shared runs in short prompts), a 1%
 * false-positive rate, Jaccard 0.8 for near-duplicates, z > 3 for membership.
 */
export interface NgramSettings {
  width: number;
  fpr: number;
  stride: number;
  seed: number;
  /** An example whose share of shingles found exceeds this is excluded. */
  threshold: number;
}

export interface NearDuplicateSettings {
  width: number;
  threshold: number;
  permutations: number;
}

export interface EndpointSettings {
  api: 'openai' | 'tgi';
  /** The API's base URL, or `demo` for the built-in demo model server. */
  baseUrl: string;
  model: string;
  promptLogprobs: boolean;
  /** The environment variable holding the API key (never the key itself). */
  apiKeyEnv: string;
}

export interface MembershipSettings {
  endpoint: EndpointSettings | null;
  method: 'mean' | 'min-k';
  minK: number;
  zThreshold: number;
  minCalibration: number;
  concurrency: number;
  /** Prompts per request on the OpenAI-compatible route. */
  batch: number;
  retries: number;
  timeoutMs: number;
}

export const DEMO_ENDPOINT = 'demo';
export const DEFAULT_API_KEY_ENV = 'EVALSET_MEMBERSHIP_API_KEY';

export function ngramSettings(params: ContaminationParams | undefined): NgramSettings {
  const n = params?.ngram ?? {};
  return { width: n.width ?? 10, fpr: n.fpr ?? 0.01, stride: n.stride ?? 1, seed: n.seed ?? 0, threshold: n.threshold ?? 0.5 };
}

export function nearDuplicateSettings(params: ContaminationParams | undefined): NearDuplicateSettings {
  const n = params?.near_duplicates ?? {};
  return { width: n.width ?? 5, threshold: n.threshold ?? 0.8, permutations: n.permutations ?? 128 };
}

export function membershipSettings(params: ContaminationParams | undefined): MembershipSettings {
  const m = params?.membership ?? {};
  const e = m.endpoint;
  return {
    endpoint: e
      ? {
          api: e.api,
          baseUrl: e.base_url,
          model: e.model,
          promptLogprobs: e.prompt_logprobs ?? false,
          apiKeyEnv: e.api_key_env ?? DEFAULT_API_KEY_ENV,
        }
      : null,
    method: m.method ?? 'mean',
    minK: m.min_k ?? 0.2,
    zThreshold: m.z_threshold ?? 3,
    minCalibration: m.min_calibration ?? 20,
    concurrency: m.concurrency ?? 8,
    batch: m.batch ?? 16,
    retries: m.retries ?? 5,
    timeoutMs: (m.timeout_s ?? 30) * 1000,
  };
}
