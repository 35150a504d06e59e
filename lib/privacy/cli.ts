import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { markdownTable } from 'markdown-table';
import type { Argv } from 'yargs';
import { run, type Commands, type Common } from '../cli/command.ts';
import { emit } from '../cli/output.ts';
import { loadParams } from '../config/params.ts';
import { InvalidInputError } from '../errors.ts';
import { verifyAttestation } from './attestation.ts';
import { budgetStatus, loadBudget, readLedger } from './ledger.ts';
import { PRIVACY_PATHS, SIGNING_KEY_PATH, configSha256, noiseSeed, type PrivacyParams } from './project.ts';
import { mechanismRdp, rdpToEpsilon } from './rdp.ts';
import type { MechanismSpec } from './fields.ts';

interface CostArgs extends Common {
  mechanism: 'gaussian' | 'laplace';
  sigma?: number;
  epsilon0?: number;
  sensitivity: number;
  compositions: number;
  delta: number;
}

interface VerifyArgs extends Common {
  path: string;
  key?: string;
  ledger: string;
  budget: string;
  'config-sha256'?: string;
}

const f = (x: number) => x.toFixed(4);

export const commands: Commands = () => [
  {
    command: 'privacy <action>',
    describe: 'the privacy budget: `privacy budget` shows the spend; `privacy cost` prices a planned release',
    builder: (y: Argv<Common>) =>
      y
        .positional('action', {
          choices: ['budget', 'cost'] as const,
          describe: 'budget: spend so far and what remains; cost: the ε a planned release would cost',
        })
        .option('mechanism', { choices: ['gaussian', 'laplace'] as const, describe: 'cost: the noise mechanism' })
        .option('sigma', { type: 'number', describe: 'cost, gaussian: the noise standard deviation σ' })
        .option('epsilon0', { type: 'number', describe: 'cost, laplace: ε₀ = sensitivity / scale' })
        .option('sensitivity', { type: 'number', default: 1, describe: 'cost, gaussian: the L2 sensitivity Δ (σ/Δ is the noise multiplier)' })
        .option('compositions', { type: 'number', default: 1, describe: 'cost: how many such releases' })
        .option('delta', { type: 'number', describe: 'cost: δ of the guarantee' })
        .example('$0 privacy cost --mechanism gaussian --sigma 1 --delta 1e-5', 'ε of one Gaussian release (4.7285)')
        .example('$0 privacy budget --json', 'the ledger against privacy/budget.yaml'),
    handler: run<CostArgs & { action: 'budget' | 'cost' }>((args) => {
      if (args.action === 'budget') {
        const budget = loadBudget(join(args.root, PRIVACY_PATHS.budget), PRIVACY_PATHS.budget);
        const status = budgetStatus(budget, readLedger(join(args.root, PRIVACY_PATHS.ledger), PRIVACY_PATHS.ledger));
        emit(args.json, status, () =>
          [
            `privacy budget: ε = ${status.epsilon_budget}${status.delta === null ? '' : ` at δ = ${status.delta.toPrecision(3)}`}; spent ε = ${f(status.spent)}; remaining ε = ${f(status.remaining)}`,
            ...(status.runs.length
              ? [
                  '',
                  markdownTable(
                    [
                      ['run', 'recorded', 'dataset', 'ε of the run', 'ε in total'],
                      ...status.runs.map((r) => [r.run_id, r.recorded_at, r.dataset, f(r.epsilon_run), f(r.epsilon_total)]),
                    ],
                    { align: ['l', 'l', 'l', 'r', 'r'] },
                  ),
                ]
              : ['no release has spent from it yet']),
          ].join('\n'),
        );
        return;
      }
      const issues = [];
      if (!args.mechanism) issues.push({ file: 'the command line', field: 'mechanism', message: 'is required for `privacy cost`' });
      if (args.delta === undefined || !(args.delta > 0 && args.delta < 1))
        issues.push({ file: 'the command line', field: 'delta', message: 'must be in (0, 1)' });
      if (args.mechanism === 'gaussian' && !(args.sigma! > 0))
        issues.push({ file: 'the command line', field: 'sigma', message: 'a positive σ is required for gaussian' });
      if (args.mechanism === 'laplace' && !(args.epsilon0! > 0))
        issues.push({ file: 'the command line', field: 'epsilon0', message: 'a positive ε₀ is required for laplace' });
      if (issues.length) throw new InvalidInputError(issues);
      const spec: MechanismSpec =
        args.mechanism === 'gaussian'
          ? { field: 'planned', mechanism: 'gaussian', noise_multiplier: args.sigma! / args.sensitivity, compositions: args.compositions }
          : { field: 'planned', mechanism: 'laplace', epsilon0: args.epsilon0!, compositions: args.compositions };
      const { epsilon, order } = rdpToEpsilon(mechanismRdp(spec), args.delta);
      emit(
        args.json,
        { epsilon, delta: args.delta, order, mechanism: spec },
        () => `ε = ${epsilon} at δ = ${args.delta} (optimal RDP order ${order})`,
      );
    }),
  },
  {
    command: 'attest <verb> <path>',
    describe: "the auditors' command: `attest verify STATEMENT` checks the signature and the whole chain (exit 0 verified, 1 not)",
    builder: (y: Argv<Common>) =>
      y
        .positional('verb', { choices: ['verify'] as const })
        .positional('path', {
          type: 'string',
          describe: 'the statement, e.g. evalsets/synthetic/attestation.intoto.json (its signature is PATH.asc)',
        })
        .option('key', { type: 'string', describe: `the signer's public key (default: ${SIGNING_KEY_PATH})` })
        .option('ledger', { type: 'string', default: PRIVACY_PATHS.ledger, describe: 'the privacy ledger' })
        .option('budget', { type: 'string', default: PRIVACY_PATHS.budget, describe: 'the privacy budget' })
        .option('config-sha256', {
          type: 'string',
          describe: 'the configuration hash to expect (default: recomputed from fields.yaml and params.yaml when present)',
        }),
    handler: run<VerifyArgs>(async (args) => {
      const statementPath = resolve(args.root, args.path);
      const keyPath = resolve(args.root, args.key ?? SIGNING_KEY_PATH);
      if (!existsSync(statementPath)) throw new InvalidInputError([{ file: args.path, message: 'does not exist' }]);
      if (!existsSync(keyPath))
        throw new InvalidInputError([{ file: args.key ?? SIGNING_KEY_PATH, message: 'does not exist: give the public key with --key' }]);
      let config = args['config-sha256'];
      const fields = join(args.root, PRIVACY_PATHS.fields);
      // A secret-seed release's configuration cannot be recomputed without the seed: its check is then skipped, and says so.
      const release = join(dirname(statementPath), 'privacy.json');
      const publicSeed =
        !existsSync(release) || (JSON.parse(readFileSync(release, 'utf8')) as { noise_seed?: string }).noise_seed?.startsWith('public');
      if (!config && publicSeed && existsSync(fields)) {
        const params = (loadParams(join(args.root, 'params.yaml'), 'params.yaml') as { privacy?: PrivacyParams }).privacy ?? {};
        config = configSha256(readFileSync(fields, 'utf8'), params, noiseSeed(params));
      }
      const statement = JSON.parse(readFileSync(statementPath, 'utf8')) as { subject?: { name: string }[] };
      const files = Object.fromEntries((statement.subject ?? []).map((s) => [s.name, join(dirname(statementPath), s.name)]));
      const result = await verifyAttestation({
        statementPath,
        signaturePath: `${statementPath}.asc`,
        publicKeyArmored: readFileSync(keyPath, 'utf8'),
        files,
        ledger: readLedger(resolve(args.root, args.ledger), args.ledger),
        budget: loadBudget(resolve(args.root, args.budget), args.budget),
        configSha256: config,
      });
      emit(args.json, result, () =>
        [
          `${args.path}: ${result.ok ? 'verified' : 'NOT verified'}`,
          ...result.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.reason}`),
        ].join('\n'),
      );
      return result.ok ? 0 : 1;
    }),
  },
];
