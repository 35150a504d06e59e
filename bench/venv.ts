/**
 * The benchmarks' Python side: `.bench-venv` with bench/requirements.txt installed, shared by every
 * bench (one stamp, so one bench does not reinstall another's packages).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT = fileURLToPath(new URL('../', import.meta.url));
const VENV = join(PROJECT, '.bench-venv');
export const VENV_PYTHON = join(VENV, 'bin', 'python');

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: PROJECT, stdio: ['ignore', process.stderr, process.stderr] });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
}

/** Install bench/requirements.txt into .bench-venv when its stamp is stale or `imports` (a Python import list) fails. */
export function ensureBenchVenv(progress: (message: string) => void, imports?: string): void {
  const requirements = join(PROJECT, 'bench', 'requirements.txt');
  const stamp = join(VENV, '.requirements.sha256');
  const want = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  const importable = () => !imports || spawnSync(VENV_PYTHON, ['-c', `import ${imports}`], { stdio: 'ignore' }).status === 0;
  if (existsSync(VENV_PYTHON) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want && importable()) return;
  if (!existsSync(VENV_PYTHON)) {
    progress('creating .bench-venv');
    run('python3', ['-m', 'venv', VENV]);
  }
  progress('installing bench/requirements.txt into .bench-venv');
  run(VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', '-r', requirements]);
  writeFileSync(stamp, want + '\n');
}
