import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parse } from 'yaml';
import { EvalsetError, InvalidInputError } from '../errors.ts';

/**
 * The md5 DVC records for `datasets/` when it holds exactly the demo pool (`datasets/pool/demo.jsonl`):
 * the value in this repository's committed datasets.dvc. test/demo.test.ts rebuilds it with real DVC
 * (`evalset demo`, then `dvc add datasets`), so it cannot go stale when the demo changes.
 */
export const DEMO_DATASETS_MD5 = '1af260a9a5c034862c4fea4cf5b3fa60.dir';

/** What datasets.dvc says about the inputs: nothing (no such file), the demo's own pool, or other data. */
export type TrackedInputs = { kind: 'untracked' } | { kind: 'demo' } | { kind: 'other'; md5: string };

/** `datasets/` → `datasets.dvc`, the pointer `dvc add datasets` writes beside it. */
export const dvcFileOf = (datasetsDir: string) => `${datasetsDir}.dvc`;

/** Read datasets.dvc (the DVC pointer beside `datasetsDir`) and say whose data it tracks. */
export function trackedInputs(datasetsDir: string): TrackedInputs {
  const file = dvcFileOf(datasetsDir);
  if (!existsSync(file)) return { kind: 'untracked' };
  const name = basename(file);
  let outs: unknown;
  try {
    outs = (parse(readFileSync(file, 'utf8')) as { outs?: unknown } | null)?.outs;
  } catch (err) {
    throw new InvalidInputError([{ file: name, message: `malformed YAML (${(err as Error).message.split('\n')[0]})` }]);
  }
  const out = Array.isArray(outs) ? (outs.find((o) => o?.path === basename(datasetsDir)) as { md5?: unknown } | undefined) : undefined;
  if (!out || typeof out.md5 !== 'string') {
    throw new InvalidInputError([
      {
        file: name,
        field: 'outs',
        message: `no entry with \`path: ${basename(datasetsDir)}\` and an md5: re-create it with \`dvc add ${basename(datasetsDir)}\``,
      },
    ]);
  }
  return out.md5 === DEMO_DATASETS_MD5 ? { kind: 'demo' } : { kind: 'other', md5: out.md5 };
}

/**
 * datasets.dvc tracks inputs that are not in the working tree (a fresh clone before `dvc pull`).
 * Writing the demo there would make the next `dvc repro` record the demo's hash in datasets.dvc,
 * silently replacing the project's data.
 */
export class InputsNotPulledError extends EvalsetError {
  readonly exitCode = 2;
  readonly hint =
    'Run `.venv/bin/dvc pull` to fetch the inputs datasets.dvc tracks, then run the command again. To replace them with the demo on purpose: `npx evalset demo --force`.';
  constructor(readonly md5: string) {
    super(`datasets.dvc tracks inputs (md5 ${md5}) that are not in datasets/pool/; the demo is not written over them`);
  }
}
