import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidInputError, VALIDATE_HINT, formatIssue, type Issue } from '../errors.ts';
import { jsonlFiles, readJsonl } from '../io/jsonl.ts';
import { sha256File } from '../io/hash.ts';
import { validateAgainst } from '../config/schema.ts';
import type { SignalName } from '../config/taxonomy.ts';

/** One candidate example, as the pool contract (DESIGN.md) defines it, with absent optional fields filled. */
export interface PoolExample {
  id: string;
  prompt: string;
  reference: string | null;
  task_category: string;
  signals: Partial<Record<SignalName, number>>;
  capabilities: string[];
  labels: Record<string, unknown>;
  source: string;
  created_at?: string;
}

export interface Location {
  file: string;
  /** Index of the file in the pool's file list (name order). */
  fileIndex: number;
  line: number;
  /** Byte offset and length of the record's line, to read it again without scanning the pool. */
  offset: number;
  length: number;
}

/** The pool's JSONL files in name order, so the same folder always reads the same way. */
export const poolFiles = jsonlFiles;

/** What a scan learned about the pool as a whole: its files (with their SHA-256), size and newest record. */
export interface PoolSummary {
  files: { path: string; bytes: number; sha256: string }[];
  records: number;
  /** The newest `created_at`, the default source of reproducible timestamps. */
  newest_created_at: string | null;
}

/** interim/pool.json: the pool as classify saw it, and the taxonomy it classified with. */
export interface ClassifiedPool extends PoolSummary {
  taxonomy: { version: string; sha256: string };
}

export interface PoolScan extends PoolSummary {
  issues: Issue[];
}

/** Validate one parsed record: the schema, then the category. Absent optional fields are filled. */
export function checkRecord(value: unknown, file: string, line: number, categories: ReadonlySet<string>): { example?: PoolExample; issues: Issue[] } {
  const issues = validateAgainst('pool-record', value, file, line);
  if (issues.length) return { issues };
  const record = value as PoolExample;
  if (!categories.has(record.task_category)) {
    return {
      issues: [
        { file, line, field: 'task_category', message: `unknown category "${record.task_category}"; the taxonomy has ${[...categories].join(', ')}` },
      ],
    };
  }
  return {
    issues: [],
    example: {
      id: record.id,
      prompt: record.prompt,
      reference: record.reference ?? null,
      task_category: record.task_category,
      signals: record.signals ?? {},
      capabilities: record.capabilities ?? [],
      labels: record.labels ?? {},
      source: record.source ?? '',
      created_at: record.created_at,
    },
  };
}

/**
 * Read and validate every record of the pool, handing each valid one to `visit`. Problems are
 * collected, not thrown: a schema violation, an unknown category or a duplicate id each becomes an
 * issue naming file, line and field, and a file that cannot be read becomes one issue naming it.
 * Every problem is kept, however many: a count that stops early hides the files it never reached.
 * The caller decides what to keep, so a million-example pool never has to sit in memory whole.
 */
export function scanPool(
  dir: string,
  categories: ReadonlySet<string>,
  visit: (example: PoolExample, at: Location) => void,
  root = process.cwd(),
  onProgress?: (records: number) => void,
): PoolScan {
  const issues: Issue[] = [];
  // id → where it was first seen, packed as fileIndex × 2³² + line to keep a million entries small.
  const firstSeen = new Map<string, number>();
  const files: PoolSummary['files'] = [];
  let records = 0;
  let newest: string | null = null;
  let newestMs = -Infinity;
  const paths = poolFiles(dir);
  const dirName = relative(root, dir) || dir;
  if (paths.length === 0) issues.push({ file: dirName, message: 'holds no *.jsonl files: the pool is empty' });
  paths.forEach((path, fileIndex) => {
    const file = relative(root, path) || path;
    const hash = createHash('sha256');
    let bytes = 0;
    const onChunk = (chunk: Uint8Array) => {
      hash.update(chunk);
      bytes += chunk.byteLength;
    };
    for (const entry of readJsonl(path, file, onChunk)) {
      if (entry.issue) {
        issues.push(entry.issue);
        continue;
      }
      const { line, offset, length } = entry;
      const { example, issues: problems } = checkRecord(entry.value, file, line, categories);
      if (!example) {
        issues.push(...problems);
        continue;
      }
      const previous = firstSeen.get(example.id);
      if (previous !== undefined) {
        const firstPath = paths[Math.floor(previous / 2 ** 32)];
        const at = `${relative(root, firstPath) || firstPath}:${previous % 2 ** 32}`;
        issues.push({ file, line, field: 'id', message: `duplicate id "${example.id}" (first at ${at})` });
        continue;
      }
      firstSeen.set(example.id, fileIndex * 2 ** 32 + line);
      if (example.created_at) {
        const ms = Date.parse(example.created_at);
        if (Number.isNaN(ms)) {
          issues.push({
            file,
            line,
            field: 'created_at',
            message: `"${example.created_at}" is not a date-time JavaScript can read (use RFC 3339, e.g. 2026-03-14T09:12:00Z)`,
          });
          continue;
        }
        if (ms > newestMs) {
          newestMs = ms;
          newest = new Date(ms).toISOString();
        }
      }
      records++;
      if (onProgress && records % 100_000 === 0) onProgress(records);
      visit(example, { file, fileIndex, line, offset, length });
    }
    files.push({ path: file, bytes, sha256: hash.digest('hex') });
  });
  if (paths.length && records === 0 && issues.length === 0) issues.push({ file: dirName, message: 'holds no records: the pool is empty' });
  return { files, records, newest_created_at: newest, issues };
}

/** scanPool that throws InvalidInputError listing every problem. */
export function readPoolOrThrow(...args: Parameters<typeof scanPool>): PoolSummary {
  const { issues, ...summary } = scanPool(...args);
  if (issues.length) throw new InvalidInputError(issues, { hint: VALIDATE_HINT });
  return summary;
}

const RECLASSIFY_HINT = 'Run `evalset classify` (or `dvc repro`) again.';

export class PoolChangedError extends InvalidInputError {
  constructor(detail: string) {
    super([{ file: 'datasets/pool', message: `changed since classify ran (${detail}): run \`evalset classify\` (or \`dvc repro\`) again` }], {
      hint: RECLASSIFY_HINT,
    });
  }
}

/** Check that the pool's files and the taxonomy are the ones classify used, byte for byte. */
export function verifyClassified(root: string, dir: string, taxonomyPath: string, classified: ClassifiedPool): void {
  const now = poolFiles(dir).map((p) => relative(root, p) || p);
  const before = classified.files.map((f) => f.path);
  if (now.join('\n') !== before.join('\n')) throw new PoolChangedError(`files were ${before.join(', ')}; now ${now.join(', ')}`);
  for (const f of classified.files) if (sha256File(join(root, f.path)) !== f.sha256) throw new PoolChangedError(`${f.path} differs`);
  if (sha256File(taxonomyPath) !== classified.taxonomy.sha256) {
    throw new InvalidInputError(
      [{ file: relative(root, taxonomyPath), message: 'changed since classify ran: run `evalset classify` (or `dvc repro`) again' }],
      {
        hint: RECLASSIFY_HINT,
      },
    );
  }
}

/**
 * Read records back by position (after verifyPool), so that drawing a sample does not re-parse a
 * pool it has already validated. Each record is checked again, and must carry the id it was indexed under.
 */
export function readRecordsAt(
  root: string,
  summary: PoolSummary,
  wanted: readonly { id: string; fileIndex: number; line: number; offset: number; length: number }[],
  categories: ReadonlySet<string>,
): PoolExample[] {
  const out: PoolExample[] = [];
  const byFile = [...wanted].sort((a, b) => a.fileIndex - b.fileIndex || a.offset - b.offset);
  let fd = -1;
  let open = -1;
  try {
    for (const w of byFile) {
      if (w.fileIndex !== open) {
        if (fd >= 0) closeSync(fd);
        fd = openSync(join(root, summary.files[w.fileIndex].path), 'r');
        open = w.fileIndex;
      }
      const buf = Buffer.allocUnsafe(w.length);
      readSync(fd, buf, 0, w.length, w.offset);
      const file = summary.files[w.fileIndex].path;
      let value: unknown;
      try {
        value = JSON.parse(buf.toString('utf8'));
      } catch {
        throw new PoolChangedError(`${file}:${w.line} is not the record indexed there`);
      }
      const { example, issues } = checkRecord(value, file, w.line, categories);
      if (!example || example.id !== w.id)
        throw new PoolChangedError(issues.length ? formatIssue(issues[0]) : `${file} holds another record where ${w.id} was`);
      out.push(example);
    }
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return out;
}
