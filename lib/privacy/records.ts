import { createHash } from 'node:crypto';
import { InvalidInputError, type Issue } from '../errors.ts';
import { readJsonl } from '../io/jsonl.ts';

/**
 * The records of a private JSONL file (the source, or its synthetic twin), one object per line, with
 * the SHA-256 of the bytes read: one pass over the file. A JSON parser's message quotes the line
 * around the error; the line is private, so it is not shown.
 */
export function readPrivateRecords(path: string, file: string): { records: Record<string, unknown>[]; sha256: string } {
  const issues: Issue[] = [];
  const records: Record<string, unknown>[] = [];
  const hash = createHash('sha256');
  for (const entry of readJsonl(path, file, (chunk) => hash.update(chunk))) {
    if (entry.issue)
      issues.push(
        entry.issue.message.startsWith('malformed JSON')
          ? { ...entry.issue, message: 'malformed JSON (the line is private, so it is not shown)' }
          : entry.issue,
      );
    else if (entry.value === null || typeof entry.value !== 'object' || Array.isArray(entry.value))
      issues.push({ file, line: entry.line, message: 'must be a JSON object (one record per line)' });
    else records.push(entry.value as Record<string, unknown>);
  }
  if (!issues.length && !records.length) issues.push({ file, message: 'holds no records' });
  if (issues.length) throw new InvalidInputError(issues);
  return { records, sha256: hash.digest('hex') };
}
