import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../io/versions.ts';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export function evalsetVersion(): string {
  return JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version;
}

/** DVC's version from the project venv's package metadata: exact, and without starting Python. */
export function dvcVersion(root = projectRoot): string | null {
  const lib = join(root, '.venv', 'lib');
  if (!existsSync(lib)) return null;
  for (const python of readdirSync(lib).sort()) {
    const site = join(lib, python, 'site-packages');
    if (!existsSync(site)) continue;
    const info = readdirSync(site).find((name) => /^dvc-\d[^-]*\.dist-info$/.test(name));
    if (info) return info.slice('dvc-'.length, -'.dist-info'.length);
  }
  return null;
}

/**
 * The npm packages whose version can change the bytes a run writes, and why. A package left out of
 * this list can change a release without meta.json showing it.
 */
export const OUTPUT_PACKAGES = {
  /** Counts prompt tokens when an example has no better signal: it decides the difficulty of most demo and real examples. */
  'gpt-tokenizer': 'token counts that decide difficulty',
  /** The Parquet encoder of data.parquet. */
  'parquet-wasm': 'data.parquet bytes (encoder)',
  /** Builds the Arrow table parquet-wasm encodes: column types and layout. */
  'apache-arrow': 'data.parquet bytes (Arrow table)',
  /** RFC 8785 canonical JSON: content_hash and the manifest's hashes. */
  canonicalize: 'content hashes',
  /** Parses params.yaml (seed, shares, floors) and writes the card's front matter. */
  yaml: 'params read; card front matter',
  /** The card's tables: escaping and alignment. */
  'markdown-table': 'card tables',
  /** The chi-squared tail: the balance p-value recorded in meta.json and the card. */
  '@stdlib/math-base-special-gammainc': 'balance p-value',
  /** Seeded draws: the bootstrap interval of agreement (quality/agreement.json, the card), and the demo inputs. */
  'pure-rand': 'agreement bootstrap interval; demo inputs; the synthetic data (seeded noise)',
  /** Placeholders of restricted fields in the synthetic data. */
  '@faker-js/faker': 'synthetic placeholders',
  /** The utility statistics of the synthetic data (Pearson, Spearman, means). */
  'simple-statistics': 'utility report',
  /** The attestation's signature bytes. */
  openpgp: 'attestation signature',
  /** Tags the named entities of prompts: the staleness entity histogram and the re-curation feature vectors. */
  compromise: 'staleness entities; re-curation distances',
  /** The naive Bayes that assigns a category to a traffic prompt without one. */
  bayes: 'categories of unlabelled traffic',
  /** The uniforms of the staleness noise floor's bootstrap. */
  '@stdlib/random-base-mt19937': 'staleness noise floors',
  /** The binomial probabilities of the noise floor's draws (lib/stats/binomialModal.ts). */
  '@stdlib/math-base-special-gammaln': 'staleness noise floors',
  '@stdlib/math-base-special-ln': 'staleness noise floors',
  '@stdlib/math-base-special-exp': 'staleness noise floors',
  /** The staleness trend in the card and the report. */
  sparkly: 'staleness sparklines',
  /** xxHash64 of every shingle: the contamination index's bits, the n-gram scores and the near-duplicate groups. */
  'xxhash-wasm': 'contamination index; n-gram and near-duplicate exclusions',
} as const;

export type OutputPackage = keyof typeof OUTPUT_PACKAGES;

export type ToolVersions = {
  /** The major version only: committed outputs must not change with a Node patch release (the run summary prints the exact one). */
  node: string;
  evalset: string;
  /** The DVC of the project venv; null when .venv is missing, which meta.json's schema refuses. */
  dvc: string | null;
} & Record<OutputPackage, string>;

/** Every tool whose version can change the outputs: Node's major, evalset, each package in OUTPUT_PACKAGES, and DVC. */
export function toolVersions(): ToolVersions {
  const packages = Object.fromEntries(Object.keys(OUTPUT_PACKAGES).map((name) => [name, packageVersion(name)])) as Record<OutputPackage, string>;
  return {
    node: `${process.versions.node.split('.')[0]}.x`,
    evalset: evalsetVersion(),
    ...packages,
    dvc: dvcVersion(),
  };
}
