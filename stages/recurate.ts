/**
 * Stage `recurate@{name}`, after staleness: propose the delta that brings the dataset back to
 * production traffic (retain / retire / replace / add, each with reasons) as
 * `evalsets/NAME/changeset.json`, with the structured commit message that applying it uses. It
 * proposes only: `evalset recurate NAME --apply FILE` applies an approved changeset.
 */
import { projectPaths } from '../lib/config/paths.ts';
import { removeStaleTemporaries, writeAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import { STAGE_RUNTIME_CODE, type Stage } from '../lib/pipeline/stage.ts';
import { changesetJson, type Changeset } from '../lib/refresh/changeset.ts';
import { describeChangeset } from '../lib/refresh/describe.ts';
import { recurateOf, type NotRunChangeset } from '../lib/refresh/recurateProject.ts';

export const changesetPath = (root: string, name: string) => `${projectPaths(root).dataset(name).dir}/changeset.json`;

export async function runRecurate(root: string, name: string): Promise<Changeset | NotRunChangeset> {
  removeStaleTemporaries([projectPaths(root).dataset(name).dir]);
  const changeset = recurateOf(root, name);
  writeAtomic(changesetPath(root, name), changesetJson(changeset as Changeset));
  return changeset;
}

export const stage: Stage<Changeset | NotRunChangeset> = {
  name: 'recurate',
  perDataset: true,
  describe: 'propose a delta re-curation of one dataset against production traffic: evalsets/NAME/changeset.json (never applied by itself)',
  command: false,
  params: ['staleness', 'datasets.${key}.refresh', 'datasets.${key}.seed', 'datasets.${key}.floor', 'datasets.${key}.floors'],
  deps: [
    'evalsets/${key}/data.parquet',
    'evalsets/${key}/manifest.jsonl',
    'evalsets/${key}/meta.json',
    'evalsets/${key}/archive',
    'interim/strata.parquet',
    'interim/pool.json',
    'interim/exclusions',
    'interim/staleness-${key}.parquet',
    'evalsets/${key}/quality/staleness.json',
    'taxonomy/strata.json',
  ],
  code: [
    'stages/recurate.ts',
    'lib/refresh',
    'lib/eligibility',
    'lib/sampling',
    'lib/provenance',
    'lib/versioning',
    'lib/quality',
    ...STAGE_RUNTIME_CODE,
  ],
  outs: [{ path: 'evalsets/${key}/changeset.json', cache: false }],
  run: (root, dataset) => runRecurate(root, dataset!),
  summarize: (c) => describeChangeset(c),
};

await runStageMain(stage, import.meta.url);
