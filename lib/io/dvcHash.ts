/**
 * DVC 3's md5 hashes (the `hash: md5` entries of dvc.lock and .dvc files), computed without DVC, so
 * the pre-commit hook can tell in milliseconds whether dvc.lock still describes the staged files.
 * Source: dvc-data's `hashfile/tree.py` (`Tree.as_list`, `Tree.as_bytes`) and `hashfile/hash.py`:
 * - a file's md5 is the md5 of its bytes (DVC 2's `md5-dos2unix`, lock entries without
 *   `hash: md5`, converted CRLF first; it is not supported here);
 * - a directory's md5 is the md5 of `json.dumps(entries, sort_keys=True)`, where entries are
 *   `{"md5": <file md5>, "relpath": <posix path inside the directory>}` for every file below it,
 *   sorted by relpath (Python's str order: code points), followed by the suffix `.dir`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { byCodePoint } from './order.ts';

/** One file of a DVC directory object. */
export interface DirEntry {
  md5: string;
  relpath: string;
}

export const dvcFileMd5 = (bytes: Uint8Array | string): string => createHash('md5').update(bytes).digest('hex');

/**
 * `json.dumps(value)` as Python writes it with its defaults: separators ", " and ": ", and
 * `ensure_ascii`, which escapes every character outside printable ASCII as \uXXXX (lower-case hex,
 * surrogate pairs above U+FFFF). JSON.stringify agrees on the escapes below U+0020 and on `"` and
 * `\`, and leaves U+007F and everything above as they are: those are escaped here.
 */
export function pythonJsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The bytes DVC hashes for a directory: its entries sorted by relpath, as Python's json.dumps(sort_keys=True) writes them. */
export function dvcTreeJson(entries: readonly DirEntry[]): string {
  const sorted = [...entries].sort((a, b) => byCodePoint(a.relpath, b.relpath));
  return `[${sorted.map((e) => `{"md5": ${pythonJsonString(e.md5)}, "relpath": ${pythonJsonString(e.relpath)}}`).join(', ')}]`;
}

export const dvcDirMd5 = (entries: readonly DirEntry[]): string => `${dvcFileMd5(dvcTreeJson(entries))}.dir`;

/** The entries of the sub-directory `prefix` (posix, no trailing slash) of a directory, relative to it. */
export function subdirEntries(entries: readonly DirEntry[], prefix: string): DirEntry[] {
  const head = `${prefix}/`;
  return entries.filter((e) => e.relpath.startsWith(head)).map((e) => ({ md5: e.md5, relpath: e.relpath.slice(head.length) }));
}

/**
 * The md5 DVC records for `relpath` inside a directory whose entries are given: a file's own md5,
 * a sub-directory's `.dir` hash, or undefined when nothing of that name is in the directory.
 */
export function md5Within(entries: readonly DirEntry[], relpath: string): string | undefined {
  if (relpath === '') return dvcDirMd5(entries);
  const file = entries.find((e) => e.relpath === relpath);
  if (file) return file.md5;
  const below = subdirEntries(entries, relpath);
  return below.length ? dvcDirMd5(below) : undefined;
}

/**
 * The cache directory DVC uses: `cache.dir` from .dvc/config.local or .dvc/config (relative paths
 * are relative to .dvc/, as DVC reads them), else .dvc/cache. The config is INI (configobj); only
 * the one key is read, with a plain section scan rather than a full parser.
 */
export function dvcCacheDir(root: string): string {
  for (const name of ['config.local', 'config']) {
    const path = join(root, '.dvc', name);
    if (!existsSync(path)) continue;
    let section = '';
    for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
      const header = /^\s*\[\s*['"]?([^'"\]]+)['"]?\s*\]\s*$/.exec(line);
      if (header) section = header[1].trim();
      const dir = section === 'cache' ? /^\s*dir\s*=\s*(.+?)\s*$/.exec(line)?.[1] : undefined;
      if (dir) return isAbsolute(dir) ? dir : join(root, '.dvc', dir);
    }
  }
  return join(root, '.dvc', 'cache');
}

/** Where DVC 3 keeps an object of the given md5 (`files/md5/ab/cdef….dir`). */
export const dvcCachePath = (root: string, md5: string): string => join(dvcCacheDir(root), 'files', 'md5', md5.slice(0, 2), md5.slice(2));

/**
 * The entries of a directory object from the DVC cache, or null when the cache does not hold it
 * (a fresh clone before `dvc pull`). A present but malformed object throws: it is not a guess.
 */
export function readCachedDir(root: string, md5: string): DirEntry[] | null {
  const path = dvcCachePath(root, md5);
  if (!existsSync(path)) return null;
  const list = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(list) || !list.every((e) => typeof e?.md5 === 'string' && typeof e?.relpath === 'string')) {
    throw new SyntaxError(`${path} is not a DVC directory object (a JSON list of {md5, relpath})`);
  }
  return list.map((e: DirEntry) => ({ md5: e.md5, relpath: e.relpath }));
}
