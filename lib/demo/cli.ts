import { relative } from 'node:path';
import { run, type Commands, type Common } from '../cli/command.ts';
import { emit } from '../cli/output.ts';
import { projectPaths } from '../config/paths.ts';
import { loadTaxonomy } from '../config/taxonomy.ts';
import { writeDemo } from './generate.ts';

export const commands: Commands = () => [
  {
    command: 'demo',
    describe: 'write the embedded demo inputs (pool, annotations, private source, production traffic) to datasets/ when the pool is empty',
    builder: (y) => y.option('force', { type: 'boolean', default: false, describe: 'write datasets/pool/demo.jsonl even when the pool holds files' }),
    handler: run<Common & { force: boolean }>(async (args) => {
      const taxonomy = loadTaxonomy(projectPaths(args.root).taxonomy);
      const result = await writeDemo(projectPaths(args.root).datasets, taxonomy.tokenizer, args.force);
      const rel = (ps: string[]) => ps.map((p) => relative(args.root, p));
      emit(args.json, { written: rel(result.written), skipped: rel(result.skipped) }, () =>
        [
          ...rel(result.written).map((p) => `wrote ${p}`),
          ...rel(result.skipped).map((p) => `left the pool as it is (it holds files; --force writes ${p} anyway)`),
        ].join('\n'),
      );
    }),
  },
];
