import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EvalsetError } from '../errors.ts';
import { projectRoot } from '../provenance/tools.ts';

export class DvcNotInstalledError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint = 'Run `npm install`: it creates .venv with the pinned DVC from requirements.txt.';
  constructor(path: string) {
    super(`DVC is not installed in the project's virtual environment (${path} is missing)`);
  }
}

export class DvcFailedError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint = 'Read the DVC output above; `evalset validate` lists input problems.';
  constructor(command: string, status: number | null) {
    super(`\`${command}\` failed with exit code ${status}`);
  }
}

/** The project's pinned DVC, from the virtual environment `npm install` created beside the tool. */
export function dvcBinary(): string {
  const path = join(projectRoot, '.venv', 'bin', 'dvc');
  if (!existsSync(path)) throw new DvcNotInstalledError(relative(process.cwd(), path) || path);
  return path;
}

export interface DvcRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run DVC in a repository. `inherit` streams its output (progress bars included) to this process's stderr. */
export function dvc(root: string, args: string[], options: { inherit?: boolean } = {}): DvcRun {
  const result = spawnSync(dvcBinary(), args, {
    cwd: root,
    encoding: 'utf8',
    stdio: options.inherit ? ['ignore', process.stderr, process.stderr] : ['ignore', 'pipe', 'pipe'],
  });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

export function dvcOrThrow(root: string, args: string[], options: { inherit?: boolean } = {}): DvcRun {
  const run = dvc(root, args, options);
  if (run.status !== 0) {
    if (!options.inherit) process.stderr.write(run.stdout + run.stderr);
    throw new DvcFailedError(`dvc ${args.join(' ')}`, run.status);
  }
  return run;
}

/** `dvc status -q` exits 0 when every stage and tracked file is up to date. */
export function dvcClean(root: string): boolean {
  return dvc(root, ['status', '-q']).status === 0;
}
