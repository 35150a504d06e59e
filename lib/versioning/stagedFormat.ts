/**
 * The formatting check of the pre-commit hook. It only checks: a formatter that rewrote staged code
 * at commit time (lint-staged's `prettier --write`) would change stage dependencies after
 * `dvc repro` hashed them, and commit a dvc.lock that no longer describes the code. It checks the
 * staged bytes (the index), which are what the commit holds, whatever the working tree says.
 */
import { join } from 'node:path';
import * as prettier from 'prettier';
import { readBlobs, stagedEntries } from '../io/gitIndex.ts';

/** The staged files among `paths` that prettier would change, in the order given. */
export async function unformattedStaged(root: string, paths: readonly string[]): Promise<string[]> {
  const entries = stagedEntries(root, paths).filter((e) => e.mode.startsWith('100'));
  const blobs = readBlobs(
    root,
    entries.map((e) => e.oid),
  );
  const bad: string[] = [];
  for (const entry of entries) {
    const file = join(root, entry.path);
    const info = await prettier.getFileInfo(file, { ignorePath: [join(root, '.prettierignore')] });
    if (info.ignored || !info.inferredParser) continue;
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    if (!(await prettier.check(blobs.get(entry.oid)!.toString('utf8'), options))) bad.push(entry.path);
  }
  return bad;
}

/** The refusal for unformatted staged files: what to run, in an order that leaves dvc.lock right. */
export function formattingProblem(files: readonly string[]): string {
  const quoted = files.map((f) => (/^[\w./@+-]+$/.test(f) ? f : `'${f.replace(/'/g, `'\\''`)}'`)).join(' ');
  return (
    `these staged files are not formatted (prettier --check): ${files.join(', ')}. The hook does not rewrite them, since a rewrite after ` +
    `\`dvc repro\` would leave dvc.lock stale. Run \`npx prettier --write ${quoted}\`, then \`dvc repro\`, and stage the files with dvc.lock.`
  );
}
