import { commitMessage } from '../lib/refresh/changeset.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitHubClient, GitHubError, REFRESH_LABEL } from '../lib/refresh/github.ts';
import { ESCALATION_MARKER, escalationPayload, openedPayload, runRefresh, type RunRefreshOptions } from '../lib/refresh/runner.ts';
import { SlackError, SlackWebhook } from '../lib/refresh/slack.ts';
import { startGitHubServer, type GitHubServer } from './support/githubServer.ts';
import { startSlackReceiver, type SlackReceiver } from './support/slackReceiver.ts';

const TOKEN = 'ghp_test0000secret1111token2222abcd';
const T0 = new Date('2026-03-02T09:00:00Z');
const hoursAfter = (h: number) => new Date(T0.getTime() + h * 3600_000);

let github: GitHubServer;
let slack: SlackReceiver;
let clock: Date;

beforeEach(async () => {
  clock = T0;
  github = await startGitHubServer({ owner: 'acme', repo: 'evals', token: TOKEN, now: () => clock });
  slack = await startSlackReceiver();
});

afterEach(async () => {
  await github.close();
  await slack.close();
});

function options(now: Date, action: 're-curate' | 'monitor' = 're-curate'): RunRefreshOptions {
  clock = now;
  return {
    github: new GitHubClient({ baseUrl: github.url, token: TOKEN }),
    slack: new SlackWebhook({ url: slack.url }),
    now,
    dataset: 'support-qa',
    owner: 'acme',
    repo: 'evals',
    report: { action, text: 'task_category: JSD 0.142 nats (noise floor 0.031): re-curate' },
    changeset: {
      files: [{ path: 'evalsets/support-qa/changeset.json', content: '{"retain":[],"retire":[],"replace":[],"add":[]}\n' }],
      message: commitMessage(
        {
          subject: 'dataset(support-qa): refresh against production traffic (retire 2, add 2, relabel 0)',
          trailers: { 'Dataset-Change': 'refresh', Retired: '2', Added: '2' },
        },
        'task_category: JSD 0.142 nats (noise floor 0.031): re-curate',
      ),
      card_diff: '-share billing 0.20\n+share billing 0.35\n',
      stratum_statistics: '| stratum | reference | production |\n|---|---|---|\n| billing | 0.20 | 0.35 |',
    },
    onCall: 'oncall-eng',
    owner_login: 'dataset-owner',
  };
}

describe('runRefresh', () => {
  it('opens one pull request when re-curation is due, and not a second while it is open', async () => {
    const first = await runRefresh(options(T0));
    expect(first.result).toBe('opened');
    expect(github.pulls).toHaveLength(1);
    const pull = github.pulls[0];
    expect(pull.head).toBe('evalset/refresh/support-qa/2026-03-02');
    expect(pull.base).toBe('main');
    expect(pull.labels.map((l) => l.name)).toEqual([REFRESH_LABEL]);
    expect(pull.assignees).toEqual(['dataset-owner']);
    expect(pull.body).toContain('+share billing 0.35');
    expect(pull.body).toContain('| billing | 0.20 | 0.35 |');

    const tip = github.commits.get(github.refs.get(pull.head)!)!;
    expect(tip.message).toBe(
      'dataset(support-qa): refresh against production traffic (retire 2, add 2, relabel 0)\n\ntask_category: JSD 0.142 nats (noise floor 0.031): re-curate\n\nDataset-Change: refresh\nRetired: 2\nAdded: 2\n',
    );
    expect(tip.files.get('evalsets/support-qa/changeset.json')).toContain('"retire"');

    const second = await runRefresh(options(hoursAfter(24)));
    expect(second).toMatchObject({ result: 'already-open', escalated: false });
    expect(github.pulls).toHaveLength(1);
    expect(slack.payloads).toEqual([
      openedPayload('support-qa', { number: 1, html_url: 'https://github.example/acme/evals/pull/1', created_at: '', head_ref: '' }, 'dataset-owner'),
    ]);
  });

  it('does nothing when re-curation is not due and nothing is open', async () => {
    expect(await runRefresh(options(T0, 'monitor'))).toEqual({ result: 'not-due' });
    expect(github.pulls).toHaveLength(0);
    expect(slack.payloads).toHaveLength(0);
  });

  it('ignores open pull requests without the label or outside the branch prefix', async () => {
    await runRefresh(options(T0));
    github.pulls[0].labels = [];
    const again = await runRefresh(options(hoursAfter(24)));
    expect(again.result).toBe('opened'); // a new branch the next day, since the first no longer counts
    expect(github.pulls).toHaveLength(2);
  });

  it('escalates once per 48 h: +49 h one comment and one Slack message, +60 h none, +97 h another', async () => {
    await runRefresh(options(T0));
    const opened = slack.payloads.length;
    const pull = { number: 1, html_url: 'https://github.example/acme/evals/pull/1', created_at: '', head_ref: '' };

    expect(await runRefresh(options(hoursAfter(47)))).toMatchObject({ result: 'already-open', escalated: false });
    expect(await runRefresh(options(hoursAfter(48)))).toMatchObject({ result: 'already-open', escalated: false }); // not MORE than 48 h

    expect(await runRefresh(options(hoursAfter(49)))).toMatchObject({ escalated: true });
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0].body).toContain(ESCALATION_MARKER);
    expect(github.comments[0].body).toContain('@oncall-eng');
    expect(slack.payloads.slice(opened)).toEqual([escalationPayload('support-qa', pull, 49, 'oncall-eng')]);

    expect(await runRefresh(options(hoursAfter(60)))).toMatchObject({ escalated: false });
    expect(github.comments).toHaveLength(1);
    expect(slack.payloads).toHaveLength(opened + 1);

    expect(await runRefresh(options(hoursAfter(97)))).toMatchObject({ escalated: true });
    expect(github.comments).toHaveLength(2);
    expect(slack.payloads.slice(opened)).toEqual([
      escalationPayload('support-qa', pull, 49, 'oncall-eng'),
      escalationPayload('support-qa', pull, 97, 'oncall-eng'),
    ]);
    expect(github.pulls).toHaveLength(1);
  });

  it('a comment without the marker does not count as an escalation', async () => {
    await runRefresh(options(T0));
    await new GitHubClient({ baseUrl: github.url, token: TOKEN }).comment('acme', 'evals', 1, 'looks fine, @oncall-eng will check');
    clock = hoursAfter(30);
    expect(await runRefresh(options(hoursAfter(49)))).toMatchObject({ escalated: true });
  });

  it('finds the open pull request and the last escalation across pages (Link header pagination)', async () => {
    for (let i = 0; i < 120; i++) {
      const at = T0.toISOString();
      github.pulls.push({
        number: i + 1,
        title: `other ${i}`,
        body: '',
        head: `feature/${i}`,
        base: 'main',
        state: 'open',
        created_at: at,
        updated_at: at,
        labels: [],
        assignees: [],
      });
    }
    expect((await runRefresh(options(T0))).result).toBe('opened');
    const refresh = github.pulls.at(-1)!;
    expect(refresh.number).toBe(121);
    // The list is newest (highest number) first, 100 a page: renumbered 0, the refresh pull request is on page 2.
    refresh.number = 0;
    github.pulls.push(...github.pulls.splice(github.pulls.indexOf(refresh), 1));
    expect(await runRefresh(options(hoursAfter(1)))).toMatchObject({ result: 'already-open', pull: { number: 0 } });
    expect(github.requests.some((r) => r.method === 'GET' && r.path.includes('/pulls?') && r.path.includes('page=2'))).toBe(true);

    expect(await runRefresh(options(hoursAfter(49)))).toMatchObject({ escalated: true });
    clock = hoursAfter(50);
    for (let i = 0; i < 130; i++)
      github.comments.push({
        id: 1 + i,
        issue_number: 0,
        body: `chatter ${i}`,
        created_at: clock.toISOString(),
        updated_at: clock.toISOString(),
      });
    // Comments list oldest (lowest id) first: with ids 1…130 the escalation comment is on page 2.
    expect(await runRefresh(options(hoursAfter(60)))).toMatchObject({ escalated: false });
    expect(github.requests.some((r) => r.path.includes('/issues/0/comments?') && r.path.includes('page=2'))).toBe(true);
    expect(github.comments.filter((c) => c.body.includes(ESCALATION_MARKER))).toHaveLength(1);
  });

  it('sends the expected Slack payloads', async () => {
    await runRefresh(options(T0));
    await runRefresh(options(hoursAfter(50)));
    expect(slack.payloads).toEqual([
      {
        text: 'evalset: support-qa needs re-curation. Refresh pull request #1 opened for @dataset-owner: https://github.example/acme/evals/pull/1',
        blocks: [
          {
            type: 'section',
            text: { type: 'mrkdwn', text: '*support-qa* needs re-curation: <https://github.example/acme/evals/pull/1|#1> (owner @dataset-owner)' },
          },
        ],
      },
      {
        text: 'evalset: refresh pull request #1 for support-qa has been open for 50 h without being addressed. On call: @oncall-eng: https://github.example/acme/evals/pull/1',
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: ':warning: *support-qa* refresh <https://github.example/acme/evals/pull/1|#1> open for 50 h. On call: @oncall-eng',
            },
          },
        ],
      },
    ]);
  });
});

describe('secrets stay out of errors', () => {
  const everything = (error: unknown) => {
    const e = error as Error & Record<string, unknown>;
    return [String(e), e.stack ?? '', JSON.stringify(e), JSON.stringify(Object.getOwnPropertyNames(e).map((k) => String(e[k])))].join('\n');
  };

  it('the GitHub token never appears in errors', async () => {
    await github.close();
    github = await startGitHubServer({ token: TOKEN, failWith: { status: 500, message: `boom, Authorization: token ${TOKEN}` } });
    const client = new GitHubClient({ baseUrl: github.url, token: TOKEN });
    const error = await client.findOpenRefreshPull('acme', 'evals', 'support-qa').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitHubError);
    expect((error as GitHubError).status).toBe(500);
    expect(everything(error)).not.toContain(TOKEN);
    expect(String(error)).toContain('[REDACTED]');

    const wrong = new GitHubClient({ baseUrl: github.url, token: `${TOKEN}-wrong` });
    const unauthorised = await wrong.comment('acme', 'evals', 1, 'x').catch((e: unknown) => e);
    expect(unauthorised).toBeInstanceOf(GitHubError);
    expect(everything(unauthorised)).not.toContain(TOKEN);

    const unreachable = await new GitHubClient({ baseUrl: 'http://127.0.0.1:1', token: TOKEN })
      .listComments('acme', 'evals', 1)
      .catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(GitHubError);
    expect(everything(unreachable)).not.toContain(TOKEN);
  });

  it('a missing token is a clear error', () => {
    const saved = process.env.GITHUB_TOKEN;
    delete process.env.GITHUB_TOKEN;
    try {
      expect(() => new GitHubClient({ baseUrl: github.url })).toThrow(/GITHUB_TOKEN/);
    } finally {
      if (saved !== undefined) process.env.GITHUB_TOKEN = saved;
    }
  });

  it('the Slack webhook URL never appears in errors', async () => {
    const wrongPath = new SlackWebhook({ url: slack.url.replace(/X+$/, 'YYYY') });
    const error = await wrongPath.post({ text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackError);
    expect(String(error)).toContain('404');
    expect(String(error)).toContain('no_service');
    expect(everything(error)).not.toContain('/services/');

    const unreachable = await new SlackWebhook({ url: 'http://127.0.0.1:1/services/T/B/secret' }).post({ text: 'x' }).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(SlackError);
    expect(everything(unreachable)).not.toContain('secret');
    expect(() => new SlackWebhook({ url: 'not a url secret' })).toThrow(SlackError);
    try {
      new SlackWebhook({ url: 'not a url secret' });
    } catch (e) {
      expect(String(e)).not.toContain('not a url');
    }
  });
});
