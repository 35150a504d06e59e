/**
 * `npm run bench:hooks`: the latency of the pre-commit hook on a release commit of a 100,000-example
 * dataset, process start included, against DVC's own pre-commit check (`dvc status`, what `dvc
 * install`'s hook runs) measured in the same run. Goal: median ≤ 1.0 s.
 *
 *   npm run bench:hooks [-- --runs N] [--examples N] [--json] [--keep]
 *
 * `--keep` leaves the temporary repository in place (its path is logged), for profiling.
 *
 * It builds a temporary git repository with a real DVC pipeline: one `sample@big` stage whose deps
 * are the project's lib/ (git-tracked code) and datasets/pool (through datasets.dvc), whose params are
 * the dataset's keys, and whose outputs are the committed manifest and meta.json; `dvc commit` (real
 * DVC) writes dvc.lock. The dataset of N examples is released as v1.0.0; then 1% is relabeled, the
 * patch bump (1.0.1) declared, dvc.lock rewritten, and params.yaml, dvc.lock, meta.json and the
 * manifest are staged together: the realistic release commit. It then times
 *   hook   node --import tsx hooks/pre-commit.ts      (meta.json, dvc.lock against the staged code,
 *                                                      data pointer and params, the plan against the tag)
 *   shim   sh .husky/pre-commit                       (what `git commit` runs)
 *   peer   .venv/bin/dvc status
 * then checks that the hook still refuses the same commit declaring a minor bump (so that no speed
 * comes from a skipped check), and last times the shim on a commit that stages nothing the hook watches.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const PROJECT = fileURLToPath(new URL('../', import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '9' },
    examples: { type: 'string', default: '100000' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const examples = Number(values.examples);
const log = (m: string) => process.stderr.write(`[bench:hooks] ${m}\n`);

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@evalset.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@evalset.invalid',
};
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8' });
const dvc = (cwd: string, ...args: string[]) => execFileSync(join(PROJECT, '.venv', 'bin', 'dvc'), args, { cwd, env, encoding: 'utf8' });
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function manifest(relabel: number): string {
  const strata = ['reasoning×routine', 'reasoning×moderate', 'reasoning×adversarial', 'summarization×routine', 'summarization×moderate'];
  const lines: string[] = [];
  for (let i = 0; i < examples; i++) {
    const id = `ex-${String(i).padStart(7, '0')}`;
    const label = i < relabel ? `relabeled-${i}` : `label-${i}`;
    lines.push(JSON.stringify({ content_hash: sha(`content-${i}`), id, label_hash: sha(label), stratum: strata[i % strata.length] }));
  }
  return lines.join('\n') + '\n';
}

function writeState(repo: string, version: string, manifestText: string): void {
  const strata = [
    ...new Set(
      manifestText
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).stratum as string),
    ),
  ].sort();
  writeFileSync(
    join(repo, 'params.yaml'),
    `datasets:\n  big:\n    version: ${version}\n    seed: 1\n    size: ${examples}\n    allocation:\n      mode: proportional\n`,
  );
  mkdirSync(join(repo, 'evalsets', 'big'), { recursive: true });
  writeFileSync(join(repo, 'evalsets', 'big', 'manifest.jsonl'), manifestText);
  const meta = {
    dataset: 'big',
    version,
    taxonomy_version: '1.0.0',
    strata: strata.map((stratum) => ({ stratum })),
    columns: { id: 'string', labels: 'string' },
    manifest_sha256: sha(manifestText),
  };
  writeFileSync(join(repo, 'evalsets', 'big', 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  // Real DVC records the stage: deps (lib/, datasets/pool), params and outputs, as `dvc repro` would.
  dvc(repo, 'commit', '-q', '-f');
}

function time(cwd: string, command: string, args: string[]): number {
  const start = performance.now();
  // As husky runs a hook: with the project's node_modules/.bin on PATH.
  const r = spawnSync(command, args, { cwd, env: { ...env, PATH: `${join(cwd, 'node_modules', '.bin')}:${process.env.PATH}` }, encoding: 'utf8' });
  const elapsed = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return elapsed;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const repo = mkdtempSync(join(tmpdir(), 'evalset-bench-hooks-'));
try {
  log(`building a repository with a ${examples.toLocaleString('en-US')}-example dataset in ${repo}`);
  git(repo, 'init', '-q', '-b', 'main');
  symlinkSync(join(PROJECT, 'node_modules'), join(repo, 'node_modules'));
  writeFileSync(join(repo, '.gitignore'), '/node_modules\n');
  for (const path of ['hooks', 'lib', 'taxonomy', '.husky/pre-commit', 'package.json', '.dvcignore'])
    cpSync(join(PROJECT, path), join(repo, path), { recursive: true });
  writeFileSync(
    join(repo, 'dvc.yaml'),
    [
      'stages:',
      '  sample:',
      '    foreach: [big]',
      '    do:',
      '      cmd: "true"',
      '      deps: [lib, datasets/pool]',
      "      params: ['datasets.${item}.version', 'datasets.${item}.seed', 'datasets.${item}.size', 'datasets.${item}.allocation']",
      '      outs:',
      '        - evalsets/${item}/manifest.jsonl: {cache: false}',
      '        - evalsets/${item}/meta.json: {cache: false}',
      '',
    ].join('\n'),
  );
  dvc(repo, 'init', '-q');
  mkdirSync(join(repo, 'datasets', 'pool'), { recursive: true });
  writeFileSync(join(repo, 'datasets', 'pool', 'pool.jsonl'), '{"id": "ex-0000000"}\n');
  dvc(repo, 'add', '-q', 'datasets');
  writeState(repo, '1.0.0', manifest(0));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '--no-verify', '-m', 'v1.0.0');
  git(repo, 'tag', '-a', 'eval-dataset/big/v1.0.0', '-m', 'v1.0.0');
  writeState(repo, '1.0.1', manifest(Math.round(examples / 100)));
  git(repo, 'add', '-A');

  const sides = {
    hook: () => time(repo, process.execPath, ['--import', 'tsx', 'hooks/pre-commit.ts']),
    shim: () => time(repo, 'sh', ['.husky/pre-commit']),
    'dvc status': () => time(repo, join(PROJECT, '.venv', 'bin', 'dvc'), ['status']),
  };
  const results: Record<string, number> = {};
  for (const [name, measure] of Object.entries(sides)) {
    measure(); // warm the file cache and tsx's transform cache
    const samples = Array.from({ length: runs }, measure);
    results[name] = median(samples);
    log(`${name}: median ${results[name].toFixed(3)} s of ${runs} runs`);
  }
  // The speed is not bought by skipping checks: the same commit declaring a minor bump is refused, with the rule.
  const paramsPath = join(repo, 'params.yaml');
  const paramsText = readFileSync(paramsPath, 'utf8');
  writeFileSync(paramsPath, paramsText.replace('version: 1.0.1', 'version: 1.1.0'));
  git(repo, 'add', 'params.yaml');
  const refused = spawnSync(process.execPath, ['--import', 'tsx', 'hooks/pre-commit.ts'], { cwd: repo, env, encoding: 'utf8' });
  if (refused.status !== 1 || !refused.stderr.includes('a patch bump (1.0.1) is required')) {
    throw new Error(`the hook let an over-bump through (exit ${refused.status}):\n${refused.stderr}`);
  }
  writeFileSync(paramsPath, paramsText);
  git(repo, 'add', 'params.yaml');
  log('check: the hook still refuses a minor bump where a patch is required');

  // A commit that stages none of the watched paths: what every other commit pays.
  git(repo, 'reset', '-q');
  writeFileSync(join(repo, 'NOTES.md'), 'notes\n');
  git(repo, 'add', 'NOTES.md');
  sides.shim();
  results['shim, unrelated commit'] = median(Array.from({ length: runs }, sides.shim));
  log(`shim, unrelated commit: median ${results['shim, unrelated commit'].toFixed(3)} s of ${runs} runs`);

  const out = {
    examples,
    relabeled: Math.round(examples / 100),
    runs,
    median_seconds: results,
    ratio_hook_to_dvc_status: results.hook / results['dvc status'],
    goal_seconds: 1.0,
    goal_met: results.shim <= 1.0,
  };
  if (values.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  else {
    process.stdout.write(
      [
        `pre-commit on a release commit of a ${examples.toLocaleString('en-US')}-example dataset (${out.relabeled} relabeled, patch bump; params.yaml, dvc.lock, meta.json and manifest staged), median of ${runs} runs:`,
        `  hook (node --import tsx hooks/pre-commit.ts)   ${results.hook.toFixed(3)} s`,
        `  shim (.husky/pre-commit)                       ${results.shim.toFixed(3)} s`,
        `  peer (dvc status)                              ${results['dvc status'].toFixed(3)} s`,
        `  shim on an unrelated commit                    ${results['shim, unrelated commit'].toFixed(3)} s`,
        `  hook / dvc status: ${out.ratio_hook_to_dvc_status.toFixed(2)}`,
        `  goal: median ≤ 1.0 s for the whole pre-commit: ${out.goal_met ? 'met' : 'NOT met'}`,
      ].join('\n') + '\n',
    );
  }
} finally {
  if (values.keep) log(`kept ${repo}`);
  else rmSync(repo, { recursive: true, force: true });
}
