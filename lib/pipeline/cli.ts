import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'yaml';
import { run, type Commands, type Common } from '../cli/command.ts';
import { emit } from '../cli/output.ts';
import { dvcPipeline, type Stage } from './stage.ts';

/** The stages of dvc.yaml (and `vars`) that differ from what the registry declares, or are missing on either side. */
export function pipelineDrift(root: string, stages: readonly Stage[]): string[] {
  const actual = (parse(readFileSync(join(root, 'dvc.yaml'), 'utf8')) ?? {}) as { vars?: unknown; stages?: Record<string, unknown> };
  const wanted = dvcPipeline(stages);
  const names = [...new Set([...Object.keys(wanted.stages), ...Object.keys(actual.stages ?? {})])];
  const drift = names.filter((n) => !isDeepStrictEqual(actual.stages?.[n], wanted.stages[n]));
  return isDeepStrictEqual(actual.vars, wanted.vars) ? drift : ['vars', ...drift];
}

export const commands: Commands = ({ stages }) => [
  {
    command: 'pipeline',
    describe: 'print the dvc.yaml that the stage registry declares; with --check, exit 1 if dvc.yaml differs',
    builder: (y) => y.option('check', { type: 'boolean', default: false, describe: 'compare with dvc.yaml instead of printing' }),
    handler: run<Common & { check: boolean }>((args) => {
      if (!args.check) {
        process.stdout.write(stringify(dvcPipeline(stages), { lineWidth: 0 }));
        return 0;
      }
      const drift = pipelineDrift(args.root, stages);
      emit(args.json, { ok: drift.length === 0, differing: drift }, () =>
        drift.length
          ? `dvc.yaml differs from the stage registry in: ${drift.join(', ')} (\`evalset pipeline\` prints what it declares)`
          : 'ok: dvc.yaml matches the stage registry',
      );
      return drift.length ? 1 : 0;
    }),
  },
];
