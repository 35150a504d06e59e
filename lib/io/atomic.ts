import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Write a file by writing a temporary sibling and renaming it over the target, so a failed or
 * killed run leaves the previous file intact.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic.sync(path, typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/**
 * Write several files that belong together: every temporary file is written and synced first, and
 * only then are they renamed into place, in the order given (put the file that vouches for the
 * others, such as meta.json, last). A failure before the renames leaves every previous file as it
 * was. write-file-atomic renames each file as soon as it is written, so it cannot do the first phase.
 */
export function writeAllAtomic(files: Record<string, string | Uint8Array>): void {
  const staged: [tmp: string, path: string][] = [];
  try {
    for (const [path, data] of Object.entries(files)) {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      const fd = openSync(tmp, 'w');
      try {
        writeFileSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      staged.push([tmp, path]);
    }
  } catch (err) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw err;
  }
  for (const [tmp, path] of staged) renameSync(tmp, path);
}
