import { run, type Commands, type Common } from '../cli/command.ts';
import { emit } from '../cli/output.ts';
import { buildChangelog, renderChangelog } from './changelog.ts';
import { describeDiff, type ReleasePlan } from './plan.ts';
import { datasetNames, planFor } from './release.ts';
import { describeReproduction, reproduceTag } from './reproduce.ts';
import { createReleaseTag } from './tag.ts';
import { describeWrite, writeRequiredVersions } from './writeVersion.ts';

export const commands: Commands = ({ rebuild }) => [
  {
    command: 'version',
    describe: 'release planning for datasets (see `evalset version plan --help`)',
    builder: (y) =>
      y
        .command(
          'plan',
          'the semver bump each dataset requires since its baseline release, with reasons and the diff; exit 1 if a declared version breaks the rules',
          (z) =>
            z.option('dataset', { alias: 'd', type: 'string', describe: 'one dataset (default: all in params.yaml)' }).option('write', {
              type: 'boolean',
              default: false,
              describe:
                'set each refused version in params.yaml to the one the bump rules require (a first release is left as it is), then plan again',
            }),
          run<Common & { dataset?: string; write: boolean }>((args) => {
            const names = args.dataset ? [args.dataset] : datasetNames(args.root, { kind: 'worktree' });
            const planAll = () => names.map((name) => planFor(args.root, name, { kind: 'worktree' }));
            let plans = planAll();
            if (!args.write) {
              emit(args.json, plans, () => plans.map(describePlan).join('\n\n'));
              return plans.every((p) => p.ok) ? 0 : 1;
            }
            const writes = writeRequiredVersions(args.root, plans);
            // The plan printed is the one after writing: it says whether the written versions pass.
            if (writes.length) plans = planAll();
            const written = new Map(writes.map((w) => [w.dataset, { from: w.from, to: w.to }]));
            emit(
              args.json,
              plans.map((plan) => ({ ...plan, written: written.get(plan.dataset) ?? null })),
              () =>
                [...(writes.length ? [[...writes.map(describeWrite), REBUILD_AFTER_WRITE].join('\n')] : []), ...plans.map(describePlan)].join('\n\n'),
            );
            return plans.every((p) => p.ok) ? 0 : 1;
          }),
        )
        .demandCommand(1, 'name a subcommand: plan'),
    handler: () => {},
  },
  {
    command: 'tag <dataset>',
    describe:
      'create the annotated release tag eval-dataset/NAME/vX.Y.Z (refused unless the tree and DVC are clean and the plan accepts the version)',
    builder: (y) => y.positional('dataset', { type: 'string', demandOption: true, describe: 'dataset name' }),
    handler: run<Common & { dataset: string }>((args) => {
      const { tag, plan } = createReleaseTag(args.root, args.dataset);
      emit(args.json, { tag, plan }, () => `created ${tag}`);
    }),
  },
  {
    command: 'reproduce <tag>',
    describe:
      'rebuild a released snapshot from its tag in a temporary worktree and compare SHA-256; exit 1 with a row diff and diagnosis if it differs',
    builder: (y) => y.positional('tag', { type: 'string', demandOption: true, describe: 'release tag, eval-dataset/NAME/vX.Y.Z' }),
    handler: run<Common & { tag: string }>(async (args) => {
      const result = await reproduceTag(args.root, args.tag, rebuild);
      emit(args.json, result, () => describeReproduction(result));
      return result.ok ? 0 : 1;
    }),
  },
  {
    command: 'changelog <from> <to>',
    describe:
      'Markdown changelog between two release tags: examples added, removed and relabeled by stratum, params and schema changes, structured commits',
    builder: (y) =>
      y
        .positional('from', { type: 'string', demandOption: true, describe: 'older release tag' })
        .positional('to', { type: 'string', demandOption: true, describe: 'newer release tag' }),
    handler: run<Common & { from: string; to: string }>((args) => {
      const changelog = buildChangelog(args.root, args.from, args.to);
      emit(args.json, changelog, () => renderChangelog(changelog).trimEnd());
    }),
  },
];

/** The sample stage reads `version` (meta.json records it), so dvc.lock no longer matches params.yaml until the stage runs again. */
const REBUILD_AFTER_WRITE = 'params.yaml written: run `dvc repro` and stage the result';

function describePlan(plan: ReleasePlan): string {
  const head = plan.previousTag
    ? `${plan.dataset}: ${plan.previousVersion} → ${plan.declaredVersion} (${plan.previousTag}); required: ${plan.required}${plan.expectedVersion ? ` (${plan.expectedVersion})` : ''}`
    : `${plan.dataset}: first release, ${plan.declaredVersion}`;
  const lines = [head, ...plan.reasons.map((r) => `  ${r.bump}: ${r.reason}`)];
  if (plan.diff) lines.push('changes:', describeDiff(plan.diff));
  lines.push(plan.ok ? 'ok' : `refused: ${plan.violation}`);
  return lines.join('\n');
}
