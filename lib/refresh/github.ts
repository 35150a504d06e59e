/**
 * The GitHub side of the refresh runner (issue 9, "Scheduled runner"): a thin client over @octokit/rest with a
 * configurable base URL (GitHub Enterprise Server, or the local stand-in test/support/githubServer.ts), the token taken
 * from GITHUB_TOKEN. It reads only the documented response fields it needs, and every failure is rethrown as a
 * GitHubError that names the operation and the HTTP status but never the token (nor the request headers).
 *
 * Endpoints used (REST, docs.github.com/rest):
 *   GET  /repos/{owner}/{repo}                                  default_branch
 *   GET  /repos/{owner}/{repo}/pulls?state=open                 number, html_url, created_at, head.ref, labels[].name
 *   GET  /repos/{owner}/{repo}/git/ref/heads/{branch}           object.sha
 *   POST /repos/{owner}/{repo}/git/refs                         ref, object.sha
 *   GET  /repos/{owner}/{repo}/contents/{path}?ref=             sha (to update an existing file)
 *   PUT  /repos/{owner}/{repo}/contents/{path}                  commit.sha
 *   POST /repos/{owner}/{repo}/pulls                            number, html_url, created_at
 *   POST /repos/{owner}/{repo}/issues/{n}/labels                (labels a pull request, which is an issue)
 *   POST /repos/{owner}/{repo}/issues/{n}/assignees
 *   POST /repos/{owner}/{repo}/issues/{n}/comments              id, html_url, created_at
 *   GET  /repos/{owner}/{repo}/issues/{n}/comments              id, body, created_at
 */
import { Octokit } from '@octokit/rest';

/** The label every refresh pull request carries; with the branch prefix, how an open one is found. */
export const REFRESH_LABEL = 'evalset-refresh';

/** `evalset/refresh/NAME/`: the head-branch prefix of a dataset's refresh pull requests. */
export function refreshBranchPrefix(dataset: string): string {
  return `evalset/refresh/${dataset}/`;
}

export interface RefreshPull {
  number: number;
  html_url: string;
  /** ISO 8601, as GitHub gives it. */
  created_at: string;
  head_ref: string;
}

export interface IssueComment {
  id: number;
  body: string;
  created_at: string;
  html_url?: string;
}

export interface FileToCommit {
  path: string;
  content: string;
}

export interface OpenPullOptions {
  title: string;
  head: string;
  /** The branch to merge into; the repository's default branch when absent. */
  base?: string;
  body: string;
  labels?: string[];
  assignees?: string[];
}

/** What the runner needs from GitHub; GitHubClient implements it, tests may fake it. */
export interface RefreshGitHub {
  defaultBranch(owner: string, repo: string): Promise<string>;
  findOpenRefreshPull(owner: string, repo: string, dataset: string): Promise<RefreshPull | undefined>;
  createBranch(owner: string, repo: string, branch: string, from: string): Promise<string>;
  commitFiles(owner: string, repo: string, branch: string, files: FileToCommit[], message: string): Promise<string>;
  openPull(owner: string, repo: string, options: OpenPullOptions): Promise<RefreshPull>;
  comment(owner: string, repo: string, issue_number: number, body: string): Promise<IssueComment>;
  listComments(owner: string, repo: string, issue_number: number): Promise<IssueComment[]>;
}

/** A GitHub call that failed: the operation, the HTTP status when there was one, GitHub's message. Never the token. */
export class GitHubError extends Error {
  readonly status?: number;
  constructor(operation: string, status: number | undefined, detail: string) {
    super(`GitHub ${operation} failed${status === undefined ? '' : ` (HTTP ${status})`}: ${detail}`);
    this.name = 'GitHubError';
    this.status = status;
  }
}

export interface GitHubClientOptions {
  /** API root, e.g. https://api.github.com or https://ghe.example.com/api/v3. Default api.github.com. */
  baseUrl?: string;
  /** Default: process.env.GITHUB_TOKEN. */
  token?: string;
  /** Tests pass a fetch; default the global one. */
  fetch?: typeof fetch;
}

/** The secret with every occurrence blanked, for text that might echo it. */
function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[REDACTED]') : text;
}

export class GitHubClient implements RefreshGitHub {
  readonly #octokit: Octokit;
  readonly #token: string | undefined;

  constructor(options: GitHubClientOptions = {}) {
    const token = options.token ?? process.env.GITHUB_TOKEN;
    if (!token)
      throw new GitHubError('authentication', undefined, 'no token: set GITHUB_TOKEN (a token with contents, pull-requests and issues write)');
    this.#token = token;
    this.#octokit = new Octokit({
      auth: token,
      baseUrl: (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
      userAgent: 'evalset-refresh-runner',
      request: options.fetch ? { fetch: options.fetch } : undefined,
      // Octokit logs warnings (deprecations) to the console by default; keep the runner's output its own.
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  }

  /** Runs one call, turning any failure into a GitHubError with only the status and GitHub's message, redacted. */
  async #call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const e = error as { status?: unknown; response?: { data?: unknown }; message?: unknown };
      const status = typeof e.status === 'number' ? e.status : undefined;
      const data = e.response?.data as { message?: unknown } | undefined;
      const detail =
        typeof data?.message === 'string'
          ? data.message
          : status === undefined
            ? 'the server could not be reached'
            : String(e.message ?? 'request failed');
      // Not chained (no `cause`): the octokit error carries the request, whose headers hold the token.
      throw new GitHubError(operation, status, redact(detail, this.#token));
    }
  }

  async defaultBranch(owner: string, repo: string): Promise<string> {
    const { data } = await this.#call('get repository', () => this.#octokit.rest.repos.get({ owner, repo }));
    return data.default_branch;
  }

  /**
   * The open pull request of this dataset's refresh, if any: head branch under `evalset/refresh/NAME/` AND labelled
   * `evalset-refresh`. Pages through every open pull request (100 a page). The oldest when there are several.
   */
  async findOpenRefreshPull(owner: string, repo: string, dataset: string): Promise<RefreshPull | undefined> {
    const prefix = refreshBranchPrefix(dataset);
    const pulls = await this.#call('list pull requests', () =>
      this.#octokit.paginate(this.#octokit.rest.pulls.list, { owner, repo, state: 'open', per_page: 100 }),
    );
    const matching = pulls
      .filter((p) => p.head.ref.startsWith(prefix) && p.labels.some((l) => l.name === REFRESH_LABEL))
      .sort((a, b) => a.number - b.number);
    const p = matching[0];
    return p && { number: p.number, html_url: p.html_url, created_at: p.created_at, head_ref: p.head.ref };
  }

  /** Creates `refs/heads/BRANCH` at the tip of `from`; returns the commit SHA it points at. */
  async createBranch(owner: string, repo: string, branch: string, from: string): Promise<string> {
    const { data: base } = await this.#call(`read branch ${from}`, () => this.#octokit.rest.git.getRef({ owner, repo, ref: `heads/${from}` }));
    const { data } = await this.#call(`create branch ${branch}`, () =>
      this.#octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: base.object.sha }),
    );
    return data.object.sha;
  }

  /**
   * Commits each file to `branch` through the contents API, one commit per file, every commit with `message`
   * (subject, blank line, body). An existing file is updated (its blob SHA looked up first). Returns the last
   * commit's SHA.
   */
  async commitFiles(owner: string, repo: string, branch: string, files: FileToCommit[], message: string): Promise<string> {
    if (files.length === 0) throw new GitHubError('commit files', undefined, 'nothing to commit');
    let last = '';
    for (const file of files) {
      const sha = await this.#existingSha(owner, repo, branch, file.path);
      const { data } = await this.#call(`commit ${file.path}`, () =>
        this.#octokit.rest.repos.createOrUpdateFileContents({
          owner,
          repo,
          path: file.path,
          branch,
          message,
          content: Buffer.from(file.content, 'utf8').toString('base64'),
          ...(sha ? { sha } : {}),
        }),
      );
      last = data.commit.sha ?? last;
    }
    return last;
  }

  async #existingSha(owner: string, repo: string, branch: string, path: string): Promise<string | undefined> {
    try {
      const { data } = await this.#octokit.rest.repos.getContent({ owner, repo, path, ref: branch });
      return Array.isArray(data) ? undefined : data.sha;
    } catch (error) {
      if ((error as { status?: unknown }).status === 404) return undefined;
      return this.#call(`read ${path}`, () => Promise.reject(error));
    }
  }

  /** Opens the pull request, then labels it and assigns it (both through the issues API, as GitHub documents). */
  async openPull(owner: string, repo: string, options: OpenPullOptions): Promise<RefreshPull> {
    const base = options.base ?? (await this.defaultBranch(owner, repo));
    const { data: pull } = await this.#call('open pull request', () =>
      this.#octokit.rest.pulls.create({ owner, repo, title: options.title, head: options.head, base, body: options.body }),
    );
    if (options.labels?.length) {
      const labels = options.labels;
      await this.#call('label pull request', () => this.#octokit.rest.issues.addLabels({ owner, repo, issue_number: pull.number, labels }));
    }
    if (options.assignees?.length) {
      const assignees = options.assignees;
      await this.#call('assign pull request', () => this.#octokit.rest.issues.addAssignees({ owner, repo, issue_number: pull.number, assignees }));
    }
    return { number: pull.number, html_url: pull.html_url, created_at: pull.created_at, head_ref: pull.head.ref };
  }

  async comment(owner: string, repo: string, issue_number: number, body: string): Promise<IssueComment> {
    const { data } = await this.#call('comment', () => this.#octokit.rest.issues.createComment({ owner, repo, issue_number, body }));
    return { id: data.id, body: data.body ?? body, created_at: data.created_at, html_url: data.html_url };
  }

  /** Every comment on the issue or pull request, oldest first (paginated). */
  async listComments(owner: string, repo: string, issue_number: number): Promise<IssueComment[]> {
    const comments = await this.#call('list comments', () =>
      this.#octokit.paginate(this.#octokit.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 }),
    );
    return comments.map((c) => ({ id: c.id, body: c.body ?? '', created_at: c.created_at, html_url: c.html_url }));
  }
}
