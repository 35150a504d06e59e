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
  node: string;
  evalset: string;
  'parquet-wasm': string;
  'apache-arrow': string;
  dvc: string | null;
}

export function toolVersions(): ToolVersions {
  return {
    node: process.version,
    evalset: evalsetVersion(),
    'parquet-wasm': packageVersion('parquet-wasm'),
    'apache-arrow': packageVersion('apache-arrow'),
    dvc: dvcVersion(),
  };
}

/** The paths whose git object ids identify the pipeline code (see the README, "Provenance"). */
export const CODE_PATHS = ['bin', 'lib', 'stages', 'taxonomy', 'dvc.yaml', 'params.yaml', 'package-lock.json', 'requirements.txt'] as const;
