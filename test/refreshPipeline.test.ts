import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile, tableRows } from '../lib/io/parquet.ts';
import type { Changeset } from '../lib/refresh/changeset.ts';
import { builtCopyOfRepository, evalset, evalsetAsync, git, run, venvDvc, workspace } from './helpers.ts';
import { startGitHubServer } from './support/githubServer.ts';
import { startSlackReceiver } from './support/slackReceiver.ts';

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const ids = (repo: string, name: string) =>
  tableRows(readParquetFile(join(repo, 'evalsets', name, 'data.parquet'), { columns: ['id'] })).map((r) => r.id as string);

describe('refresh on the demo, with real DVC and git: staleness, the proposal, and applying it', () => {
  let repo: string;
  beforeAll(() => {
    repo = builtCopyOfRepository();
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '--no-verify', '--allow-empty', '-m', 'demo built');
    const tagged = evalset(['tag', 'representative'], { cwd: repo });
    if (tagged.status !== 0) throw new Error(`evalset tag failed: ${tagged.stdout}${tagged.stderr}`);
  }, 600_000);

  it('finds the demo traffic stale for the representative set, says why the stress set is not checked, and reports through DVC', () => {
    const quality = readJson(join(repo, 'evalsets', 'representative', 'quality', 'staleness.json'));
    expect(quality.details.action).toBe('re-curate');
    const category = quality.details.dimensions.find((d: { name: string }) => d.name === 'task_category');
    expect(category.jsd).toBeGreaterThan(quality.details.settings.thresholds.recurate);
    expect(category.jsd).toBeGreaterThan(category.noise_floor);
    // The first weeks of demo traffic mirror the pool: the trend crosses only after the planted drift.
    expect(quality.details.trend[0].action).not.toBe('re-curate');
    expect(quality.details.first_recurate).not.toBeNull();
    const stress = readJson(join(repo, 'evalsets', 'stress', 'quality', 'staleness.json'));
    expect(stress.status).toBe('not_run');
    expect(stress.reason).toMatch(/track_traffic/);
    expect(readFileSync(join(repo, 'evalsets', 'representative', 'README.md'), 'utf8')).toMatch(/## Staleness\n\n\*\*re-curate\*\*/);

    const metrics = run(repo, venvDvc, ['metrics', 'show', '--json']);
    expect(metrics.status).toBe(0);
    expect(metrics.stdout).toContain('reports/staleness-representative.json');
    const plots = run(repo, venvDvc, ['plots', 'show', '--json', 'reports/plots/staleness-representative-task_category.csv']);
    expect(plots.status).toBe(0);
    expect(plots.stdout).toContain('"jsd"');
  });

  it('runs the scheduled refresh on the demo against a local GitHub and Slack: one pull request with the card diff and the statistics, never a second, one escalation per 48 h', async () => {
    const TOKEN = 'ghp_demo0000refresh1111token2222abcd';
    let clock = new Date('2026-11-21T06:17:00Z');
    const github = await startGitHubServer({ owner: 'acme', repo: 'evals', token: TOKEN, now: () => clock });
    const slack = await startSlackReceiver();
    const refresh = async (at: Date) => {
      clock = at;
      const r = await evalsetAsync(['refresh', 'run', '--repository', 'acme/evals', '--api-url', github.url, '--now', at.toISOString(), '--json'], {
        cwd: repo,
        env: { GITHUB_TOKEN: TOKEN, SLACK_WEBHOOK_URL: slack.url },
      });
      expect(r.stderr).not.toContain(TOKEN);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { dataset: string; outcome: { result: string; escalated?: boolean } }[];
    };
    const hours = (h: number) => new Date(Date.parse('2026-11-21T06:17:00Z') + h * 3600_000);
    try {
      const first = await refresh(hours(0));
      expect(first.map((r) => [r.dataset, r.outcome.result])).toEqual([['representative', 'opened']]);
      expect(github.pulls).toHaveLength(1);
      const pull = github.pulls[0];
      expect(pull.head).toBe('evalset/refresh/representative/2026-11-21');
      expect(pull.assignees).toEqual(['maria-okafor']);
      expect(pull.labels.map((l) => l.name)).toEqual(['evalset-refresh']);
      // The card diff: the composition the proposal gives, e.g. a code-generation stratum growing.
      expect(pull.body).toMatch(/```diff\n--- a\/evalsets\/representative\/README\.md/);
      expect(pull.body).toMatch(/\n\+\| code-generation×/);
      expect(pull.body).toMatch(/\| code-generation +\| +21\.6% \| +70\.8% \|/);
      const tip = github.commits.get(github.refs.get(pull.head)!)!;
      const committed = JSON.parse(tip.files.get('evalsets/representative/changeset.json')!);
      expect(committed.due).toBe(true);
      expect(tip.message.split('\n')[0]).toBe(committed.commit.subject);
      expect(tip.message).toContain('# Staleness of representative');
      expect(tip.message.trimEnd().split('\n').at(-1)).toMatch(/^Staleness: re-curate/);
      expect(slack.payloads).toHaveLength(1);
      expect(JSON.stringify(slack.payloads[0])).toContain(`#${pull.number}`);

      expect((await refresh(hours(1)))[0].outcome).toMatchObject({ result: 'already-open', escalated: false });
      expect(github.pulls).toHaveLength(1);
      expect((await refresh(hours(49)))[0].outcome).toMatchObject({ result: 'already-open', escalated: true });
      expect((await refresh(hours(60)))[0].outcome).toMatchObject({ result: 'already-open', escalated: false });
      expect(github.comments.map((c) => c.body)).toEqual([expect.stringContaining('@evalset-oncall')]);
      expect(slack.payloads).toHaveLength(2);
    } finally {
      await github.close();
      await slack.close();
    }
  });

  it('applies the proposal: retired examples archived with the version that retired them, the bump the rules require, exactly the proposed set, a structured commit the changelog lists', () => {
    const file = join(repo, 'evalsets', 'representative', 'changeset.json');
    const changeset: Changeset = readJson(file);
    expect(changeset.due).toBe(true);
    expect(changeset.retire.length).toBeGreaterThan(0);
    expect(changeset.overlap).toBeGreaterThanOrEqual(0.7);
    const before = new Set(ids(repo, 'representative'));
    for (const e of changeset.add) expect(before.has(e.id)).toBe(false);
    // Keep the approved proposal outside the tree the apply rewrites.
    const approved = join(workspace('evalset-approved-'), 'changeset.json');
    copyFileSync(file, approved);

    const applied = evalset(['recurate', 'representative', '--apply', approved, '--json'], { cwd: repo });
    expect(applied.stderr).not.toMatch(/ERROR/);
    expect(applied.status).toBe(0);
    const result = JSON.parse(applied.stdout);
    expect(result.version).toEqual({ from: '0.1.0', to: '0.2.0' });

    const after = ids(repo, 'representative');
    expect(after).toEqual([...changeset.retain, ...changeset.replace, ...changeset.add].map((e) => e.id).sort());
    const archive = readFileSync(join(repo, 'evalsets', 'representative', 'archive', 'retired.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(archive.map((a) => a.id)).toEqual(changeset.retire.map((e) => e.id));
    expect(new Set(archive.map((a) => a.retired_in))).toEqual(new Set(['0.2.0']));
    expect(archive[0].row.prompt).toEqual(expect.any(String));
    expect(git(repo, 'log', '-1', '--format=%s')).toBe(changeset.commit.subject);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(run(repo, venvDvc, ['status', '-q']).status).toBe(0);

    const tagged = evalset(['tag', 'representative'], { cwd: repo });
    expect(tagged.stdout + tagged.stderr).toContain('eval-dataset/representative/v0.2.0');
    const changelog = evalset(['changelog', 'eval-dataset/representative/v0.1.0', 'eval-dataset/representative/v0.2.0'], { cwd: repo });
    expect(changelog.status).toBe(0);
    expect(changelog.stdout).toContain(changeset.commit.subject.replace(/^dataset\(representative\): /, ''));
    expect(changelog.stdout).toMatch(new RegExp(`${changeset.retire.length} examples? removed|Removed.*${changeset.retire.length}`));

    // The retired examples stay out of later draws: the sample stage quarantines them when the draw passes them.
    const eligibility = readJson(join(repo, 'evalsets', 'representative', 'quality', 'eligibility.json'));
    expect(JSON.stringify(eligibility)).toContain('"retired"');

    // The old changeset no longer matches the build: refused, nothing changed.
    const again = evalset(['recurate', 'representative', '--apply', approved], { cwd: repo });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/another build/);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });
});
