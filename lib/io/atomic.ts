import { mkdirSync } from 'node:fs';
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

/** Write every file only once all of them are ready: nothing is renamed into place before all bytes exist. */
export function writeAllAtomic(files: Record<string, string | Uint8Array>): void {
  for (const [path, data] of Object.entries(files)) writeAtomic(path, data);
}
