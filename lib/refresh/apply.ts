/**
 * Applying an approved re-curation changeset (`evalset recurate NAME --apply FILE`), the "apply" half
 * of the plan/apply split (lib/refresh/recurate.ts plans):
 *
 * 1. The changeset must be a delta of the current build (its base content hash), else it is refused.
 * 2. The retired examples go to the archive (evalsets/NAME/archive/retired.jsonl) with their rows; the
 *    sample stage then keeps them out of every draw.
 * 3. params.yaml takes the proposal's allocation (explicit examples per stratum) and size, so the
 *    sample stage, with the retired examples excluded, redraws exactly the proposed set.
 * 4. The pipeline runs (`dvc repro`); the redrawn set is checked against the proposal, id for id.
 * 5. `version plan --write` sets the version the bump rules require; the archive records it as the
 *    version that retired the examples, and the pipeline runs again.
 * 6. The change is committed with the changeset's structured message (unless told not to), so the
 *    pre-commit hook checks it like any other change and `evalset changelog` lists it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { datasetParams, loadParams } from '../config/params.ts';
import { setParamsValue } from '../config/paramsEdit.ts';
import { projectPaths } from '../config/paths.ts';
import { readRetired, retiredPath, writeRetired, type RetiredExample } from '../eligibility/retired.ts';
import { EvalsetError, InvalidInputError } from '../errors.ts';
import { writeAllAtomic, writeAtomic } from '../io/atomic.ts';
import { git } from '../io/git.ts';
import { sha256 } from '../io/hash.ts';
import { readParquetFile, tableRows } from '../io/parquet.ts';
import { readMeta } from '../provenance/meta.ts';
import { planFor } from '../versioning/release.ts';
import { writeRequiredVersions } from '../versioning/writeVersion.ts';
import { commitMessage, readChangeset, type Changeset } from './changeset.ts';

export class ChangesetMismatchError extends EvalsetError {
  readonly exitCode = 1;
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.hint = hint;
  }
}

export interface ApplyResult {
  dataset: string;
  version: { from: string; to: string };
  retired: number;
  added: number;
  replaced: number;
  archive: string;
  /** The commit made, or null with `commit: false`. */
  commit: string | null;
}

export interface ApplyOptions {
  /** Run the pipeline (`dvc repro`) in the project. */
  rebuild: (root: string) => Promise<void> | void;
  /** Commit the change with the structured message (default true). */
  commit?: boolean;
}

/** The version an archive entry carries until the applied change has its version. */
const UNRELEASED = 'unreleased';

const ids = (root: string, name: string): string[] =>
  tableRows(readParquetFile(projectPaths(root).dataset(name).data, { columns: ['id'] })).map((r) => r.id as string);

export async function applyChangeset(root: string, name: string, file: string, options: ApplyOptions): Promise<ApplyResult> {
  const shown = relative(root, file) || file;
  const c: Changeset = readChangeset(file, shown);
  const paths = projectPaths(root);
  const out = paths.dataset(name);
  if (c.dataset !== name) throw new InvalidInputError([{ file: shown, field: 'dataset', message: `is \`${c.dataset}\`, not \`${name}\`` }]);
  const meta = readMeta(out.meta, relative(root, out.meta));
  if (meta.content_hash !== c.base.content_hash)
    throw new ChangesetMismatchError(
      `${shown} proposes a change to another build of ${name} (content hash ${c.base.content_hash.slice(0, 12)}, the build is ${meta.content_hash.slice(0, 12)})`,
      `Propose again against this build: \`evalset recurate ${name}\` (or \`dvc repro\`), review, then apply the new changeset.`,
    );
  // The commit takes the whole change (params, archive, outputs, dvc.lock): other edits must not ride along.
  if ((options.commit ?? true) && git(root, ['status', '--porcelain', '--untracked-files=no']) !== '')
    throw new ChangesetMismatchError(
      'the working tree has uncommitted changes, which the refresh commit would take in',
      'Commit or stash them first, or apply with --no-commit and commit the change yourself.',
    );
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const changesetSha256 = sha256(readFileSync(file));

  // 2. The retired rows, as released, into the archive (their version is filled in at step 5).
  const retiring = new Map(c.retire.map((e) => [e.id, e]));
  const rows = tableRows(readParquetFile(out.data)).filter((r) => retiring.has(r.id as string));
  if (rows.length !== retiring.size)
    throw new InvalidInputError([{ file: shown, field: 'retire', message: 'names examples the build does not hold' }]);
  const archived = readRetired(root, name);
  const entries = (version: string): RetiredExample[] =>
    rows.map((row) => ({
      id: row.id as string,
      retired_in: version,
      reason: retiring.get(row.id as string)!.reasons.join('; '),
      changeset_sha256: changesetSha256,
      row,
    }));
  const paramsBefore = readFileSync(paths.params, 'utf8');
  const archiveBefore = archived.length ? readFileSync(retiredPath(root, name), 'utf8') : null;

  // 3. The allocation that redraws the proposal.
  const size = Object.values(c.allocation).reduce((a, b) => a + b, 0);
  let text = setParamsValue(paramsBefore, ['datasets', name, 'allocation'], { mode: 'explicit', shares: c.allocation });
  text = setParamsValue(text, ['datasets', name, 'size'], size);
  writeRetired(root, name, [...archived, ...entries(UNRELEASED)]);
  writeAtomic(paths.params, text);

  const restore = () => {
    const files: Record<string, string> = { [paths.params]: paramsBefore };
    if (archiveBefore !== null) files[retiredPath(root, name)] = archiveBefore;
    writeAllAtomic(files);
  };
  // 4. Redraw, and hold the result to the proposal.
  try {
    await options.rebuild(root);
  } catch (err) {
    restore();
    throw err;
  }
  const expected = new Set([...c.retain, ...c.replace, ...c.add].map((e) => e.id));
  const got = new Set(ids(root, name));
  const missing = [...expected].filter((id) => !got.has(id));
  const extra = [...got].filter((id) => !expected.has(id));
  if (missing.length || extra.length)
    throw new ChangesetMismatchError(
      `the redrawn ${name} differs from the changeset: ${missing.length} proposed examples missing (${missing.slice(0, 5).join(', ')}), ${extra.length} others drawn (${extra.slice(0, 5).join(', ')})`,
      'The pool or the screens changed since the proposal. Undo with `git checkout -- params.yaml evalsets/` and `dvc repro`, then propose again.',
    );

  // 5. The version the bump rules require, recorded in params and in the archive; redraw with it.
  const plan = planFor(root, name, { kind: 'worktree' });
  writeRequiredVersions(root, [plan]);
  const version = datasetParams(loadParams(paths.params, 'params.yaml'), name).version;
  writeRetired(root, name, [...archived, ...entries(version)]);
  await options.rebuild(root);

  // 6. The structured commit.
  let commit: string | null = null;
  if (options.commit ?? true) {
    git(root, ['add', '--all', '--', 'params.yaml', 'dvc.lock', 'evalsets', 'reports', 'taxonomy']);
    const message = join(mkdtempSync(join(tmpdir(), 'evalset-commit-')), 'message');
    writeFileSync(message, commitMessage(c.commit, `Applies ${shown} (sha256 ${changesetSha256}).`));
    git(root, ['commit', '-q', '-F', message]);
    commit = git(root, ['rev-parse', 'HEAD']);
  }
  return {
    dataset: name,
    version: { from: params.version, to: version },
    retired: c.retire.length,
    added: c.add.length,
    replaced: c.replace.length,
    archive: relative(root, retiredPath(root, name)),
    commit,
  };
}
