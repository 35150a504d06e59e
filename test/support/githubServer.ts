/**
 * A local stand-in for the GitHub REST endpoints the refresh runner uses (lib/refresh/github.ts), in memory, Node's
 * http module only. Response shapes follow docs.github.com/rest for the fields a client reads (a subset of each
 * documented object, same names and types); it is no full emulation: no permissions model, no merge, no webhooks.
 *
 *   GET  /repos/{o}/{r}                                   repository (default_branch, full_name, …)
 *   GET  /repos/{o}/{r}/git/ref/heads/{branch}            git reference {ref, node_id, url, object: {type, sha, url}}
 *   POST /repos/{o}/{r}/git/refs                          201 git reference; 422 "Reference already exists"
 *   GET  /repos/{o}/{r}/contents/{path}?ref=              file content {type: "file", encoding: "base64", sha, …}; 404
 *   PUT  /repos/{o}/{r}/contents/{path}                   201 (created) / 200 (updated) {content, commit}; 409 on a stale sha
 *   GET  /repos/{o}/{r}/pulls?state=&head=&base=&per_page=&page=   pull requests (head.ref, labels, created_at, …)
 *   POST /repos/{o}/{r}/pulls                             201 pull request; 422 when head is missing
 *   POST /repos/{o}/{r}/issues/{n}/labels                 200 [label]
 *   POST /repos/{o}/{r}/issues/{n}/assignees              201 issue
 *   POST /repos/{o}/{r}/issues/{n}/comments               201 issue comment
 *   GET  /repos/{o}/{r}/issues/{n}/comments?since=&per_page=&page=   [issue comment], with a Link header when paged
 *
 * Every request must carry `Authorization: token T` or `Bearer T` when a token is configured (401 "Bad credentials"
 * otherwise). Time comes from the injected `now`, so created_at values follow the test's clock.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubServerOptions {
  owner?: string;
  repo?: string;
  defaultBranch?: string;
  token?: string;
  /** The server's clock (created_at, updated_at). Default the real one. */
  now?: () => Date;
  /** Answer every request with this status and a GitHub-style error body (to test failures). */
  failWith?: { status: number; message: string };
}

export interface StoredCommit {
  sha: string;
  message: string;
  parent: string | undefined;
  /** The whole tree after this commit: path → content (UTF-8). */
  files: Map<string, string>;
}

export interface StoredLabel {
  id: number;
  name: string;
  color: string;
}

export interface StoredPull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  created_at: string;
  updated_at: string;
  labels: StoredLabel[];
  assignees: string[];
}

export interface StoredComment {
  id: number;
  issue_number: number;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  body?: unknown;
}

export interface GitHubServer {
  url: string;
  close(): Promise<void>;
  /** branch → commit sha */
  refs: Map<string, string>;
  commits: Map<string, StoredCommit>;
  pulls: StoredPull[];
  comments: StoredComment[];
  requests: RecordedRequest[];
  /** Sets the clock (for tests that move time on). */
  setNow(now: () => Date): void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const DOCS = 'https://docs.github.com/rest';

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function blobSha(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]))
    .digest('hex');
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Problems parsing JSON');
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(body === undefined ? '' : JSON.stringify(body));
}

export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'evals';
  const defaultBranch = options.defaultBranch ?? 'main';
  let now = options.now ?? (() => new Date());
  const stamp = () =>
    now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');

  const root = { sha: sha1('root'), message: 'initial commit', parent: undefined, files: new Map([['README.md', '# evals\n']]) };
  const commits = new Map<string, StoredCommit>([[root.sha, root]]);
  const refs = new Map<string, string>([[defaultBranch, root.sha]]);
  const pulls: StoredPull[] = [];
  const comments: StoredComment[] = [];
  const requests: RecordedRequest[] = [];
  const labels = new Map<string, StoredLabel>();
  let nextId = 1000;

  const state = { url: '' };
  const api = () => state.url;
  const repoUrl = () => `${api()}/repos/${owner}/${repo}`;
  const html = `https://github.example/${owner}/${repo}`;
  const user = (login: string) => ({
    login,
    id: sha1(login).length,
    type: 'User',
    url: `${api()}/users/${login}`,
    html_url: `https://github.example/${login}`,
  });
  const refJson = (branch: string) => ({
    ref: `refs/heads/${branch}`,
    node_id: Buffer.from(`ref:${branch}`).toString('base64'),
    url: `${repoUrl()}/git/refs/heads/${branch}`,
    object: { type: 'commit', sha: refs.get(branch)!, url: `${repoUrl()}/git/commits/${refs.get(branch)!}` },
  });
  const branchJson = (branch: string) => ({
    label: `${owner}:${branch}`,
    ref: branch,
    sha: refs.get(branch) ?? '',
    user: user(owner),
    repo: { id: 1, name: repo, full_name: `${owner}/${repo}` },
  });
  const pullJson = (p: StoredPull) => ({
    url: `${repoUrl()}/pulls/${p.number}`,
    id: 5000 + p.number,
    node_id: Buffer.from(`pr:${p.number}`).toString('base64'),
    html_url: `${html}/pull/${p.number}`,
    issue_url: `${repoUrl()}/issues/${p.number}`,
    comments_url: `${repoUrl()}/issues/${p.number}/comments`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: user('evalset-bot'),
    body: p.body,
    labels: p.labels.map((l) => ({
      ...l,
      node_id: Buffer.from(`label:${l.name}`).toString('base64'),
      url: `${repoUrl()}/labels/${l.name}`,
      default: false,
    })),
    assignee: p.assignees[0] ? user(p.assignees[0]) : null,
    assignees: p.assignees.map(user),
    created_at: p.created_at,
    updated_at: p.updated_at,
    closed_at: null,
    merged_at: null,
    draft: false,
    head: branchJson(p.head),
    base: branchJson(p.base),
    author_association: 'MEMBER',
  });
  const issueJson = (p: StoredPull) => ({
    id: 5000 + p.number,
    url: `${repoUrl()}/issues/${p.number}`,
    html_url: `${html}/pull/${p.number}`,
    number: p.number,
    state: p.state,
    title: p.title,
    body: p.body,
    user: user('evalset-bot'),
    labels: pullJson(p).labels,
    assignee: p.assignees[0] ? user(p.assignees[0]) : null,
    assignees: p.assignees.map(user),
    pull_request: { url: `${repoUrl()}/pulls/${p.number}`, html_url: `${html}/pull/${p.number}` },
    created_at: p.created_at,
    updated_at: p.updated_at,
  });
  const commentJson = (c: StoredComment) => ({
    id: c.id,
    node_id: Buffer.from(`comment:${c.id}`).toString('base64'),
    url: `${repoUrl()}/issues/comments/${c.id}`,
    html_url: `${html}/pull/${c.issue_number}#issuecomment-${c.id}`,
    issue_url: `${repoUrl()}/issues/${c.issue_number}`,
    body: c.body,
    user: user('evalset-bot'),
    created_at: c.created_at,
    updated_at: c.updated_at,
    author_association: 'MEMBER',
  });

  const pullOf = (n: number) => {
    const p = pulls.find((x) => x.number === n);
    if (!p) throw new HttpError(404, 'Not Found');
    return p;
  };

  /** Page `items` as GitHub does (per_page ≤ 100, default 30; page from 1), with a Link header for the next page. */
  const paged = (items: unknown[], query: URLSearchParams, path: string): [unknown[], Record<string, string>] => {
    const perPage = Math.min(100, Number(query.get('per_page') ?? 30) || 30);
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    if (page * perPage >= items.length) return [slice, {}];
    const next = new URLSearchParams(query);
    next.set('page', String(page + 1));
    next.set('per_page', String(perPage));
    return [slice, { link: `<${api()}${path}?${next}>; rel="next"` }];
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    const body = (await readBody(request)) as Record<string, unknown> | undefined;
    requests.push({ method, path: url.pathname + url.search, body });

    if (options.token !== undefined) {
      const auth = request.headers.authorization ?? '';
      if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}`) throw new HttpError(401, 'Bad credentials');
    }
    if (options.failWith) throw new HttpError(options.failWith.status, options.failWith.message);

    const prefix = `/repos/${owner}/${repo}`;
    if (!url.pathname.startsWith(prefix)) throw new HttpError(404, 'Not Found');
    // Octokit sends `heads%2Fmain` and `a%2Fb.json` for {ref} and {path}; GitHub takes either form.
    const path = decodeURIComponent(url.pathname.slice(prefix.length));
    let m: RegExpMatchArray | null;

    if (path === '' && method === 'GET') {
      return send(response, 200, {
        id: 1,
        name: repo,
        full_name: `${owner}/${repo}`,
        private: true,
        owner: user(owner),
        html_url: html,
        default_branch: defaultBranch,
      });
    }
    if ((m = path.match(/^\/git\/ref\/heads\/(.+)$/)) && method === 'GET') {
      const branch = decodeURIComponent(m[1]);
      if (!refs.has(branch)) throw new HttpError(404, 'Not Found');
      return send(response, 200, refJson(branch));
    }
    if (path === '/git/refs' && method === 'POST') {
      const ref = body?.ref;
      const sha = body?.sha;
      if (typeof ref !== 'string' || !ref.startsWith('refs/') || ref.split('/').length < 3)
        throw new HttpError(422, 'Reference name must start with refs/ and have at least two slashes.');
      if (typeof sha !== 'string' || !commits.has(sha)) throw new HttpError(422, 'Object does not exist');
      const branch = ref.replace(/^refs\/heads\//, '');
      if (refs.has(branch)) throw new HttpError(422, 'Reference already exists');
      refs.set(branch, sha);
      return send(response, 201, refJson(branch), { location: `${repoUrl()}/git/refs/heads/${branch}` });
    }
    if ((m = path.match(/^\/contents\/(.+)$/))) {
      const filePath = decodeURIComponent(m[1]);
      if (method === 'GET') {
        const branch = url.searchParams.get('ref') ?? defaultBranch;
        const tip = refs.get(branch);
        const content = tip === undefined ? undefined : commits.get(tip)!.files.get(filePath);
        if (content === undefined) throw new HttpError(404, 'Not Found');
        return send(response, 200, {
          type: 'file',
          encoding: 'base64',
          size: Buffer.byteLength(content),
          name: filePath.split('/').pop(),
          path: filePath,
          content: Buffer.from(content).toString('base64'),
          sha: blobSha(content),
          url: `${repoUrl()}/contents/${filePath}?ref=${branch}`,
        });
      }
      if (method === 'PUT') {
        const branch = typeof body?.branch === 'string' ? body.branch : defaultBranch;
        if (typeof body?.message !== 'string' || typeof body?.content !== 'string')
          throw new HttpError(422, 'Invalid request.\n\n"message" and "content" are required.');
        const tip = refs.get(branch);
        if (tip === undefined) throw new HttpError(404, `Branch ${branch} not found`);
        const parent = commits.get(tip)!;
        const existing = parent.files.get(filePath);
        if (existing !== undefined && body.sha !== blobSha(existing)) {
          throw new HttpError(existing !== undefined && body.sha === undefined ? 422 : 409, `${filePath} does not match ${String(body.sha ?? '')}`);
        }
        const content = Buffer.from(body.content, 'base64').toString('utf8');
        const files = new Map(parent.files);
        files.set(filePath, content);
        const sha = sha1(`${tip}\0${filePath}\0${content}\0${body.message}`);
        commits.set(sha, { sha, message: body.message, parent: tip, files });
        refs.set(branch, sha);
        const at = stamp();
        return send(response, existing === undefined ? 201 : 200, {
          content: {
            name: filePath.split('/').pop(),
            path: filePath,
            sha: blobSha(content),
            size: Buffer.byteLength(content),
            type: 'file',
            url: `${repoUrl()}/contents/${filePath}`,
          },
          commit: {
            sha,
            node_id: Buffer.from(`commit:${sha}`).toString('base64'),
            url: `${repoUrl()}/git/commits/${sha}`,
            html_url: `${html}/commit/${sha}`,
            author: { date: at, name: 'evalset-bot', email: 'bot@example.com' },
            committer: { date: at, name: 'evalset-bot', email: 'bot@example.com' },
            message: body.message,
            tree: { url: `${repoUrl()}/git/trees/${sha}`, sha: sha1(`tree:${sha}`) },
            parents: [{ url: `${repoUrl()}/git/commits/${tip}`, html_url: `${html}/commit/${tip}`, sha: tip }],
            verification: { verified: false, reason: 'unsigned', signature: null, payload: null },
          },
        });
      }
    }
    if (path === '/pulls' && method === 'GET') {
      const wanted = url.searchParams.get('state') ?? 'open';
      const head = url.searchParams.get('head');
      const base = url.searchParams.get('base');
      const list = pulls
        .filter((p) => wanted === 'all' || p.state === wanted)
        .filter((p) => !head || `${owner}:${p.head}` === head)
        .filter((p) => !base || p.base === base)
        .sort((a, b) => b.number - a.number)
        .map(pullJson);
      const [page, headers] = paged(list, url.searchParams, url.pathname);
      return send(response, 200, page, headers);
    }
    if (path === '/pulls' && method === 'POST') {
      const { title, head, base } = body ?? {};
      if (typeof title !== 'string' || typeof head !== 'string' || typeof base !== 'string') throw new HttpError(422, 'Validation Failed');
      if (!refs.has(head) || !refs.has(base)) throw new HttpError(422, 'Validation Failed');
      if (pulls.some((p) => p.state === 'open' && p.head === head && p.base === base))
        throw new HttpError(422, `A pull request already exists for ${owner}:${head}.`);
      const at = stamp();
      const pull: StoredPull = {
        number: pulls.length + 1,
        title,
        body: typeof body?.body === 'string' ? body.body : '',
        head,
        base,
        state: 'open',
        created_at: at,
        updated_at: at,
        labels: [],
        assignees: [],
      };
      pulls.push(pull);
      return send(response, 201, pullJson(pull), { location: `${repoUrl()}/pulls/${pull.number}` });
    }
    if ((m = path.match(/^\/issues\/(\d+)\/labels$/)) && method === 'POST') {
      const pull = pullOf(Number(m[1]));
      const names = body?.labels;
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new HttpError(422, 'Validation Failed');
      for (const name of names as string[]) {
        if (!labels.has(name)) labels.set(name, { id: nextId++, name, color: 'ededed' });
        if (!pull.labels.some((l) => l.name === name)) pull.labels.push(labels.get(name)!);
      }
      return send(response, 200, pullJson(pull).labels);
    }
    if ((m = path.match(/^\/issues\/(\d+)\/assignees$/)) && method === 'POST') {
      const pull = pullOf(Number(m[1]));
      const logins = body?.assignees;
      if (!Array.isArray(logins) || !logins.every((n) => typeof n === 'string')) throw new HttpError(422, 'Validation Failed');
      for (const login of logins as string[]) if (!pull.assignees.includes(login)) pull.assignees.push(login);
      return send(response, 201, issueJson(pull));
    }
    if ((m = path.match(/^\/issues\/(\d+)\/comments$/))) {
      const pull = pullOf(Number(m[1]));
      if (method === 'POST') {
        if (typeof body?.body !== 'string') throw new HttpError(422, 'Validation Failed');
        const at = stamp();
        const comment: StoredComment = { id: nextId++, issue_number: pull.number, body: body.body, created_at: at, updated_at: at };
        comments.push(comment);
        pull.updated_at = at;
        return send(response, 201, commentJson(comment), { location: `${repoUrl()}/issues/comments/${comment.id}` });
      }
      if (method === 'GET') {
        const since = url.searchParams.get('since');
        const list = comments
          .filter((c) => c.issue_number === pull.number)
          .filter((c) => !since || Date.parse(c.updated_at) >= Date.parse(since))
          .sort((a, b) => a.id - b.id)
          .map(commentJson);
        const [page, headers] = paged(list, url.searchParams, url.pathname);
        return send(response, 200, page, headers);
      }
    }
    throw new HttpError(404, 'Not Found');
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      send(response, status, { message, documentation_url: DOCS, status: String(status) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: state.url,
    refs,
    commits,
    pulls,
    comments,
    requests,
    setNow(next) {
      now = next;
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
