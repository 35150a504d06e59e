import { parse } from 'yaml';
import { parseParams } from '../config/params.ts';
import { InvalidInputError } from '../errors.ts';
import { planRelease, type ReleasePlan } from './plan.ts';
import { readAt, readSnapshot, type SnapshotSource } from './snapshot.ts';
import { releaseBaseline } from './tags.ts';

/** The datasets named in params.yaml at a source. */
export function datasetNames(root: string, source: SnapshotSource): string[] {
  const text = readAt(root, source, 'params.yaml');
  if (text === null) throw new InvalidInputError([{ file: 'params.yaml', message: 'missing' }]);
  return Object.keys(parseParams(text, 'params.yaml').datasets);
}

type LooseParams = { datasets?: Record<string, { version?: string } | null> } | null;

/** params.yaml at a source, parsed without validation (the hooks and plans only need names and versions). */
function looseParams(root: string, source: SnapshotSource): LooseParams {
  const text = readAt(root, source, 'params.yaml');
  return text === null ? null : (parse(text) as LooseParams);
}

export function declaredVersion(root: string, source: SnapshotSource, dataset: string): string | null {
  return looseParams(root, source)?.datasets?.[dataset]?.version ?? null;
}

/** Refuse a dataset name params.yaml does not know, listing the names it does. */
export function requireDataset(root: string, source: SnapshotSource, dataset: string): void {
  const datasets = looseParams(root, source)?.datasets ?? {};
  if (Object.hasOwn(datasets, dataset)) return;
  const names = Object.keys(datasets);
  throw new InvalidInputError([
    {
      file: 'params.yaml',
      field: 'datasets',
      message: `no dataset \`${dataset}\` in params.yaml; ${names.length ? `it names ${names.map((n) => `\`${n}\``).join(', ')}` : 'it names none'}`,
    },
  ]);
}

/** The revision whose nearest release a source is compared with: the working tree and the index build on HEAD. */
const baseRevision = (source: SnapshotSource) => (source.kind === 'rev' ? source.rev : 'HEAD');

/**
 * The plan for one dataset: the dataset at `source` (working tree, index or a revision) against the
 * nearest release tag reachable from its base revision (see `releaseBaseline`).
 */
export function planFor(root: string, dataset: string, source: SnapshotSource): ReleasePlan {
  requireDataset(root, source, dataset);
  const current = readSnapshot(root, dataset, source);
  if (!current) {
    throw new InvalidInputError([{ file: `evalsets/${dataset}/manifest.jsonl`, message: 'missing: run `dvc repro` to build the dataset first' }]);
  }
  const declared = declaredVersion(root, source, dataset);
  if (!declared) throw new InvalidInputError([{ file: 'params.yaml', field: `datasets.${dataset}.version`, message: 'is required' }]);
  const baseline = releaseBaseline(root, dataset, baseRevision(source));
  const previous = baseline ? { ...baseline, snapshot: readSnapshot(root, dataset, { kind: 'rev', rev: baseline.tag }) } : null;
  if (previous && !previous.snapshot) {
    throw new InvalidInputError([
      { file: `${previous.tag}:evalsets/${dataset}/manifest.jsonl`, message: 'the release tag holds no manifest or meta.json' },
    ]);
  }
  return planRelease(dataset, previous as Parameters<typeof planRelease>[1], current, declared);
}
