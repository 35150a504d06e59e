import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../errors.ts';

/** A config file's text; a missing or unreadable file is an input problem naming the file. */
export function readConfigFile(path: string, displayName = path): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new InvalidInputError([{ file: displayName, message: 'cannot be read (missing?)' }]);
  }
}
