/**
 * `npm run bench:changelog`: the time to build and render a changelog with hundreds of thousands of
 * changes, against the tool a user would reach for to see what changed between two releases'
 * manifests, `git diff` of the two files (`git diff --no-index`, the same work as
 * `git diff TAG1 TAG2 -- evalsets/NAME/manifest.jsonl`), measured in the same run on the same files.
 *
 *   npm run bench:changelog [-- --runs N] [--json]
 *
 * Cases: a seed change on a 100,000-example dataset (every id drawn anew: 100,000 removed + 100,000
 * added) spread over 15 strata, and the same concentrated in one stratum; and 40,000 changes
 * (20,000 removed + 20,000 added) in one stratum, the case the first version took 17 s on.
 * evalset is timed in process: snapshots from the manifest text (as read from git), diff, changelog,
 * Markdown. The peer is a child process, so its time includes process start (a few ms).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { changelogOf, renderChangelog } from '../lib/versioning/changelog.ts';
import { snapshotOf } from '../lib/versioning/snapshot.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const log = (m: string) => process.stderr.write(`[bench:changelog] ${m}\n`);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A manifest of n examples as the sample stage writes it: canonical JSON lines sorted by id. */
function manifest(n: number, draw: string, strata: string[]): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${draw}-${String(i).padStart(7, '0')}`;
    lines.push(
      JSON.stringify({ content_hash: sha(`c${id}`), id, label_hash: sha(`l${id}`), row_hash: sha(`r${id}`), stratum: strata[i % strata.length] }),
    );
  }
  return lines.join('\n') + '\n';
}

function meta(strata: string[], seed: number): string {
  return JSON.stringify({
    taxonomy_version: '1.0.0',
    strata: strata.map((stratum) => ({ stratum })),
    columns: { id: 'string', labels: 'string' },
    params: { version: '1.0.0', seed, size: 100000, allocation: { mode: 'proportional' } },
    content_hash: sha(String(seed)),
  });
}

const categories = ['summarization', 'extraction', 'reasoning', 'code-generation', 'creative-writing'];
const ALL = categories.flatMap((c) => ['routine', 'moderate', 'adversarial'].map((d) => `${c}×${d}`));
const cases = [
  { name: 'seed change, 100,000 examples, 15 strata', perSide: 100_000, strata: ALL },
  { name: 'seed change, 100,000 examples, 1 stratum', perSide: 100_000, strata: ALL.slice(0, 1) },
  { name: '40,000 changes, 1 stratum', perSide: 20_000, strata: ALL.slice(0, 1) },
];

const dir = mkdtempSync(join(tmpdir(), 'evalset-bench-changelog-'));
const results = [];
try {
  for (const c of cases) {
    const before = manifest(c.perSide, 'a', c.strata);
    const after = manifest(c.perSide, 'b', c.strata);
    const [oldPath, newPath] = [join(dir, 'old.jsonl'), join(dir, 'new.jsonl')];
    writeFileSync(oldPath, before);
    writeFileSync(newPath, after);

    let rendered = '';
    let changes = 0;
    const evalset = () => {
      const start = performance.now();
      const changelog = changelogOf(
        { dataset: 'big', from: { tag: 'eval-dataset/big/v1.0.0', version: '1.0.0' }, to: { tag: 'eval-dataset/big/v2.0.0', version: '2.0.0' } },
        snapshotOf('big', meta(c.strata, 1), before, ''),
        snapshotOf('big', meta(c.strata, 2), after, ''),
      );
      rendered = renderChangelog(changelog);
      changes = changelog.diff.changes.length;
      return (performance.now() - start) / 1000;
    };
    let diffBytes = 0;
    const peer = () => {
      const start = performance.now();
      const r = spawnSync('git', ['diff', '--no-index', '--no-color', oldPath, newPath], { maxBuffer: 1 << 30 });
      const elapsed = (performance.now() - start) / 1000;
      if (r.status !== 1) throw new Error(`git diff --no-index failed (${r.status}): ${r.stderr}`);
      diffBytes = r.stdout.length;
      return elapsed;
    };
    evalset(); // warm up the JIT
    const e = median(Array.from({ length: runs }, evalset));
    const p = median(Array.from({ length: runs }, peer));
    const row = {
      case: c.name,
      changes,
      evalset_seconds: e,
      peer_seconds: p,
      ratio_evalset_to_peer: e / p,
      changelog_bytes: Buffer.byteLength(rendered),
      peer_output_bytes: diffBytes,
    };
    results.push(row);
    log(`${c.name}: ${changes} changes, evalset ${e.toFixed(3)} s, git diff ${p.toFixed(3)} s`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (values.json) process.stdout.write(JSON.stringify({ runs, results }, null, 2) + '\n');
else {
  process.stdout.write(`changelog build + render vs git diff --no-index of the two manifests, median of ${runs} runs:\n`);
  for (const r of results) {
    process.stdout.write(
      `  ${r.case.padEnd(44)} ${String(r.changes).padStart(7)} changes  evalset ${r.evalset_seconds.toFixed(3)} s  git diff ${r.peer_seconds.toFixed(3)} s  ratio ${r.ratio_evalset_to_peer.toFixed(2)}\n`,
    );
  }
}
