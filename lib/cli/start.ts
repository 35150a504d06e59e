import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadParams } from '../config/params.ts';
import { projectPaths } from '../config/paths.ts';
import { loadTaxonomy } from '../config/taxonomy.ts';
import { writeDemo } from '../demo/generate.ts';
import { EvalsetError } from '../errors.ts';
import { repositoryState } from '../io/gitTree.ts';
import { readMeta } from '../provenance/meta.ts';
import { loadTokenCounter } from '../sampling/classify.ts';
import { formatP } from '../card/render.ts';

export class DvcNotInstalledError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint = 'Run `npm install`: it creates .venv with the pinned DVC from requirements.txt.';
  constructor(path: string) {
    super(`DVC is not installed in the project's virtual environment (${path} is missing)`);
  }
}

export class DvcFailedError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint = 'Read the stage output above; `evalset validate` lists input problems.';
  constructor(command: string, status: number | null) {
    super(`\`${command}\` failed with exit code ${status}`);
  }
}

/** The project's pinned DVC, from the virtual environment `npm install` created. */
export function dvcBinary(root: string): string {
  const path = join(root, '.venv', 'bin', 'dvc');
  if (!existsSync(path)) throw new DvcNotInstalledError(relative(root, path));
  return path;
}

export function runDvc(root: string, args: string[], quietStdout = false): void {
  const result = spawnSync(dvcBinary(root), args, { cwd: root, stdio: ['ignore', quietStdout ? process.stderr : 'inherit', 'inherit'] });
  if (result.status !== 0) throw new DvcFailedError(`dvc ${args.join(' ')}`, result.status);
}

/** `npm start`: demo inputs where absent, `dvc repro`, then what was produced. */
export async function startProject(root: string, json: boolean): Promise<number> {
  const paths = projectPaths(root);
  const dvc = dvcBinary(root);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const demo = writeDemo(paths.datasets, await loadTokenCounter(taxonomy.tokenizer));
  const log = (line: string) => process.stderr.write(line + '\n');
  for (const path of demo.written) log(`evalset: wrote demo input ${relative(root, path)}`);
  log(`evalset: running ${relative(root, dvc)} repro`);
  runDvc(root, ['repro'], json);

  const params = loadParams(paths.params, 'params.yaml');
  const datasets = Object.keys(params.datasets).map((name) => {
    const out = paths.dataset(name);
    const meta = readMeta(out.meta, relative(root, out.meta));
    return {
      name,
      version: meta.version,
      examples: meta.size.realised,
      strata: Object.fromEntries(meta.strata.map((s) => [s.stratum, s.realised])),
      pool_limited: meta.pool_limited,
      balance: meta.balance,
      data: relative(root, out.data),
      card: relative(root, out.card),
    };
  });
  const state = repositoryState(root);
  if (json) {
    process.stdout.write(JSON.stringify({ datasets, repository: state }, null, 2) + '\n');
    return 0;
  }
  const lines = ['', 'evalset: done.'];
  for (const d of datasets) {
    lines.push('', `${d.name} v${d.version}: ${d.examples} examples → ${d.data}; card: ${d.card}`);
    for (const [stratum, n] of Object.entries(d.strata)) lines.push(`  ${stratum.padEnd(32)} ${String(n).padStart(6)}${d.pool_limited.includes(stratum) ? '  pool-limited' : ''}`);
    lines.push(`  balance: p = ${formatP(d.balance.p_value)} (${d.balance.imbalanced ? 'imbalanced' : 'balanced'} at ${d.balance.threshold})`);
  }
  lines.push('', `commit ${state.commit ?? '(none yet)'}${state.dirty ? ' with uncommitted changes' : ''}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
