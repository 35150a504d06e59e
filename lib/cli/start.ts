import { run, type Commands, type Common } from './command.ts';
import { relative } from 'node:path';
import { loadParams } from '../config/params.ts';
import { projectPaths } from '../config/paths.ts';
import { loadTaxonomy } from '../config/taxonomy.ts';
import { writeDemo } from '../demo/generate.ts';
import { dvcBinary, dvcOrThrow } from '../io/dvc.ts';
import { InvalidInputError } from '../errors.ts';
import { validateProject } from '../config/validate.ts';
import { repositoryState } from '../io/gitTree.ts';
import { readMeta } from '../provenance/meta.ts';
import { sampleSummary } from '../sampling/summary.ts';

/** `npm start`: demo inputs where absent, `dvc repro`, then what was produced. */
export async function startProject(root: string, json: boolean): Promise<number> {
  const paths = projectPaths(root);
  const dvcPath = dvcBinary();
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const demo = await writeDemo(paths.datasets, taxonomy.tokenizer);
  const log = (line: string) => process.stderr.write(line + '\n');
  for (const path of demo.written) log(`evalset: wrote demo input ${relative(root, path)}`);
  log(`evalset: running ${relative(root, dvcPath) || dvcPath} repro`);
  try {
    dvcOrThrow(root, ['repro'], { inherit: true });
  } catch (err) {
    // A stage failed: when the inputs are at fault, say so with every problem and exit 2, not 1.
    const { issues } = await validateProject(root);
    if (issues.length) throw new InvalidInputError(issues);
    throw err;
  }

  const params = loadParams(paths.params, 'params.yaml');
  const datasets = Object.keys(params.datasets).map((name) => {
    const out = paths.dataset(name);
    return { meta: readMeta(out.meta, relative(root, out.meta)), data: relative(root, out.data), card: relative(root, out.card) };
  });
  const state = repositoryState(root);
  if (json) {
    const summary = datasets.map(({ meta, data, card }) => ({
      name: meta.dataset,
      version: meta.version,
      examples: meta.size.realised,
      strata: Object.fromEntries(meta.strata.map((s) => [s.stratum, s.realised])),
      pool_limited: meta.pool_limited,
      balance: meta.balance,
      data,
      card,
    }));
    process.stdout.write(JSON.stringify({ datasets: summary, repository: state, node: process.version }, null, 2) + '\n');
    return 0;
  }
  const lines = ['', 'evalset: done.'];
  for (const { meta, data, card } of datasets) lines.push('', sampleSummary(meta), `  data: ${data}; card: ${card}`);
  lines.push('', `commit ${state.commit ?? '(none yet)'}${state.dirty ? ' with uncommitted changes' : ''}; node ${process.version}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export const commands: Commands = () => [
  {
    command: 'start',
    describe: 'the main job: demo inputs if absent, `dvc repro`, then a summary (what `npm start` runs)',
    builder: {},
    handler: run<Common>((args) => startProject(args.root, args.json)),
  },
];
