import { parse } from 'yaml';
import { parseParams } from '../config/params.ts';
import { InvalidInputError } from '../errors.ts';
import { planRelease, type ReleasePlan } from './plan.ts';
import { readAt, readSnapshot, type SnapshotSource } from './snapshot.ts';
import { latestRelease } from './tags.ts';

/** The datasets named in params.yaml at a source. */
export function datasetNames(root: string, source: SnapshotSource): string[] {
  const text = readAt(root, source, 'params.yaml');
  if (text === null) throw new InvalidInputError([{ file: 'params.yaml', message: 'missing' }]);
  return Object.keys(parseParams(text, 'params.yaml').datasets);
}

export function declaredVersion(root: string, source: SnapshotSource, dataset: string): string | null {
  const text = readAt(root, source, 'params.yaml');
  const params = text === null ? null : (parse(text) as { datasets?: Record<string, { version?: string }> });
  return params?.datasets?.[dataset]?.version ?? null;
}

/** The plan for one dataset: its latest release against the dataset at `source` (working tree or index). */
export function planFor(root: string, dataset: string, source: SnapshotSource): ReleasePlan {
  const current = readSnapshot(root, dataset, source);
  if (!current) {
    throw new InvalidInputError([{ file: `evalsets/${dataset}/manifest.jsonl`, message: 'missing: run `dvc repro` to build the dataset first' }]);
  }
  const declared = declaredVersion(root, source, dataset);
  if (!declared) throw new InvalidInputError([{ file: 'params.yaml', field: `datasets.${dataset}.version`, message: 'is required' }]);
  const latest = latestRelease(root, dataset);
  const previous = latest ? { ...latest, snapshot: readSnapshot(root, dataset, { kind: 'rev', rev: latest.tag }) } : null;
  if (previous && !previous.snapshot) {
    throw new InvalidInputError([
      { file: `${previous.tag}:evalsets/${dataset}/manifest.jsonl`, message: 'the release tag holds no manifest or meta.json' },
    ]);
  }
  return planRelease(dataset, previous as Parameters<typeof planRelease>[1], current, declared);
}
