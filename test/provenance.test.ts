import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageVersion } from '../lib/io/versions.ts';
import { assertValidMeta, InvalidMetaError, metaIssues, type SampleMeta } from '../lib/provenance/meta.ts';
import { reproducibleTimestamp, TIMESTAMP_SOURCES } from '../lib/provenance/timestamp.ts';
import { OUTPUT_PACKAGES, toolVersions } from '../lib/provenance/tools.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { projectRoot } from './helpers.ts';

const manifestVersion = (name: string) => JSON.parse(readFileSync(join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')).version;

/**
 * Every npm package the code imports, with why its version cannot change the bytes of an output if it
 * is not in OUTPUT_PACKAGES. A new import must land in one list or the other.
 */
const NO_OUTPUT_BYTES: Record<string, string> = {
  ajv: 'validates; never writes',
  'ajv-formats': 'validates; never writes',
  'jsonc-parser': 'line numbers of error messages only',
  semver: 'compares versions for the bump rules; writes nothing',
  yargs: 'parses the command line',
  tsx: 'runs the TypeScript sources',
  'csv-parse': 'reads a CSV for `evalset iaa --columns`; no stage reads CSV',
  'proper-lockfile': 'the privacy ledger lock; writes no output',
  husky: 'git hooks',
  prettier: 'the pre-commit check of staged code; no dataset output',
  '@octokit/rest': 'the refresh runner talks to GitHub; writes no output',
  diff: 'the card diff in a refresh pull request description; no output',
  'cli-progress': 'the progress bar of a contamination build or scan on a TTY',
  'p-limit': 'how many requests to a model endpoint are in flight; the answers are the same',
  'p-retry': 'when a failed request to a model endpoint is tried again; the answers are the same',
};

function importedPackages(dirs: string[]): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        const pattern = /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*'([^'.][^']*)'|^\s*import\s*'([^'.][^']*)'|\bimport\(\s*'([^'.][^']*)'\s*\)/gm;
        for (const m of text.matchAll(pattern)) {
          const spec = m[1] ?? m[2] ?? m[3];
          if (spec.startsWith('node:')) continue;
          found.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        }
      }
    }
  };
  for (const dir of dirs) walk(join(projectRoot, dir));
  return found;
}

/** A meta.json that the schema accepts: every field, with the shapes the sample stage writes. */
function validMeta(): SampleMeta {
  const sha = 'a'.repeat(64);
  return {
    dataset: 'stress',
    version: '0.1.0',
    seed: 4242,
    taxonomy_version: '1.0.0',
    params_digest: sha,
    params: { size: 2 },
    size: { requested: 2, realised: 2, pool: 10, eligible: 10 },
    strata: [
      { stratum: 'a×routine', pool: 5, share: 0.5, target: 1, floor: 0, realised: 1, percent: 50, pool_limited: false },
      { stratum: 'b×routine', pool: 5, share: 0.5, target: 1, floor: 0, realised: 1, percent: 50, pool_limited: false },
    ],
    pool_limited: [],
    warnings: [],
    balance: {
      test: 'chi-squared',
      statistic: 0,
      df: 1,
      p_value: 1,
      threshold: 0.05,
      imbalanced: false,
      tvd: 0,
      min_expected: 1,
      designed: { 'a×routine': 1, 'b×routine': 1 },
      realised: { 'a×routine': 1, 'b×routine': 1 },
      warnings: [],
    },
    eligibility: { duplicates: { excluded: 0, quarantined: 0 } },
    columns: { id: 'string' },
    files: { 'data.parquet': { sha256: sha, bytes: 100, rows: 2 } },
    content_hash: sha,
    manifest_sha256: sha,
    code: { lib: 'b'.repeat(40) },
    tools: toolVersions(),
    timestamp: '2026-10-31T17:36:00.000Z',
    timestamp_source: TIMESTAMP_SOURCES.pool,
  };
}

describe('tool versions', () => {
  it("reads gpt-tokenizer's version from its root package.json, not the nested cjs/package.json that has none", () => {
    // node_modules/gpt-tokenizer/cjs/package.json is {"name":"gpt-tokenizer","type":"commonjs"}: the old walk stopped there.
    expect(packageVersion('gpt-tokenizer')).toBe(manifestVersion('gpt-tokenizer'));
    // ESM-only (no `require` export): found all the same.
    expect(packageVersion('canonicalize')).toBe(manifestVersion('canonicalize'));
  });

  it('gives every listed tool a version (no null, empty or missing value)', () => {
    const tools = toolVersions();
    const expected = ['node', 'evalset', ...Object.keys(OUTPUT_PACKAGES), 'dvc'];
    expect(Object.keys(tools).sort()).toEqual(expected.sort());
    for (const name of expected) {
      const version = (tools as Record<string, unknown>)[name];
      expect(typeof version, name).toBe('string');
      expect((version as string).trim(), name).not.toBe('');
    }
    for (const name of Object.keys(OUTPUT_PACKAGES)) expect((tools as Record<string, string>)[name], name).toBe(manifestVersion(name));
    expect(tools.node).toMatch(/^\d+\.x$/);
  });

  it('records every imported package that can change output bytes (or says why one cannot)', () => {
    const unaccounted = [...importedPackages(['lib', 'stages', 'bin'])].filter((p) => !(p in OUTPUT_PACKAGES) && !(p in NO_OUTPUT_BYTES));
    expect(unaccounted).toEqual([]);
  });
});

describe('meta.json schema', () => {
  it('accepts a complete meta.json', () => {
    expect(metaIssues(validMeta())).toEqual([]);
    expect(() => assertValidMeta(validMeta())).not.toThrow();
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['empty', ''],
  ])('refuses a tool whose version is %s, naming it', (_, value) => {
    const meta = validMeta();
    (meta.tools as Record<string, unknown>)['gpt-tokenizer'] = value;
    expect(() => assertValidMeta(meta)).toThrow(InvalidMetaError);
    expect(() => assertValidMeta(meta)).toThrow(/evalsets\/stress\/meta\.json: tools\.gpt-tokenizer/);
  });

  it('refuses a balance without its effect size, and a number JSON cannot hold', () => {
    const meta = validMeta();
    delete (meta.balance as Partial<SampleMeta['balance']>).tvd;
    expect(() => assertValidMeta(meta)).toThrow(/balance\.tvd: is required/);
    const nan = validMeta();
    nan.balance.statistic = NaN; // written as null by JSON.stringify
    expect(() => assertValidMeta(nan)).toThrow(/balance\.statistic/);
  });

  it('holds for the committed evalsets/*/meta.json', () => {
    const dir = join(projectRoot, 'evalsets');
    const names = readdirSync(dir).filter((name) => readdirSync(join(dir, name)).includes('meta.json'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const file = `evalsets/${name}/meta.json`;
      expect(metaIssues(JSON.parse(readFileSync(join(projectRoot, file), 'utf8')), file)).toEqual([]);
    }
  });
});

describe('reproducible timestamp', () => {
  it('says in words what it fell back to when there is no SOURCE_DATE_EPOCH and no created_at', () => {
    expect(reproducibleTimestamp(null, {})).toEqual({
      timestamp: '1970-01-01T00:00:00.000Z',
      source: 'none: no SOURCE_DATE_EPOCH and no created_at in the pool, so the Unix epoch 1970-01-01T00:00:00Z',
    });
  });

  it('takes SOURCE_DATE_EPOCH first, an empty one counts as unset, and a malformed one is refused', () => {
    expect(reproducibleTimestamp('2026-01-05T08:00:00Z', { SOURCE_DATE_EPOCH: '1700000000' })).toEqual({
      timestamp: '2023-11-14T22:13:20.000Z',
      source: 'SOURCE_DATE_EPOCH',
    });
    expect(reproducibleTimestamp('2026-01-05T08:00:00Z', { SOURCE_DATE_EPOCH: '' }).source).toBe('newest created_at in the pool');
    expect(() => reproducibleTimestamp('2026-01-05T08:00:00Z', { SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(InvalidInputError);
    expect(() => reproducibleTimestamp(null, { SOURCE_DATE_EPOCH: '1e9' })).toThrow(/SOURCE_DATE_EPOCH: "1e9" is not a whole number of seconds/);
  });
});
