/**
 * Stage `config`, upstream of every other: check params.yaml and the taxonomy as a whole before any
 * stage runs. DVC runs it first, so a typo (a misspelt key such as `sizee`, an empty `datasets:`, an
 * unsafe dataset name, floors above the size) stops `dvc repro` before any stage that could lose an
 * output or run a shell command built from a name. Its output is a constant gate file: writing the
 * same bytes again re-runs nothing downstream, so a change to one dataset's params still re-runs
 * only that dataset's stages.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectPaths } from '../lib/config/paths.ts';
import { loadParams } from '../lib/config/params.ts';
import { validateConfig } from '../lib/config/validate.ts';
import { ensureArchive } from '../lib/eligibility/retired.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { writeAtomic } from '../lib/io/atomic.ts';
import { runStageMain } from '../lib/pipeline/main.ts';
import type { Stage } from '../lib/pipeline/stage.ts';

export const GATE = join('interim', 'validated.json');

export async function runConfigCheck(root: string): Promise<{ ok: true }> {
  const issues = validateConfig(root);
  if (issues.length) throw new InvalidInputError(issues);
  // Each dataset's archive of retired examples is a dependency of its sample stage, the traffic folder
  // of the traffic stage, the reference corpus of the contamination index and the calibration sets of
  // sample; DVC refuses a dependency that does not exist, so they are made here, empty when there is
  // nothing in them (an empty folder adds nothing to datasets.dvc's hash).
  for (const name of Object.keys(loadParams(join(root, 'params.yaml'), 'params.yaml').datasets)) ensureArchive(root, name);
  const paths = projectPaths(root);
  for (const dir of [paths.traffic, paths.referenceCorpus, paths.calibration]) mkdirSync(dir, { recursive: true });
  writeAtomic(join(root, GATE), JSON.stringify({ checked: ['params.yaml', 'taxonomy/strata.json'] }) + '\n');
  return { ok: true };
}

export const stage: Stage<{ ok: true }> = {
  name: 'config',
  perDataset: false,
  describe: 'check params.yaml and the taxonomy before any other stage runs (DVC runs it first)',
  params: [],
  deps: ['params.yaml', 'taxonomy/strata.json', 'taxonomy/schemas', 'package-lock.json'],
  code: ['stages/config.ts', 'lib/config', 'lib/eligibility', 'lib/sampling', 'lib/io', 'lib/pipeline', 'lib/cli/output.ts', 'lib/errors.ts'],
  outs: [{ path: GATE }],
  run: (root) => runConfigCheck(root),
  summarize: () => 'ok: params.yaml and the taxonomy are valid',
};

await runStageMain(stage, import.meta.url);
