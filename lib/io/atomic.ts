import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Temporaries are `<target>.<pid>.<8 hex>.tmp`: git ignores `*.tmp`, and the next run removes leftovers. */
const TEMPORARY = /\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Write several files that belong together: every temporary file is written and synced first, and
 * only then are they renamed into place, in the order given (put the file that vouches for the
 * others, such as meta.json, last: every reader checks the hashes it records). A failure before the
 * renames leaves every previous file as it was. One mechanism for one file or many; write-file-atomic
 * renames each file as soon as it is written, so it cannot do the first phase, and names its
 * temporaries in a way git does not ignore.
 */
export function writeAllAtomic(files: Record<string, string | Uint8Array>): void {
  const staged: [tmp: string, path: string][] = [];
  try {
    for (const [path, data] of Object.entries(files)) {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      staged.push([tmp, path]);
      const fd = openSync(tmp, 'w');
      try {
        writeFileSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (err) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw err;
  }
  for (const [tmp, path] of staged) renameSync(tmp, path);
}

/** Write one file by writing a temporary sibling and renaming it over the target. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  writeAllAtomic({ [path]: data });
}

/** Remove the temporaries a killed run left in these folders (only files named as writeAllAtomic names them). */
export function removeStaleTemporaries(dirs: readonly string[]): void {
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isFile() && TEMPORARY.test(entry.name)) rmSync(join(dir, entry.name), { force: true });
    }
  }
}
