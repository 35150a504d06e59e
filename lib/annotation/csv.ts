import { parse as parseCsv } from 'csv-parse/sync';
import { readConfigFile } from '../config/readConfig.ts';
import { InvalidInputError, type Issue } from '../errors.ts';
import { checkAnnotation, type Annotation } from './annotations.ts';

/**
 * Read a CSV of annotations: `columns` names the headers holding the example id, the annotator id and
 * the label (and optionally the time). csv-parse handles quoting and embedded line breaks; labels
 * arrive as text, so a label that reads as a number is taken as one (a rating scale exported to CSV).
 */
export function readAnnotationsCsv(path: string, file: string, columns: readonly string[]): Annotation[] {
  const text = readConfigFile(path, file);
  let rows: string[][];
  try {
    rows = parseCsv(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][];
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new InvalidInputError([{ file, line: e.lines, message: `malformed CSV (${e.message})` }]);
  }
  if (!rows.length) throw new InvalidInputError([{ file, message: 'is empty: expected a header line' }]);
  const header = rows[0];
  const index = columns.map((c) => header.indexOf(c));
  const missing = columns.filter((_, i) => index[i] < 0);
  if (missing.length)
    throw new InvalidInputError([
      {
        file,
        line: 1,
        message: `has no column ${missing.map((m) => `"${m}"`).join(', ')}; its columns are ${header.map((h) => `"${h}"`).join(', ')}`,
      },
    ]);
  const issues: Issue[] = [];
  const out: Annotation[] = [];
  const fields = ['example_id', 'annotator_id', 'label', 'annotated_at'];
  rows.slice(1).forEach((row, i) => {
    const record: Record<string, unknown> = {};
    index.forEach((col, j) => {
      const cell = row[col];
      if (cell === '' && j >= 2) return; // a missing label (or time) is a missing value, not an annotation
      record[fields[j]] = j === 2 && cell.trim() !== '' && Number.isFinite(Number(cell)) ? Number(cell) : cell;
    });
    if (!('label' in record)) return;
    const a = checkAnnotation(record, file, i + 2, issues);
    if (a) out.push(a);
  });
  if (issues.length)
    throw new InvalidInputError(issues.map((issue) => ({ ...issue, field: columns[fields.indexOf(issue.field ?? '')] ?? issue.field })));
  return out;
}
