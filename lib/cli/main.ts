import { relative, resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { runCard } from '../../stages/card.ts';
import { runClassify } from '../../stages/classify.ts';
import { runSample } from '../../stages/sample.ts';
import { rebuildDataset } from '../../stages/rebuild.ts';
import { projectPaths } from '../config/paths.ts';
import { loadTaxonomy } from '../config/taxonomy.ts';
import { validateProject } from '../config/validate.ts';
import { writeDemo } from '../demo/generate.ts';
import { formatIssue } from '../errors.ts';
import { buildChangelog, renderChangelog } from '../versioning/changelog.ts';
import { describeDiff, type ReleasePlan } from '../versioning/plan.ts';
import { datasetNames, planFor } from '../versioning/release.ts';
import { describeReproduction, reproduceTag } from '../versioning/reproduce.ts';
import { createReleaseTag } from '../versioning/tag.ts';
import { emit, endProgress, progress, reportError, sampleSummary } from './output.ts';
import { startProject } from './start.ts';

interface Common {
  root: string;
  json: boolean;
}

/** Run a command body; errors become the documented exit codes. */
function run<A extends Common>(body: (args: A) => Promise<number | void> | number | void) {
  return async (parsed: unknown) => {
    const args = parsed as A;
    try {
      process.exitCode = (await body(args)) ?? 0;
    } catch (err) {
      endProgress();
      process.exitCode = reportError(err, args.json);
    }
  };
}

const datasetOption = (y: Argv<Common>) =>
  y.option('dataset', { alias: 'd', type: 'string', demandOption: true, describe: 'dataset name, a key of `datasets` in params.yaml' });

export function cli(argv: string[]) {
  return yargs(argv)
    .scriptName('evalset')
    .usage('$0 <command> [options]\n\nTurn a git repository of evaluation data into a reproducible DVC pipeline.')
    .option('root', { type: 'string', default: '.', describe: 'repository root', coerce: (p: string) => resolve(p) })
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable output on stdout' })
    .command(
      'demo',
      'write the embedded demo pool to datasets/pool/ when the pool is empty',
      (y) => y.option('force', { type: 'boolean', default: false, describe: 'write datasets/pool/demo.jsonl even when the pool holds files' }),
      run<Common & { force: boolean }>(async (args) => {
        const taxonomy = loadTaxonomy(projectPaths(args.root).taxonomy);
        const result = await writeDemo(projectPaths(args.root).datasets, taxonomy.tokenizer, args.force);
        const rel = (ps: string[]) => ps.map((p) => relative(args.root, p));
        emit(args.json, { written: rel(result.written), skipped: rel(result.skipped) }, () =>
          [
            ...rel(result.written).map((p) => `wrote ${p}`),
            ...rel(result.skipped).map((p) => `left the pool as it is (it holds files; --force writes ${p} anyway)`),
          ].join('\n'),
        );
      }),
    )
    .command(
      'validate',
      'check params.yaml, the taxonomy and every pool record; list all problems (exit 2 if any)',
      {},
      run<Common>((args) => {
        const { issues, poolRecords } = validateProject(args.root);
        emit(args.json, { ok: issues.length === 0, pool_records: poolRecords, issues }, () =>
          issues.length === 0
            ? `ok: params, taxonomy and ${poolRecords} pool records are valid`
            : issues.map(formatIssue).join('\n') + `\n${issues.length} problem(s)`,
        );
        return issues.length ? 2 : 0;
      }),
    )
    .command(
      'classify',
      'assign every pool example a stratum (category×difficulty); update the reclassification registry',
      {},
      run<Common>(async (args) => {
        const summary = await runClassify(args.root, progress('classify'));
        endProgress();
        emit(args.json, summary, () =>
          [
            `classified ${summary.examples} examples (taxonomy ${summary.taxonomyVersion}); ${summary.reclassified} moved stratum`,
            ...Object.entries(summary.strata)
              .sort()
              .map(([s, n]) => `  ${s}: ${n}`),
          ].join('\n'),
        );
      }),
    )
    .command(
      'sample',
      'allocate and draw one dataset; write data.parquet, manifest.jsonl and meta.json',
      datasetOption,
      run<Common & { dataset: string }>(async (args) => {
        const meta = await runSample(args.root, args.dataset);
        emit(args.json, meta, () => sampleSummary(meta));
      }),
    )
    .command(
      'card',
      'render the dataset card, evalsets/NAME/README.md',
      datasetOption,
      run<Common & { dataset: string }>((args) => {
        const path = runCard(args.root, args.dataset);
        emit(args.json, { card: relative(args.root, path) }, () => `wrote ${relative(args.root, path)}`);
      }),
    )
    .command('version', 'release planning for datasets (see `evalset version plan --help`)', (y) =>
      y
        .command(
          'plan',
          'the semver bump each dataset requires since its latest release tag, with reasons and the diff; exit 1 if a declared version breaks the rules',
          (z) => z.option('dataset', { alias: 'd', type: 'string', describe: 'one dataset (default: all in params.yaml)' }),
          run<Common & { dataset?: string }>((args) => {
            const names = args.dataset ? [args.dataset] : datasetNames(args.root, { kind: 'worktree' });
            const plans = names.map((name) => planFor(args.root, name, { kind: 'worktree' }));
            emit(args.json, plans, () => plans.map(describePlan).join('\n\n'));
            return plans.every((p) => p.ok) ? 0 : 1;
          }),
        )
        .demandCommand(1, 'name a subcommand: plan'),
    )
    .command(
      'tag <dataset>',
      'create the annotated release tag eval-dataset/NAME/vX.Y.Z (refused unless the tree and DVC are clean and the plan accepts the version)',
      (y) => y.positional('dataset', { type: 'string', demandOption: true, describe: 'dataset name' }),
      run<Common & { dataset: string }>((args) => {
        const { tag, plan } = createReleaseTag(args.root, args.dataset);
        emit(args.json, { tag, plan }, () => `created ${tag}`);
      }),
    )
    .command(
      'reproduce <tag>',
      'rebuild a released snapshot from its tag in a temporary worktree and compare SHA-256; exit 1 with a row diff and diagnosis if it differs',
      (y) => y.positional('tag', { type: 'string', demandOption: true, describe: 'release tag, eval-dataset/NAME/vX.Y.Z' }),
      run<Common & { tag: string }>(async (args) => {
        const result = await reproduceTag(args.root, args.tag, rebuildDataset);
        emit(args.json, result, () => describeReproduction(result));
        return result.ok ? 0 : 1;
      }),
    )
    .command(
      'changelog <from> <to>',
      'Markdown changelog between two release tags: examples added, removed and relabeled by stratum, schema changes, structured commits',
      (y) =>
        y
          .positional('from', { type: 'string', demandOption: true, describe: 'older release tag' })
          .positional('to', { type: 'string', demandOption: true, describe: 'newer release tag' }),
      run<Common & { from: string; to: string }>((args) => {
        const changelog = buildChangelog(args.root, args.from, args.to);
        emit(args.json, changelog, () => renderChangelog(changelog).trimEnd());
      }),
    )
    .command(
      'start',
      'the main job: demo inputs if absent, `dvc repro`, then a summary (what `npm start` runs)',
      {},
      run<Common>((args) => startProject(args.root, args.json)),
    )
    .demandCommand(1, 'name a command; `evalset --help` lists them')
    .strict()
    .recommendCommands()
    .fail((msg, err, y) => {
      if (err) throw err;
      process.stderr.write(`${y.help()}\n\nevalset: ${msg}\n`);
      process.exit(2);
    })
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 110));
}

function describePlan(plan: ReleasePlan): string {
  const head = plan.previousTag
    ? `${plan.dataset}: ${plan.previousVersion} → ${plan.declaredVersion} (${plan.previousTag}); required: ${plan.required}${plan.expectedVersion ? ` (${plan.expectedVersion})` : ''}`
    : `${plan.dataset}: first release, ${plan.declaredVersion}`;
  const lines = [head, ...plan.reasons.map((r) => `  ${r.bump}: ${r.reason}`)];
  if (plan.diff) lines.push('changes:', describeDiff(plan.diff));
  lines.push(plan.ok ? 'ok' : `refused: ${plan.violation}`);
  return lines.join('\n');
}
