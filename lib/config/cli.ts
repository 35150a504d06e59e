import { countOf, describeIssues } from '../errors.ts';
import { run, type Commands, type Common } from '../cli/command.ts';
import { emit } from '../cli/output.ts';
import { validateProject } from './validate.ts';

/** Problems listed on a terminal before the rest are summed up per file and field (`--json` lists all). */
const SHOWN = 50;

export const commands: Commands = () => [
  {
    command: 'validate',
    describe: 'check params.yaml, the taxonomy and every pool record, and that every dataset can be drawn; list all problems (exit 2 if any)',
    builder: {},
    handler: run<Common>(async (args) => {
      const { issues, poolRecords } = await validateProject(args.root);
      emit(args.json, { ok: issues.length === 0, pool_records: poolRecords, issues }, () =>
        issues.length === 0
          ? `ok: params, taxonomy and ${countOf(poolRecords, 'pool record')} are valid, and every dataset can be drawn`
          : describeIssues(issues, SHOWN),
      );
      return issues.length ? 2 : 0;
    }),
  },
];
