import type { CommandModule } from 'yargs';
import type { Stage } from '../pipeline/stage.ts';
import { endProgress, reportError } from './output.ts';

/** Options every command takes. */
export interface Common {
  root: string;
  json: boolean;
}

/** What the entry point hands the commands: the stage registry, and the rebuild that `reproduce` runs. */
export interface CliContext {
  stages: readonly Stage[];
  rebuild: (root: string, dataset: string) => Promise<void>;
}

/** A capability's commands (lib/<capability>/cli.ts); lib/cli/main.ts registers each capability's list. */
export type Commands = (context: CliContext) => CommandModule<Common, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Run a command body; errors become the documented exit codes. */
export function run<A extends Common>(body: (args: A) => Promise<number | void> | number | void) {
  return async (parsed: unknown) => {
    const args = parsed as A;
    try {
      process.exitCode = (await body(args)) ?? 0;
    } catch (err) {
      endProgress();
      process.exitCode = reportError(err, args.json);
    }
  };
}
