/**
 * `evalset refresh run`: the scheduled job, the same locally, in GitHub Actions or from an Airflow
 * task. For each dataset that tracks traffic it measures staleness and proposes a re-curation
 * (lib/refresh/recurateProject.ts) on the checkout, then hands the result to the runner
 * (lib/refresh/runner.ts), which talks to GitHub and Slack: a pull request when re-curation is due
 * and none is open, an escalation when one has waited more than 48 hours, nothing otherwise.
 */
import { datasetParams, loadParams } from '../config/params.ts';
import { projectPaths } from '../config/paths.ts';
import { InvalidInputError } from '../errors.ts';
import { changesetJson, commitMessage, type Changeset } from './changeset.ts';
import { proposedCardDiff } from './cardDiff.ts';
import { stratumStatistics } from './describe.ts';
import type { RefreshGitHub } from './github.ts';
import { recurateWithStaleness } from './recurateProject.ts';
import { stalenessReport } from './result.ts';
import { runRefresh, type RefreshOutcome } from './runner.ts';
import type { RefreshSlack } from './slack.ts';

export interface RefreshRunOptions {
  root: string;
  /** `owner/repo` on GitHub. */
  repository: string;
  github: RefreshGitHub;
  slack: RefreshSlack;
  now: Date;
  /** The datasets to check (default: every dataset whose `refresh.track_traffic` is true). */
  datasets?: string[];
}

export interface DatasetRefresh {
  dataset: string;
  action: string;
  outcome: RefreshOutcome | { result: 'not-run'; reason: string };
}

/** The datasets that track production traffic, in params order. */
export function trafficDatasets(root: string): string[] {
  const params = loadParams(projectPaths(root).params, 'params.yaml');
  return Object.keys(params.datasets).filter((name) => params.datasets[name].refresh?.track_traffic);
}

export async function refreshRun(options: RefreshRunOptions): Promise<DatasetRefresh[]> {
  const { root } = options;
  const [owner, repo] = options.repository.split('/');
  if (!owner || !repo || options.repository.split('/').length !== 2)
    throw new InvalidInputError([{ file: '--repository', message: `must be owner/repo, got "${options.repository}"` }]);
  const params = loadParams(projectPaths(root).params, 'params.yaml');
  const onCall = params.refresh?.on_call;
  const results: DatasetRefresh[] = [];
  for (const dataset of options.datasets ?? trafficDatasets(root)) {
    const ownerLogin = datasetParams(params, dataset).refresh?.owner;
    const { changeset, staleness } = recurateWithStaleness(root, dataset);
    if ('not_run' in changeset) {
      results.push({ dataset, action: 'none', outcome: { result: 'not-run', reason: changeset.not_run } });
      continue;
    }
    const missing = [!ownerLogin && `datasets.${dataset}.refresh.owner`, !onCall && 'refresh.on_call'].filter(Boolean) as string[];
    if (missing.length)
      throw new InvalidInputError(
        missing.map((field) => ({ file: 'params.yaml', field, message: 'is required by `evalset refresh run` (a GitHub login)' })),
      );
    const report = stalenessReport(staleness);
    const outcome = await runRefresh({
      github: options.github,
      slack: options.slack,
      now: options.now,
      dataset,
      owner,
      repo,
      report: { action: changeset.staleness.action, text: report },
      changeset: {
        files: [{ path: `evalsets/${dataset}/changeset.json`, content: changesetJson(changeset as Changeset) }],
        message: commitMessage(changeset.commit, report),
        card_diff: proposedCardDiff(root, dataset, changeset),
        stratum_statistics: stratumStatistics(changeset),
      },
      onCall: onCall!,
      owner_login: ownerLogin!,
    });
    results.push({ dataset, action: changeset.staleness.action, outcome });
  }
  return results;
}

export function describeRefresh(results: readonly DatasetRefresh[]): string {
  if (!results.length) return 'no dataset tracks production traffic (datasets.NAME.refresh.track_traffic)';
  return results
    .map(({ dataset, action, outcome }) => {
      switch (outcome.result) {
        case 'not-run':
          return `${dataset}: not checked: ${outcome.reason}`;
        case 'not-due':
          return `${dataset}: staleness ${action}: no re-curation due, nothing opened`;
        case 'opened':
          return `${dataset}: staleness ${action}: opened ${outcome.pull.html_url} from ${outcome.branch}`;
        case 'already-open':
          return `${dataset}: a refresh pull request is already open (${outcome.pull.html_url})${outcome.escalated ? '; escalated to the on-call engineer' : ''}`;
      }
    })
    .join('\n');
}
