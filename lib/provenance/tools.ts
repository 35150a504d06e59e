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

export interface ToolVersions {
  /** The major version only: committed outputs must not change with a Node patch release (the run summary prints the exact one). */
  node: string;
  evalset: string;
  'gpt-tokenizer': string;
  'parquet-wasm': string;
  'apache-arrow': string;
  dvc: string | null;
}

export function toolVersions(): ToolVersions {
  return {
    node: `${process.versions.node.split('.')[0]}.x`,
    evalset: evalsetVersion(),
    'gpt-tokenizer': packageVersion('gpt-tokenizer'),
    'parquet-wasm': packageVersion('parquet-wasm'),
    'apache-arrow': packageVersion('apache-arrow'),
    dvc: dvcVersion(),
  };
}

/**
 * The paths whose git object ids identify the pipeline code (see the README, "Provenance"). The
 * sample stage depends on every one of them in dvc.yaml, so the ids it records are never stale.
 * Left out: params.yaml (meta.json records the params the stage read and their digest, and a
 * dependency on the whole file would re-run every dataset whenever any param changed) and dvc.yaml
 * (DVC refuses it as a dependency; dvc.lock records each stage's command and dependencies).
 */
export const CODE_PATHS = ['bin', 'lib', 'stages', 'taxonomy', 'package-lock.json', 'requirements.txt'] as const;
