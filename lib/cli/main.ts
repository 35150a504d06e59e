import { resolve } from 'node:path';
import yargs from 'yargs';
import { commands as annotationCommands } from '../annotation/cli.ts';
import { commands as configCommands } from '../config/cli.ts';
import { commands as contaminationCommands } from '../contamination/cli.ts';
import { commands as demoCommands } from '../demo/cli.ts';
import { commands as pipelineCommands } from '../pipeline/cli.ts';
import { commands as privacyCommands } from '../privacy/cli.ts';
import { commands as refreshCommands } from '../refresh/cli.ts';
import { commands as versioningCommands } from '../versioning/cli.ts';
import { stageCommands } from './stageCommands.ts';
import { commands as startCommands } from './start.ts';
import type { CliContext, Commands } from './command.ts';

/** Each capability registers its own commands; a new capability adds one line here. */
const CAPABILITIES: Commands[] = [
  demoCommands,
  configCommands,
  stageCommands,
  annotationCommands,
  refreshCommands,
  privacyCommands,
  contaminationCommands,
  pipelineCommands,
  versioningCommands,
  startCommands,
];

export function cli(argv: string[], context: CliContext) {
  const y = yargs(argv)
    .scriptName('evalset')
    .usage('$0 <command> [options]\n\nTurn a git repository of evaluation data into a reproducible DVC pipeline.')
    .option('root', { type: 'string', default: '.', describe: 'repository root', coerce: (p: string) => resolve(p) })
    .option('json', { type: 'boolean', default: false, describe: 'machine-readable output on stdout' });
  for (const capability of CAPABILITIES) for (const command of capability(context)) y.command(command);
  return y
    .demandCommand(1, 'name a command; `evalset --help` lists them')
    .strict()
    .recommendCommands()
    .fail((msg, err, yy) => {
      if (err) throw err;
      process.stderr.write(`${yy.help()}\n\nevalset: ${msg}\n`);
      process.exit(2);
    })
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 110));
}
