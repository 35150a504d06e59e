import type { Argv } from 'yargs';
import type { Commands, Common } from './command.ts';
import { run } from './command.ts';
import { emit, endProgress, progress } from './output.ts';

/** One command per registered stage: `evalset NAME [--dataset D]` runs exactly what DVC runs for the stage. */
export const stageCommands: Commands = ({ stages }) =>
  stages
    .filter((stage) => stage.command !== false)
    .map((stage) => ({
      command: stage.name,
      describe: stage.describe,
      builder: (y: Argv<Common>) =>
        stage.perDataset
          ? y.option('dataset', { alias: 'd', type: 'string', demandOption: true, describe: 'dataset name, a key of `datasets` in params.yaml' })
          : y,
      handler: run<Common & { dataset?: string }>(async (args) => {
        const result = await stage.run(args.root, args.dataset, progress(stage.name));
        endProgress();
        emit(args.json, result, () => stage.summarize(result));
      }),
    }));
