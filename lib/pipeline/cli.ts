import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'yaml';
import { run, type Commands, type Common } from '../cli/command.ts';
import { emit } from '../cli/output.ts';
import { dvcStages, type Stage } from './stage.ts';

/** The stages of dvc.yaml that differ from what the registry declares (by name), or are missing on either side. */
export function pipelineDrift(root: string, stages: readonly Stage[]): string[] {
  const actual = ((parse(readFileSync(join(root, 'dvc.yaml'), 'utf8')) as { stages?: Record<string, unknown> } | null)?.stages ?? {}) as Record<string, unknown>;
  const wanted = dvcStages(stages);
  const names = [...new Set([...Object.keys(wanted), ...Object.keys(actual)])];
  return names.filter((n) => !isDeepStrictEqual(actual[n], wanted[n]));
}

export const commands: Commands = ({ stages }) => [
  {
    command: 'pipeline',
    describe: 'print the `stages:` of dvc.yaml that the stage registry declares; with --check, exit 1 if dvc.yaml differs',
    builder: (y) => y.option('check', { type: 'boolean', default: false, describe: 'compare with dvc.yaml instead of printing' }),
    handler: run<Common & { check: boolean }>((args) => {
      if (!args.check) {
        process.stdout.write(stringify({ stages: dvcStages(stages) }, { lineWidth: 0 }));
        return 0;
      }
      const drift = pipelineDrift(args.root, stages);
      emit(args.json, { ok: drift.length === 0, differing: drift }, () =>
        drift.length ? `dvc.yaml differs from the stage registry in: ${drift.join(', ')} (\`evalset pipeline\` prints what it declares)` : 'ok: dvc.yaml matches the stage registry',
      );
      return drift.length ? 1 : 0;
    }),
  },
];
