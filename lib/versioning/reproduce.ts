import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidInputError } from '../errors.ts';
import { dvc } from '../io/dvc.ts';
import { dvcCacheDir, dvcCachePath } from '../io/dvcHash.ts';
import { lockedMd5 } from '../io/dvcLock.ts';
import { git, gitShow, revisionExists } from '../io/git.ts';
import { workingTreeObjectIds } from '../io/gitTree.ts';
import { sha256File } from '../io/hash.ts';
import { decodeParquet, readParquetFile, tableRows } from '../io/parquet.ts';
import type { SampleMeta } from '../provenance/meta.ts';
import { toolVersions } from '../provenance/tools.ts';
import type { ManifestLine } from '../sampling/dataset.ts';
import { plural } from './plan.ts';
import { parseManifest } from './snapshot.ts';
import { parseTag } from './tags.ts';
import { byCodePoint, byId } from '../io/order.ts';

export type Diagnosis = 'reproduced' | 'writer' | 'configuration' | 'data-or-code';

export interface RowDiff {
  added: string[];
  removed: string[];
  changed: { id: string; columns: string[] }[];
  /** Whether the rows were compared column by column (the tag's Parquet was found) or by manifest hashes. */
  basis: 'parquet' | 'manifest';
}

export interface ReproduceResult {
  tag: string;
  dataset: string;
  ok: boolean;
  diagnosis: Diagnosis;
  recorded: { sha256: string; content_hash: string };
  produced: { sha256: string; content_hash: string };
  explanation: string[];
  remediation: string;
  rows: RowDiff | null;
}

/** Rebuilds one dataset in a checkout: the sampling stage (classify, then sample). Injected by the CLI. */
export type Rebuild = (root: string, dataset: string) => Promise<void>;

/** The data.parquet a revision (a tag) records, from the DVC cache by the md5 in its dvc.lock; null when the cache lacks it. */
export function recordedParquet(root: string, rev: string, dataset: string): Uint8Array | null {
  const md5 = lockedMd5(gitShow(root, rev, 'dvc.lock'), `sample@${dataset}`, 'outs', `evalsets/${dataset}/data.parquet`);
  if (!md5) return null;
  const path = dvcCachePath(root, md5);
  return existsSync(path) ? readFileSync(path) : null;
}

/** Ids added, removed, and changed (with the columns that differ) between two id-keyed tables. */
function diffById<T>(before: Map<string, T>, after: Map<string, T>, differing: (was: T, is: T) => string[], basis: RowDiff['basis']): RowDiff {
  const changed: RowDiff['changed'] = [];
  for (const [id, is] of after) {
    const was = before.get(id);
    const columns = was === undefined ? [] : differing(was, is);
    if (columns.length) changed.push({ id, columns });
  }
  return {
    added: [...after.keys()].filter((id) => !before.has(id)).sort(byCodePoint),
    removed: [...before.keys()].filter((id) => !after.has(id)).sort(byCodePoint),
    changed: changed.sort(byId),
    basis,
  };
}

export function diffRows(before: Record<string, unknown>[], after: Record<string, unknown>[]): RowDiff {
  const byId = (rows: Record<string, unknown>[]) => new Map(rows.map((r) => [r.id as string, r]));
  const differing = (was: Record<string, unknown>, is: Record<string, unknown>) =>
    Object.keys(is).filter((c) => JSON.stringify(is[c]) !== JSON.stringify(was[c]));
  return diffById(byId(before), byId(after), differing, 'parquet');
}

/** The fallback when the tag's Parquet is not in the cache: the manifests tell stratum, content and labels apart. */
function diffManifests(before: string, after: string): RowDiff {
  const differing = (was: Omit<ManifestLine, 'id'>, is: Omit<ManifestLine, 'id'>) =>
    [
      is.stratum !== was.stratum && 'stratum',
      is.content_hash !== was.content_hash && 'prompt or reference',
      is.label_hash !== was.label_hash && 'labels',
      // Only when both manifests carry row_hash, and nothing above already explains the change.
      is.row_hash !== undefined &&
        was.row_hash !== undefined &&
        is.row_hash !== was.row_hash &&
        is.stratum === was.stratum &&
        is.content_hash === was.content_hash &&
        is.label_hash === was.label_hash &&
        'capabilities, source or another column',
    ].filter((c): c is string => Boolean(c));
  return diffById(parseManifest(before, 'recorded manifest'), parseManifest(after, 'produced manifest'), differing, 'manifest');
}

/** Point a fresh worktree's DVC at the repository's cache and remotes (relative remote paths resolved). */
function shareDvc(root: string, worktree: string): void {
  dvc(worktree, ['config', '--local', 'cache.dir', dvcCacheDir(root)]);
  const remotes = dvc(root, ['remote', 'list']).stdout.split('\n').filter(Boolean);
  for (const line of remotes) {
    const [name, url] = line.split(/\s+/);
    if (url && !url.includes('://') && !isAbsolute(url)) dvc(worktree, ['remote', 'modify', '--local', name, 'url', resolve(root, '.dvc', url)]);
  }
}

function changedParams(recorded: Record<string, unknown>, produced: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(produced)])].sort();
  return keys
    .filter((k) => JSON.stringify(recorded[k]) !== JSON.stringify(produced[k]))
    .map((k) => `${k}: ${JSON.stringify(recorded[k])} recorded, ${JSON.stringify(produced[k])} in params.yaml at the tag`);
}

/**
 * Reproduce a release: check the tag out into a temporary git worktree, bring its DVC inputs from
 * the cache (or the remote), rebuild the dataset with the tag's seed, params and taxonomy, and
 * compare the SHA-256 of the result with the one recorded at the tag. When they differ, say why.
 */
export async function reproduceTag(root: string, tag: string, rebuild: Rebuild): Promise<ReproduceResult> {
  const parsed = parseTag(tag);
  if (!parsed) throw new InvalidInputError([{ file: 'arguments', message: `"${tag}" is not a release tag (eval-dataset/NAME/vX.Y.Z)` }]);
  if (!revisionExists(root, `refs/tags/${tag.replace(/^refs\/tags\//, '')}^{commit}`)) {
    throw new InvalidInputError([{ file: 'arguments', message: `no such tag: ${tag}` }]);
  }
  return reproduceRevision(root, tag, parsed.dataset, rebuild);
}

/**
 * Reproduce the snapshot of `dataset` at a revision (a tag, or the sha a push is about to send);
 * `tag` names the release in the result.
 */
export async function reproduceRevision(root: string, tag: string, dataset: string, rebuild: Rebuild, rev = tag): Promise<ReproduceResult> {
  const metaText = gitShow(root, rev, `evalsets/${dataset}/meta.json`);
  const manifestText = gitShow(root, rev, `evalsets/${dataset}/manifest.jsonl`);
  if (metaText === null || manifestText === null) {
    throw new InvalidInputError([{ file: tag, message: `it holds no evalsets/${dataset}/meta.json and manifest.jsonl` }]);
  }
  const recorded = JSON.parse(metaText) as SampleMeta;

  const tmp = mkdtempSync(join(tmpdir(), 'evalset-reproduce-'));
  const worktree = join(tmp, 'tree');
  git(root, ['worktree', 'add', '--detach', '--quiet', worktree, `${rev}^{commit}`]);
  try {
    shareDvc(root, worktree);
    if (dvc(worktree, ['checkout', '--quiet', 'datasets.dvc']).status !== 0 && dvc(worktree, ['pull', '--quiet', 'datasets.dvc']).status !== 0) {
      throw new InvalidInputError([
        {
          file: `${tag}:datasets.dvc`,
          message: 'its inputs are in neither the DVC cache nor the default remote: `dvc push` them from a machine that has them',
        },
      ]);
    }
    await rebuild(worktree, dataset);
    const out = join(worktree, 'evalsets', dataset);
    const produced = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as SampleMeta;
    const producedSha = sha256File(join(out, 'data.parquet'));
    const result = {
      tag,
      dataset,
      recorded: { sha256: recorded.files['data.parquet'].sha256, content_hash: recorded.content_hash },
      produced: { sha256: producedSha, content_hash: produced.content_hash },
    };
    if (producedSha === result.recorded.sha256) {
      return {
        ...result,
        ok: true,
        diagnosis: 'reproduced',
        explanation: [`data.parquet reproduces: SHA-256 ${producedSha}`],
        remediation: '',
        rows: null,
      };
    }

    const recordedBytes = recordedParquet(root, rev, dataset);
    const rows = recordedBytes
      ? diffRows(tableRows(decodeParquet(recordedBytes)), tableRows(readParquetFile(join(out, 'data.parquet'))))
      : diffManifests(manifestText, readFileSync(join(out, 'manifest.jsonl'), 'utf8'));

    if (produced.content_hash === recorded.content_hash) {
      const now = toolVersions();
      const versions = (['parquet-wasm', 'apache-arrow'] as const).map((k) => `${k} ${recorded.tools[k]} recorded, ${now[k]} now`);
      return {
        ...result,
        ok: false,
        diagnosis: 'writer',
        rows,
        explanation: [
          'same content hash, different file hash: the rows are identical, the Parquet bytes are not — the Parquet writer, its settings or a dependency changed',
          ...versions,
        ],
        remediation: `pin the writer to the recorded versions (package-lock.json) and its settings, or cut a new version of ${dataset} that acknowledges the new bytes`,
      };
    }
    const paramChanges = changedParams(recorded.params as Record<string, unknown>, produced.params as Record<string, unknown>);
    if (produced.params_digest !== recorded.params_digest || paramChanges.length) {
      return {
        ...result,
        ok: false,
        diagnosis: 'configuration',
        rows,
        explanation: ['configuration drift: the params at the tag are not the ones the snapshot was built with', ...paramChanges],
        remediation: `restore the recorded params (seed and allocation) at the tag, or re-run \`dvc repro\` and cut a new version of ${dataset}`,
      };
    }
    // The code the snapshot recorded (the sample stage's code paths), as it stands in this checkout.
    const codeNow = workingTreeObjectIds(root, Object.keys(recorded.code ?? {})) ?? {};
    const codeChanges = Object.entries(recorded.code ?? {})
      .filter(([path, id]) => codeNow[path] !== undefined && codeNow[path] !== id)
      .map(([path, id]) => `${path}: ${id} recorded, ${codeNow[path]} now`);
    return {
      ...result,
      ok: false,
      diagnosis: 'data-or-code',
      rows,
      explanation: [
        'data or code drift: the same params give other rows',
        ...(codeChanges.length
          ? codeChanges
          : ['the pipeline code is the one recorded, so the inputs at the tag differ from those the snapshot was built from']),
        ...(produced.size.pool !== recorded.size.pool
          ? [`the pool held ${plural(recorded.size.pool, 'candidate')} when recorded, ${produced.size.pool} now`]
          : []),
      ],
      remediation: `pin the code and inputs the snapshot was built with (check out ${tag} and run \`dvc repro\` there), or cut a new version of ${dataset} that acknowledges the change`,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    git(root, ['worktree', 'prune']);
  }
}

export function describeReproduction(r: ReproduceResult): string {
  if (r.ok) return `${r.tag}: reproduced (data.parquet SHA-256 ${r.produced.sha256})`;
  const lines = [
    `${r.tag}: NOT reproduced — ${r.diagnosis === 'writer' ? 'Parquet writer changed' : r.diagnosis === 'configuration' ? 'configuration drift' : 'data or code drift'}`,
    `  recorded data.parquet ${r.recorded.sha256}, content ${r.recorded.content_hash}`,
    `  produced data.parquet ${r.produced.sha256}, content ${r.produced.content_hash}`,
    ...r.explanation.map((e) => `  ${e}`),
  ];
  if (r.rows) {
    const show = (ids: string[]) => (ids.length > 20 ? `${ids.slice(0, 20).join(', ')} … (+${ids.length - 20})` : ids.join(', '));
    lines.push(`  row diff (by ${r.rows.basis}): ${r.rows.added.length} added, ${r.rows.removed.length} removed, ${r.rows.changed.length} changed`);
    if (r.rows.added.length) lines.push(`    added: ${show(r.rows.added)}`);
    if (r.rows.removed.length) lines.push(`    removed: ${show(r.rows.removed)}`);
    for (const c of r.rows.changed.slice(0, 20)) lines.push(`    changed: ${c.id} (${c.columns.join(', ')})`);
    if (r.rows.changed.length > 20) lines.push(`    … and ${r.rows.changed.length - 20} more changed`);
  }
  lines.push(`remediation: ${r.remediation}`);
  return lines.join('\n');
}
