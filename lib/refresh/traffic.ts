import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, type Table } from 'apache-arrow';
import { InvalidInputError, type Issue } from '../errors.ts';
import { readJsonl, unreadableReason } from '../io/jsonl.ts';
import { byCodePoint } from '../io/order.ts';
import { readParquetFile } from '../io/parquet.ts';

/**
 * Production traffic, the "current" side of staleness (issue 9). DESIGN.md's contract:
 * `datasets/traffic/YYYY-MM-DD.jsonl`, one file per UTC day, each line
 * `{"ts": ISO-8601 instant, "prompt": string, "task_category": string (optional)}`; a day may be a
 * `YYYY-MM-DD.parquet` file with the same columns instead.
 *
 * Listing the partitions reads only the folder, and reading takes the partitions it is given, so a
 * staleness window of the last N days (lastDays) costs those days, however long the history.
 */

/** One day of traffic on disk. */
export interface TrafficPartition {
  /** The UTC date the file holds, YYYY-MM-DD. */
  date: string;
  path: string;
}

/** One production prompt. `ts` is kept as written (a Parquet timestamp column becomes its ISO form in UTC). */
export interface TrafficPrompt {
  ts: string;
  prompt: string;
  task_category?: string;
}

export interface TrafficDay {
  date: string;
  prompts: TrafficPrompt[];
}

const TRAFFIC_HINT =
  'Name each day of traffic YYYY-MM-DD.jsonl (or .parquet) after its UTC date, one file per day; each line needs `ts` (an RFC 3339 date-time with its offset, e.g. 2026-11-20T09:12:00Z, on that date in UTC) and a non-empty `prompt`; `task_category` is optional.';

const PARTITION = /^(\d{4}-\d{2}-\d{2})\.(jsonl|parquet)$/;
/** Names that look meant as a partition but are not one: a data extension, or a leading date. */
const LOOKS_LIKE_PARTITION = /\.(jsonl|parquet)$|^\d{4}-\d{2}-\d{2}/i;

/**
 * The daily partitions in `dir`, sorted by date. A file named like a partition that is not one
 * (`traffic.jsonl`, `2026-02-30.jsonl`, `2026-11-20.csv`, `2026-11-20.jsonl.gz`) and two files for one
 * date are input errors, all reported at once, each naming its file as `rel` displays it. Dotfiles
 * (`.gitkeep`) and other files (`README.md`) are left alone. No folder: no partitions.
 */
export function trafficPartitions(dir: string, rel: (path: string) => string): TrafficPartition[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) throw new InvalidInputError([{ file: rel(dir), message: 'is not a folder' }], { hint: TRAFFIC_HINT });
  const issues: Issue[] = [];
  const byDate = new Map<string, TrafficPartition>();
  for (const name of readdirSync(dir).sort(byCodePoint)) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    const match = PARTITION.exec(name);
    if (!match) {
      if (LOOKS_LIKE_PARTITION.test(name))
        issues.push({
          file: rel(path),
          message: 'is not a traffic partition: name each day YYYY-MM-DD.jsonl or YYYY-MM-DD.parquet, after its UTC date',
        });
      continue;
    }
    const date = match[1];
    if (!isCalendarDate(date)) {
      issues.push({ file: rel(path), message: `${date} is not a calendar date` });
      continue;
    }
    const first = byDate.get(date);
    if (first) {
      issues.push({ file: rel(path), message: `holds ${date}, as ${rel(first.path)} does: keep one file per day` });
      continue;
    }
    byDate.set(date, { date, path });
  }
  if (issues.length) throw new InvalidInputError(issues, { hint: TRAFFIC_HINT });
  return [...byDate.values()].sort((a, b) => byCodePoint(a.date, b.date));
}

/**
 * The partitions of the `days` calendar days that end on `end` (both included), `end` by default the
 * newest partition's date, never the wall clock, so the same folder gives the same window on any day.
 * A day without a file is a day without traffic.
 */
export function lastDays(partitions: readonly TrafficPartition[], days: number, end?: string): TrafficPartition[] {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`a window of days must be a whole number ≥ 1, got ${days}`);
  if (end !== undefined && !isCalendarDate(end)) throw new RangeError(`the window's end must be a calendar date YYYY-MM-DD, got ${end}`);
  const last = end ?? partitions.reduce<string | undefined>((max, p) => (max === undefined || p.date > max ? p.date : max), undefined);
  if (last === undefined) return [];
  const first = new Date(Date.parse(`${last}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  return partitions.filter((p) => p.date >= first && p.date <= last).sort((a, b) => byCodePoint(a.date, b.date));
}

/**
 * Read and check the given partitions. Every line (a Parquet file: every row, its 1-based number given
 * as the line) must hold a non-empty `prompt`, a `ts` that is an RFC 3339 date-time with its offset
 * (parseInstant) on the partition's date in UTC, and, when present and not null, a non-empty string
 * `task_category`; other fields are ignored. Every problem in every file is collected, naming file,
 * line and field, and thrown as one InvalidInputError: nothing is returned from a window with a bad
 * line in it. Within a day, prompts are ordered by instant, then by `ts` as written, prompt and
 * category (code point order), so the result does not depend on the order of the lines.
 */
export function readTraffic(partitions: readonly TrafficPartition[], rel: (path: string) => string): TrafficDay[] {
  const issues: Issue[] = [];
  const days: TrafficDay[] = [];
  for (const { date, path } of [...partitions].sort((a, b) => byCodePoint(a.date, b.date))) {
    const file = rel(path);
    const keyed: { at: number; prompt: TrafficPrompt }[] = [];
    const accept = (value: unknown, line: number) => {
      const checked = checkRecord(value, date, file, line);
      if ('issues' in checked) issues.push(...checked.issues);
      else keyed.push(checked);
    };
    if (path.endsWith('.parquet')) readParquetRows(path, file, issues, accept);
    else
      for (const entry of readJsonl(path, file)) {
        if (entry.issue) issues.push(entry.issue);
        else accept(entry.value, entry.line);
      }
    keyed.sort(
      (a, b) =>
        a.at - b.at || byCodePoint(a.prompt.ts, b.prompt.ts) || byCodePoint(a.prompt.prompt, b.prompt.prompt) || byCategory(a.prompt, b.prompt),
    );
    days.push({ date, prompts: keyed.map(({ prompt }) => prompt) });
  }
  if (issues.length) throw new InvalidInputError(issues, { hint: TRAFFIC_HINT });
  return days;
}

const byCategory = (a: TrafficPrompt, b: TrafficPrompt) =>
  a.task_category === b.task_category
    ? 0
    : a.task_category === undefined
      ? -1
      : b.task_category === undefined
        ? 1
        : byCodePoint(a.task_category, b.task_category);

function checkRecord(value: unknown, date: string, file: string, line: number): { at: number; prompt: TrafficPrompt } | { issues: Issue[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { issues: [{ file, line, message: 'is not a JSON object' }] };
  const record = value as Record<string, unknown>;
  const issues: Issue[] = [];
  const { prompt, ts, task_category } = record;
  if (prompt === undefined || prompt === null) issues.push({ file, line, field: 'prompt', message: 'is required' });
  else if (typeof prompt !== 'string') issues.push({ file, line, field: 'prompt', message: 'must be a string' });
  else if (prompt.trim() === '') issues.push({ file, line, field: 'prompt', message: 'must not be empty or only whitespace' });

  let at = NaN;
  if (ts === undefined || ts === null) issues.push({ file, line, field: 'ts', message: 'is required' });
  else if (typeof ts !== 'string')
    issues.push({ file, line, field: 'ts', message: 'must be a string: an RFC 3339 date-time with its offset, e.g. 2026-11-20T09:12:00Z' });
  else {
    const parsed = parseInstant(ts);
    if (typeof parsed === 'string') issues.push({ file, line, field: 'ts', message: parsed });
    else {
      const utcDate = new Date(parsed).toISOString().slice(0, 10);
      if (utcDate !== date)
        issues.push({
          file,
          line,
          field: 'ts',
          message: `"${ts}" falls on ${utcDate} in UTC, but this file holds ${date}: move the line to ${utcDate}'s file`,
        });
      at = parsed;
    }
  }

  if (task_category !== undefined && task_category !== null) {
    if (typeof task_category !== 'string') issues.push({ file, line, field: 'task_category', message: 'must be a string when present' });
    else if (task_category.trim() === '')
      issues.push({ file, line, field: 'task_category', message: 'must not be empty: leave the field out when the category is not known' });
  }
  if (issues.length) return { issues };
  const out: TrafficPrompt = { ts: ts as string, prompt: prompt as string };
  if (typeof task_category === 'string') out.task_category = task_category;
  return { at, prompt: out };
}

/**
 * The rows of a Parquet partition as plain objects, handed to `accept` with their 1-based row number.
 * Values are read through Arrow's own accessor, so any string layout (plain, large, dictionary-encoded)
 * reads as a string. A timestamp `ts` column becomes its instant in ISO form, provided it carries a
 * time zone: a zone-less timestamp is a wall-clock reading whose instant depends on where it was taken,
 * so it is refused, as a `ts` string without an offset is.
 */
function readParquetRows(path: string, file: string, issues: Issue[], accept: (value: unknown, line: number) => void): void {
  const reason = unreadableReason(path);
  if (reason) {
    issues.push({ file, message: reason });
    return;
  }
  let table: Table;
  try {
    table = readParquetFile(path, { columns: ['ts', 'prompt', 'task_category'] });
  } catch (err) {
    issues.push({ file, message: `is not a Parquet file that can be read (${(err as Error).message})` });
    return;
  }
  let missing = false;
  for (const column of ['ts', 'prompt']) {
    if (!table.getChild(column)) {
      issues.push({ file, field: column, message: 'is a required column' });
      missing = true;
    }
  }
  if (missing) return;
  const tsType = table.getChild('ts')!.type;
  const timestamps = DataType.isTimestamp(tsType);
  if (timestamps && !tsType.timezone) {
    issues.push({
      file,
      field: 'ts',
      message: 'is a timestamp column without a time zone: write it with one (UTC), or as RFC 3339 strings with their offset',
    });
    return;
  }
  const columns = (['ts', 'prompt', 'task_category'] as const).map((name) => [name, table.getChild(name)] as const);
  for (let row = 0; row < table.numRows; row++) {
    const record: Record<string, unknown> = {};
    for (const [name, vector] of columns) {
      if (!vector) continue;
      const value: unknown = vector.get(row);
      // Arrow hands a timestamp out as epoch milliseconds.
      record[name] = name === 'ts' && timestamps && typeof value === 'number' ? new Date(value).toISOString() : value;
    }
    accept(record, row + 1);
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant an RFC 3339 date-time stands for, in epoch milliseconds, or why the text is not one.
 * RFC 3339 §5.6: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, a space allowed for the T (its note). The
 * offset is required: without one, JavaScript reads the time in the machine's zone, and the day a
 * prompt belongs to would depend on where the stage runs. Fractions beyond milliseconds are cut.
 * Hand-written: Date.parse accepts only the ECMAScript profile reliably (what it does with the rest,
 * such as a space for the T or nine fraction digits, is implementation-defined), and ajv-formats
 * checks the form but does not compute the instant.
 */
export function parseInstant(text: string): number | string {
  const m = RFC3339.exec(text);
  if (!m) {
    return /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(text)
      ? `"${text}" has no UTC offset: add Z or ±HH:MM (e.g. 2026-11-20T09:12:00Z), since a time without one means a different instant on each machine`
      : `"${text}" is not an RFC 3339 date-time (e.g. 2026-11-20T09:12:00Z)`;
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const millis = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  if (!isCalendarDate(`${m[1]}-${m[2]}-${m[3]}`)) return `"${text}" is not a calendar date`;
  if (hour > 23 || minute > 59 || second > 59) return `"${text}" is not a time of day (a leap second, :60, cannot be placed: use :59.999)`;
  const offsetHours = m[8] ? 0 : Number(m[10]);
  const offsetMinutes = m[8] ? 0 : Number(m[11]);
  if (offsetHours > 23 || offsetMinutes > 59) return `"${text}" has an offset that is not one (hours ≤ 23, minutes ≤ 59)`;
  const sign = m[9] === '-' ? -1 : 1;
  return utcMillis(year, month, day, hour, minute, second, millis) - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/** Epoch milliseconds of a UTC date and time. setUTCFullYear, unlike Date.UTC, keeps the years 0–99 as they are. */
function utcMillis(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millis = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime();
}

/** YYYY-MM-DD naming a day of the proleptic Gregorian calendar (2026-02-29 does not). */
function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [year, month, day] = m.slice(1).map(Number);
  // An impossible day (02-30) rolls over into the next month.
  const date = new Date(utcMillis(year, month, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
