import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { emit, endProgress, progress, reportError } from '../cli/output.ts';
import { InvalidInputError } from '../errors.ts';
import type { Stage } from './stage.ts';

/**
 * The entry point of a stage module when DVC runs it (`node --import tsx stages/NAME.ts [--dataset D]`):
 * it runs the stage on the current directory, prints its summary, and turns errors into the CLI's
 * exit codes. Imported as a module (by the registry, the CLI, tests), it does nothing.
 */
export async function runStageMain(stage: Stage, moduleUrl: string): Promise<void> {
  if (!process.argv[1] || pathToFileURL(resolve(process.argv[1])).href !== moduleUrl) return;
  let json = false;
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: { dataset: { type: 'string' }, json: { type: 'boolean', default: false }, root: { type: 'string', default: '.' } },
    });
    json = values.json ?? false;
    if (stage.perDataset && !values.dataset)
      throw new InvalidInputError([{ file: 'arguments', message: `stage ${stage.name} needs --dataset NAME` }]);
    const result = await stage.run(resolve(values.root ?? '.'), values.dataset, progress(stage.name));
    endProgress();
    emit(json, result, () => stage.summarize(result));
  } catch (err) {
    endProgress();
    process.exitCode = reportError(err, json);
  }
}
