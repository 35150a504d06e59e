import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, sha256 } from '../io/hash.ts';
import type { Row } from './utility.ts';

/** Where the privacy capability reads and writes, relative to the repository root. */
export const PRIVACY_PATHS = {
  source: join('datasets', 'private', 'source.jsonl'),
  fields: join('datasets', 'private', 'fields.yaml'),
  /** The versioned budget and the committed, append-only ledger of every release's spend. */
  budget: join('privacy', 'budget.yaml'),
  ledger: join('privacy', 'ledger.jsonl'),
  /** The synthetic dataset and its records. */
  dir: join('evalsets', 'synthetic'),
  data: join('evalsets', 'synthetic', 'data.jsonl'),
  release: join('evalsets', 'synthetic', 'privacy.json'),
  statement: join('evalsets', 'synthetic', 'attestation.intoto.json'),
  signature: join('evalsets', 'synthetic', 'attestation.intoto.json.asc'),
  card: join('evalsets', 'synthetic', 'README.md'),
  utility: join('evalsets', 'synthetic', 'quality', 'utility.json'),
} as const;

/** The public key an auditor checks the attestation's signature with, written beside it. */
export const SIGNING_KEY_PATH = join('evalsets', 'synthetic', 'signing-key.asc');
/**
 * The demo signing key, committed so that a fresh clone signs the demo's attestation byte for byte the
 * same. Anyone can sign with it: a demo signature shows the statement is unchanged, not who made it.
 * A real release sets EVALSET_SIGNING_KEY (an armored private key) instead.
 */
export const DEMO_KEY_DIR = join('privacy', 'demo-key');

/** The name the synthetic dataset goes by in the ledger, the attestation and its card. */
export const SYNTHETIC_DATASET = 'synthetic';

export interface PrivacyParams {
  seed?: number;
  backend?: 'builtin' | 'nemo';
  text?: { noise_multiplier?: number; clip?: number; max_tokens?: number };
  nemo?: { base_url?: string; epsilon?: number; timeout_s?: number };
  utility?: {
    numeric?: string[];
    categorical?: string[];
    scorer?: string;
    min_spearman?: number;
    max_jsd?: number;
    min_correlation_agreement?: number;
  };
}

export const DEFAULT_TEXT_NOISE_MULTIPLIER = 4;

/**
 * The noise seed. `EVALSET_PRIVACY_SEED` (an integer) overrides params.yaml: a release meant to
 * protect anyone needs a seed nobody else knows, because whoever knows it can subtract the noise.
 * The demo's seed is in params.yaml, so the demo shows the mechanism, not the protection.
 */
export function noiseSeed(params: PrivacyParams, env = process.env): { seed: number; secret: boolean } {
  const fromEnv = env.EVALSET_PRIVACY_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const seed = Number(fromEnv);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError('EVALSET_PRIVACY_SEED must be a non-negative integer');
    return { seed, secret: true };
  }
  return { seed: params.seed ?? 0, secret: false };
}

/**
 * What makes one release: the field annotations, the synthesis settings and the seed. A secret seed
 * enters as its SHA-256 only. The same configuration on the same source gives the same bytes, so the
 * ledger charges it once.
 */
export function configSha256(fieldsText: string, params: PrivacyParams, seed: { seed: number; secret: boolean }): string {
  // Only what changes the release: the settings of the backend in use (not the utility check's).
  const backend = params.backend ?? 'builtin';
  return sha256(
    canonicalJson({
      fields: fieldsText,
      synthesis: { backend, settings: (backend === 'nemo' ? params.nemo : params.text) ?? {} },
      seed: seed.secret ? { secret_sha256: sha256(String(seed.seed)) } : { public: seed.seed },
    }),
  );
}

/**
 * Downstream scorers for the utility check: a reference evaluation run on the real and on the
 * synthetic rows. `demo-triage` is the demo's deterministic one: a ticket's triage priority from its
 * (public) category and how long it took to resolve.
 */
export const SCORERS: Record<string, (row: Row) => number> = {
  'demo-triage': (row) => {
    const weight: Record<string, number> = { billing: 1, shipping: 2, technical: 3, account: 4 };
    const hours = typeof row.resolution_hours === 'number' ? row.resolution_hours : 0;
    return (weight[String(row.category)] ?? 0) + hours / 480;
  },
};

export const hasPrivateSource = (root: string): boolean => existsSync(join(root, PRIVACY_PATHS.source));
