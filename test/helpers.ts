import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toJsonl } from '../lib/io/jsonl.ts';
import type { PoolExample } from '../lib/sampling/pool.ts';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const venvPython = join(projectRoot, '.venv', 'bin', 'python');
export const venvDvc = join(projectRoot, '.venv', 'bin', 'dvc');

/** A fresh folder holding the taxonomy and params of the project, ready for a pool. */
export function workspace(prefix = 'evalset-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(projectRoot, 'taxonomy', 'strata.json'), join(dir, 'taxonomy', 'strata.json'), { recursive: true });
  cpSync(join(projectRoot, 'params.yaml'), join(dir, 'params.yaml'));
  return dir;
}

export function writeFile(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function writePool(dir: string, examples: readonly PoolExample[], file = 'pool.jsonl'): string {
  const path = join(dir, 'datasets', 'pool', file);
  writeFile(path, toJsonl(examples));
  return path;
}

/** A child process that does not block this one (so that servers in this process can answer it, or several run at once). */
export function runAsync(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? projectRoot, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The CLI as a child process without blocking this one, so that servers in this process can answer it. */
export const evalsetAsync = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  runAsync(process.execPath, [join(projectRoot, 'bin', 'evalset.js'), ...args], options);

/** Run the CLI as a user does: a child process, its own environment, its exit code. */
export function evalset(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(projectRoot, 'bin', 'evalset.js'), ...args], {
    cwd: options.cwd ?? projectRoot,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
}

export const read = (path: string) => readFileSync(path, 'utf8');

export const gitEnv = {
  GIT_AUTHOR_NAME: 'evalset test',
  GIT_AUTHOR_EMAIL: 'test@evalset.invalid',
  GIT_COMMITTER_NAME: 'evalset test',
  GIT_COMMITTER_EMAIL: 'test@evalset.invalid',
};
export const run = (cwd: string, command: string, args: string[]) =>
  spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...gitEnv, DVC_NO_ANALYTICS: '1' } });
export const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...gitEnv } }).trim();

/** A copy of the repository (copyOfRepository) with the demo pool written and the pipeline run by real DVC. */
export function builtCopyOfRepository(): string {
  const repo = copyOfRepository();
  const demo = evalset(['demo'], { cwd: repo });
  if (demo.status !== 0) throw new Error(`evalset demo failed: ${demo.stderr}`);
  const repro = run(repo, venvDvc, ['repro']);
  if (repro.status !== 0 || /ERROR/.test(repro.stderr)) throw new Error(`dvc repro failed: ${repro.stdout}${repro.stderr}`);
  return repo;
}

/** A clone-like copy of the repository after `npm install`: its files, with node_modules and .venv linked, committed in a fresh git repository. */
export function copyOfRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'evalset-e2e-'));
  // Tracked and untracked files as they stand in the working tree (ignored ones and deleted ones left out).
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: projectRoot, encoding: 'utf8' })
    .split('\0')
    .filter((path) => path && existsSync(join(projectRoot, path)));
  for (const path of new Set(files)) cpSync(join(projectRoot, path), join(dir, path));
  symlinkSync(join(projectRoot, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(projectRoot, '.venv'), join(dir, '.venv'));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--no-verify', '-m', 'copy');
  return dir;
}
