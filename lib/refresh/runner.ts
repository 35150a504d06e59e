/**
 * The refresh runner's orchestration (issue 9, "Scheduled runner"), pure apart from the injected GitHub and Slack
 * clients and the injected time, so the 48-hour rules are tested without waiting:
 *
 * - re-curation due and no refresh pull request open → branch `evalset/refresh/NAME/YYYY-MM-DD` (UTC date of `now`)
 *   from the default branch, the changeset committed (the message holds the staleness report as its body), a pull request
 *   whose description holds the card diff and the per-stratum statistics, labelled `evalset-refresh`, assigned to the
 *   dataset owner, and a Slack message;
 * - a refresh pull request open (head branch under `evalset/refresh/NAME/` and the label) → no second one;
 * - that pull request open for MORE than 48 h, and no escalation comment in the last 48 h → a comment mentioning the
 *   on-call engineer, recognised later by ESCALATION_MARKER in its body, and a Slack message. So at most one
 *   escalation per 48 hours however often the cron runs.
 *
 * What it does not do yet: decide "unaddressed" from reviews or the owner's activity (any open refresh pull request
 * counts), and refresh a stale pull request's branch when a newer changeset comes.
 */
import { REFRESH_LABEL, refreshBranchPrefix, type FileToCommit, type RefreshGitHub, type RefreshPull } from './github.ts';
import type { RefreshSlack, SlackPayload } from './slack.ts';
import type { StalenessAction } from './staleness.ts';

export const ESCALATION_MARKER = '<!-- evalset-refresh-escalation -->';
export const ESCALATION_AFTER_MS = 48 * 3600 * 1000;

/** The staleness report as the runner uses it: the action, and the report's text (the commit body). */
export interface RefreshReport {
  action: StalenessAction;
  /** The human staleness report (Markdown or plain text), used as the commit body. */
  text: string;
}

export interface RefreshChangeset {
  /** The files the proposal commits: the changeset JSON and whatever else it carries. */
  files: FileToCommit[];
  /** The whole commit message: the structured `evalset changelog` subject, the staleness report as the body, the trailers. */
  message: string;
  /** The dataset card diff (unified diff text) for the pull request description. */
  card_diff: string;
  /** The per-stratum statistics (a Markdown table) for the pull request description. */
  stratum_statistics: string;
}

export interface RunRefreshOptions {
  github: RefreshGitHub;
  slack: RefreshSlack;
  now: Date;
  dataset: string;
  owner: string;
  repo: string;
  report: RefreshReport;
  changeset: RefreshChangeset;
  /** GitHub login of the on-call engineer, mentioned on escalation. */
  onCall: string;
  /** GitHub login of the dataset owner (params), assigned to the pull request. */
  owner_login: string;
}

export type RefreshOutcome =
  { result: 'not-due' } | { result: 'opened'; pull: RefreshPull; branch: string } | { result: 'already-open'; pull: RefreshPull; escalated: boolean };

/** `YYYY-MM-DD` of an instant, in UTC. */
export function utcDate(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function pullBody(dataset: string, changeset: RefreshChangeset): string {
  return [
    `Staleness crossed the re-curation threshold for \`${dataset}\`. This pull request proposes the delta; nothing is applied until it is approved and merged.`,
    '',
    '## Dataset card diff',
    '',
    'The card with the proposed composition. Its quality sections are recomputed on the applied set: `evalset recurate NAME --apply` runs the pipeline.',
    '',
    '```diff',
    changeset.card_diff.replace(/\n+$/, ''),
    '```',
    '',
    '## Per-stratum statistics',
    '',
    changeset.stratum_statistics.replace(/\n+$/, ''),
    '',
  ].join('\n');
}

export function openedPayload(dataset: string, pull: RefreshPull, owner_login: string): SlackPayload {
  const text = `evalset: ${dataset} needs re-curation. Refresh pull request #${pull.number} opened for @${owner_login}: ${pull.html_url}`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*${dataset}* needs re-curation: <${pull.html_url}|#${pull.number}> (owner @${owner_login})` },
      },
    ],
  };
}

export function escalationPayload(dataset: string, pull: RefreshPull, hours: number, onCall: string): SlackPayload {
  const text = `evalset: refresh pull request #${pull.number} for ${dataset} has been open for ${hours} h without being addressed. On call: @${onCall}: ${pull.html_url}`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `:warning: *${dataset}* refresh <${pull.html_url}|#${pull.number}> open for ${hours} h. On call: @${onCall}` },
      },
    ],
  };
}

export function escalationComment(hours: number, onCall: string): string {
  return `${ESCALATION_MARKER}\n@${onCall} this refresh pull request has been open for ${hours} hours without being addressed. Please review it or hand it to the dataset owner.`;
}

export async function runRefresh(options: RunRefreshOptions): Promise<RefreshOutcome> {
  const { github, slack, now, dataset, owner, repo, report, changeset, owner_login } = options;
  const open = await github.findOpenRefreshPull(owner, repo, dataset);
  if (open) return { result: 'already-open', pull: open, escalated: await escalateIfDue(options, open) };
  if (report.action !== 're-curate') return { result: 'not-due' };

  const branch = `${refreshBranchPrefix(dataset)}${utcDate(now)}`;
  const base = await github.defaultBranch(owner, repo);
  await github.createBranch(owner, repo, branch, base);
  await github.commitFiles(owner, repo, branch, changeset.files, changeset.message);
  const pull = await github.openPull(owner, repo, {
    title: `evalset refresh: ${dataset} (${utcDate(now)})`,
    head: branch,
    base,
    body: pullBody(dataset, changeset),
    labels: [REFRESH_LABEL],
    assignees: [owner_login],
  });
  await slack.post(openedPayload(dataset, pull, owner_login));
  return { result: 'opened', pull, branch };
}

/** Escalates `pull` when it has been open for more than 48 h and no escalation comment is younger than 48 h. */
async function escalateIfDue(options: RunRefreshOptions, pull: RefreshPull): Promise<boolean> {
  const { github, slack, now, dataset, owner, repo, onCall } = options;
  const age = now.getTime() - Date.parse(pull.created_at);
  if (!(age > ESCALATION_AFTER_MS)) return false;
  const comments = await github.listComments(owner, repo, pull.number);
  const lastEscalation = Math.max(-Infinity, ...comments.filter((c) => c.body.includes(ESCALATION_MARKER)).map((c) => Date.parse(c.created_at)));
  if (now.getTime() - lastEscalation < ESCALATION_AFTER_MS) return false;
  const hours = Math.floor(age / 3600_000);
  await github.comment(owner, repo, pull.number, escalationComment(hours, onCall));
  await slack.post(escalationPayload(dataset, pull, hours, onCall));
  return true;
}
