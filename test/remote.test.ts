import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copyOfRepository, evalset, git, projectRoot, run, venvDvc, venvPython } from './helpers.ts';

// An S3 remote tested the way dvc-s3's own tests do: against moto's S3 server on loopback, through `endpointurl`.
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const s3 = (endpoint: string, code: string) => {
  const r = run(projectRoot, venvPython, ['-c', `import boto3\ns3 = boto3.client('s3', endpoint_url='${endpoint}')\n${code}`]);
  expect(r.stderr).toBe('');
  return r.stdout;
};

describe('an S3 remote (moto server)', () => {
  let moto: ChildProcess;
  let endpoint = '';
  let repo = '';

  beforeAll(async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: 'us-east-1' });
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn(join(projectRoot, '.venv', 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(endpoint)).ok) break;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    s3(endpoint, "s3.create_bucket(Bucket='evalset')");

    repo = copyOfRepository();
    expect(evalset(['demo'], { cwd: repo }).status).toBe(0);
    expect(run(repo, venvDvc, ['repro']).status).toBe(0);
    for (const args of [
      ['remote', 'add', '-d', 's3', 's3://evalset/store'],
      ['remote', 'modify', 's3', 'endpointurl', endpoint],
      ['remote', 'modify', 's3', 'verify', 'true'],
    ]) {
      expect(run(repo, venvDvc, args).status).toBe(0);
    }
    git(repo, 'commit', '-q', '--no-verify', '-am', 'S3 remote');
    const push = run(repo, venvDvc, ['push']);
    expect(push.status).toBe(0);
  });

  afterAll(() => {
    moto?.kill();
  });

  const clone = (name: string) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'evalset-clone-')), name);
    git(repo, 'clone', '-q', repo, dir);
    return dir;
  };
  const files = ['datasets/pool/demo.jsonl', 'evalsets/representative/data.parquet', 'evalsets/stress/data.parquet'];

  it('pushes, and a fresh clone pulls byte-identical data', () => {
    const dir = clone('clone-ok');
    const pull = run(dir, venvDvc, ['pull']);
    expect(pull.status).toBe(0);
    for (const f of files) expect(readFileSync(join(dir, f)).equals(readFileSync(join(repo, f)))).toBe(true);
    expect(run(dir, venvDvc, ['status', '-q']).status).toBe(0);
  });

  it('detects a corrupted object in the remote instead of using it', () => {
    const lock = parse(readFileSync(join(repo, 'dvc.lock'), 'utf8'));
    const md5: string = lock.stages['sample@stress'].outs.find((o: { path: string }) => o.path === 'evalsets/stress/data.parquet').md5;
    s3(endpoint, `s3.put_object(Bucket='evalset', Key='store/files/md5/${md5.slice(0, 2)}/${md5.slice(2)}', Body=b'not parquet')`);
    const dir = clone('clone-corrupt');
    const pull = run(dir, venvDvc, ['pull']);
    expect(pull.status).not.toBe(0);
    expect(pull.stderr).toMatch(/evalsets\/stress\/data\.parquet/);
    const path = join(dir, 'evalsets', 'stress', 'data.parquet');
    expect(existsSync(path) && readFileSync(path).toString() === 'not parquet').toBe(false);
  });
});
