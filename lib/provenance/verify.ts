import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidInputError, type Issue } from '../errors.ts';
import { sha256File } from '../io/hash.ts';
import type { SampleMeta } from './meta.ts';

/**
 * Check every file meta.json vouches for (data.parquet, quarantine.parquet, the sample stage's
 * quality results) against the SHA-256 it records. A run killed between two renames leaves a newer
 * file beside an older meta.json; that, or a file edited by hand, is refused, never rendered.
 */
export function verifyRecordedFiles(root: string, dir: string, meta: Pick<SampleMeta, 'files'>): void {
  const issues: Issue[] = [];
  for (const [name, recorded] of Object.entries(meta.files)) {
    const path = join(dir, name);
    const file = relative(root, path);
    if (!existsSync(path)) issues.push({ file, message: 'missing: run `.venv/bin/dvc pull` (or `dvc repro`) to bring it back' });
    else if (sha256File(path) !== recorded.sha256)
      issues.push({ file, message: 'is not the file meta.json records (an interrupted run, or an edit by hand): run `dvc repro` again' });
  }
  if (issues.length) throw new InvalidInputError(issues);
}
