/**
 * The refresh capability's commands: `evalset staleness`, `evalset recurate NAME [--apply FILE]` and
 * `evalset refresh run`. The first two compute what the DVC stages staleness@NAME and recurate@NAME
 * compute, with the same functions; they print it (or write where told) instead of writing the
 * pipeline's outputs.
 */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { run, type Commands, type Common } from '../cli/command.ts';
import { emit, endProgress, progress } from '../cli/output.ts';
import { InvalidInputError } from '../errors.ts';
import { writeAtomic } from '../io/atomic.ts';
import { dvcOrThrow } from '../io/dvc.ts';
import { renderStaleness } from '../card/sections/staleness.ts';
import { applyChangeset } from './apply.ts';
import { changesetJson, type Changeset } from './changeset.ts';
import { describeChangeset } from './describe.ts';
import { saveEntityCache } from './entities.ts';
import { GitHubClient } from './github.ts';
import { stalenessOf } from './project.ts';
import { recurateOf } from './recurateProject.ts';
import { describeRefresh, refreshRun, trafficDatasets } from './refreshRun.ts';
import type { StalenessDetails } from './result.ts';
import { SlackWebhook, type RefreshSlack } from './slack.ts';

/** Without SLACK_WEBHOOK_URL the runner still runs; it says that no message was sent. */
const noSlack: RefreshSlack = {
  post: async () => {
    process.stderr.write('evalset: SLACK_WEBHOOK_URL is not set: no Slack message sent\n');
  },
};

export const commands: Commands = () => [
  {
    command: 'staleness',
    describe: 'staleness against production traffic: JSD per dimension with its noise floor and action (exit 1 when re-curation is due)',
    builder: (y: Argv<Common>) =>
      y
        .option('dataset', { alias: 'd', type: 'string', describe: 'one dataset (default: every dataset whose refresh.track_traffic is true)' })
        .option('traffic', { type: 'string', describe: 'a folder of daily partitions YYYY-MM-DD.jsonl (default: datasets/traffic)' }),
    handler: run<Common & { dataset?: string; traffic?: string }>(async (args) => {
      const names = args.dataset ? [args.dataset] : trafficDatasets(args.root);
      const results: Awaited<ReturnType<typeof stalenessOf>>[] = [];
      for (const name of names)
        results.push(
          await stalenessOf(args.root, name, { traffic: args.traffic && resolve(args.traffic), onProgress: progress(`staleness ${name}: prompts`) }),
        );
      endProgress();
      saveEntityCache();
      const json = results.map((r) => ({ dataset: r.dataset, status: r.status, summary: r.summary, reason: r.reason, ...r.details }));
      emit(args.json, json.length === 1 ? json[0] : json, () =>
        results.map((r) => `${r.dataset}: ${r.status === 'not_run' ? `not run: ${r.reason}` : `\n${renderStaleness(r as never)}`}`).join('\n\n'),
      );
      return results.some((r) => (r.details as Partial<StalenessDetails>).action === 're-curate') ? 1 : 0;
    }),
  },
  {
    command: 'recurate <dataset>',
    describe: 'propose a delta re-curation (retain / retire / replace / add) against production traffic; --apply applies an approved changeset',
    builder: (y: Argv<Common>) =>
      y
        .positional('dataset', { type: 'string', demandOption: true, describe: 'dataset name' })
        .option('out', { type: 'string', describe: 'write the changeset JSON here (default: print it with --json, a summary otherwise)' })
        .option('apply', { type: 'string', describe: 'apply this approved changeset: archive, params, `dvc repro`, version, commit' })
        .option('commit', { type: 'boolean', default: true, describe: 'with --apply: commit the change (--no-commit leaves it staged for you)' }),
    handler: run<Common & { dataset: string; out?: string; apply?: string; commit: boolean }>(async (args) => {
      if (args.apply) {
        const result = await applyChangeset(args.root, args.dataset, resolve(args.apply), {
          commit: args.commit,
          rebuild: (root) => void dvcOrThrow(root, ['repro'], { inherit: true }),
        });
        emit(
          args.json,
          result,
          () =>
            `${result.dataset}: ${result.version.from} → ${result.version.to}: retired ${result.retired} (archived in ${result.archive}), added ${result.added}, relabeled ${result.replaced}` +
            (result.commit ? `; committed ${result.commit.slice(0, 12)}` : '; not committed'),
        );
        return;
      }
      const changeset = recurateOf(args.root, args.dataset);
      if (args.out) writeAtomic(resolve(args.out), changesetJson(changeset as Changeset));
      emit(args.json, changeset, () => describeChangeset(changeset) + (args.out ? `\nwrote ${args.out}` : ''));
    }),
  },
  {
    command: 'refresh',
    describe: 'the scheduled refresh (see `evalset refresh run --help`)',
    builder: (y) =>
      y
        .command(
          'run',
          'check staleness; when re-curation is due open one refresh pull request (idempotent), and escalate one left unaddressed for 48 h',
          (z) =>
            z
              .option('dataset', { alias: 'd', type: 'array', string: true, describe: 'datasets to check (default: those that track traffic)' })
              .option('repository', { type: 'string', default: process.env.GITHUB_REPOSITORY, describe: 'owner/repo (default: $GITHUB_REPOSITORY)' })
              .option('api-url', {
                type: 'string',
                default: process.env.GITHUB_API_URL ?? 'https://api.github.com',
                describe: 'GitHub REST API base URL (GitHub Enterprise Server: https://HOST/api/v3)',
              })
              .option('now', { type: 'string', describe: 'the time to act as of (ISO 8601; default: now)' }),
          run<Common & { dataset?: string[]; repository?: string; 'api-url': string; now?: string }>(async (args) => {
            if (!args.repository)
              throw new InvalidInputError([{ file: '--repository', message: 'name the repository: owner/repo (or set GITHUB_REPOSITORY)' }]);
            const now = args.now ? new Date(args.now) : new Date();
            if (Number.isNaN(now.getTime())) throw new InvalidInputError([{ file: '--now', message: `is not a date: ${args.now}` }]);
            const results = await refreshRun({
              root: args.root,
              repository: args.repository,
              github: new GitHubClient({ baseUrl: args['api-url'] }),
              slack: process.env.SLACK_WEBHOOK_URL ? new SlackWebhook() : noSlack,
              now,
              datasets: args.dataset,
            });
            emit(args.json, results, () => describeRefresh(results));
          }),
        )
        .demandCommand(1, 'name a subcommand: run'),
    handler: () => {},
  },
];
