#!/usr/bin/env node
// `npm install` runs this (postinstall): it creates the project-local Python virtual environment
// `.venv` with the exact DVC pinned in requirements.txt (and the Python tools the tests use, from
// requirements-dev.txt), then installs the git hooks. It is idempotent: the venv is rebuilt only
// when a requirements file changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const venv = join(root, '.venv');
const requirements = ['requirements.txt', 'requirements-dev.txt'].filter((f) => existsSync(join(root, f)));
const stamp = join(venv, '.evalset-requirements.sha256');

function run(command, args) {
  console.error(`setup: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`setup: \`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

function findPython() {
  for (const candidate of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    const probe = spawnSync(candidate, ['-c', 'import sys; print(sys.version_info >= (3, 9))'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.trim() === 'True') return candidate;
  }
  console.error('setup: Python 3.9 or newer is required for DVC; set PYTHON to its path.');
  process.exit(1);
}

const digest = createHash('sha256');
for (const file of requirements) digest.update(readFileSync(join(root, file)));
const wanted = digest.digest('hex');
const pythonInVenv = join(venv, 'bin', 'python');

if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === wanted && existsSync(pythonInVenv)) {
  console.error('setup: .venv is up to date');
} else {
  if (!existsSync(pythonInVenv)) run(findPython(), ['-m', 'venv', venv]);
  run(pythonInVenv, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...requirements.flatMap((f) => ['-r', f])]);
  writeFileSync(stamp, wanted + '\n');
}

// Git hooks: husky points core.hooksPath at .husky/. Outside a git checkout there is nothing to hook.
if (existsSync(join(root, '.git'))) {
  const husky = (await import('husky')).default;
  const message = husky();
  if (message) console.error(`setup: husky: ${message}`);
}
