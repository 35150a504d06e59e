import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvalidInputError, type Issue } from '../errors.ts';
import { readJsonl } from '../io/jsonl.ts';
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
  line: number;
}

/** The pool's JSONL files in name order, so the same folder always reads the same way. */
export function poolFiles(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .map((name) => join(dir, name));
}

export interface PoolScan {
  count: number;
  issues: Issue[];
  /** The newest `created_at`, the default source of reproducible timestamps. */
  newestCreatedAt: string | null;
}

const MAX_ISSUES = 1000;

/**
 * Read and validate every record of the pool, handing each valid one to `visit`. Problems are
 * collected, not thrown: a schema violation, an unknown category or a duplicate id each becomes an
 * issue naming file, line and field. The caller decides what to keep, so a million-example pool
 * never has to sit in memory whole.
 */
export function scanPool(
  dir: string,
  categories: ReadonlySet<string>,
  visit: (example: PoolExample, at: Location) => void,
  root = process.cwd(),
  onProgress?: (records: number) => void,
): PoolScan {
  const issues: Issue[] = [];
  const firstSeen = new Map<string, string>();
  let count = 0;
  let newest: string | null = null;
  let newestMs = -Infinity;
  const files = poolFiles(dir);
  const dirName = relative(root, dir) || dir;
  if (files.length === 0) issues.push({ file: dirName, message: 'holds no *.jsonl files: the pool is empty' });
  for (const path of files) {
    const file = relative(root, path) || path;
    for (const entry of readJsonl(path, file)) {
      if (issues.length >= MAX_ISSUES) break;
      if (entry.issue) {
        issues.push(entry.issue);
        continue;
      }
      const { line, value } = entry;
      const problems = validateAgainst('pool-record', value, file, line);
      if (problems.length) {
        issues.push(...problems);
        continue;
      }
      const record = value as PoolExample;
      if (!categories.has(record.task_category)) {
        issues.push({ file, line, field: 'task_category', message: `unknown category "${record.task_category}"; the taxonomy has ${[...categories].join(', ')}` });
        continue;
      }
      const previous = firstSeen.get(record.id);
      if (previous !== undefined) {
        issues.push({ file, line, field: 'id', message: `duplicate id "${record.id}" (first at ${previous})` });
        continue;
      }
      firstSeen.set(record.id, `${file}:${line}`);
      if (record.created_at) {
        const ms = Date.parse(record.created_at);
        if (ms > newestMs) {
          newestMs = ms;
          newest = new Date(ms).toISOString();
        }
      }
      count++;
      if (onProgress && count % 100_000 === 0) onProgress(count);
      visit(
        {
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
        { file, line },
      );
    }
  }
  if (files.length && count === 0 && issues.length === 0) issues.push({ file: dirName, message: 'holds no records: the pool is empty' });
  return { count, issues, newestCreatedAt: newest };
}

/** scanPool that throws InvalidInputError listing every problem. */
export function readPoolOrThrow(...args: Parameters<typeof scanPool>): PoolScan {
  const scan = scanPool(...args);
  if (scan.issues.length) throw new InvalidInputError(scan.issues);
  return scan;
}
