import { columnValues, readParquetFile } from '../io/parquet.ts';

/** The assignment table as the sample stage needs it: ids, strata, and where each line is in the pool. */
export interface AssignmentIndex {
  ids: string[];
  strata: string[];
  /** Row numbers per stratum, in table (id) order. */
  byStratum: Map<string, number[]>;
  location(row: number): { id: string; fileIndex: number; line: number; offset: number; length: number };
}

export function readAssignmentIndex(path: string): AssignmentIndex {
  const columns = ['id', 'stratum', 'pool_file', 'pool_line', 'pool_offset', 'pool_length'];
  const table = readParquetFile(path, { columns });
  const [ids, strata] = columns.slice(0, 2).map((c) => columnValues(table, c) as string[]);
  const [files, lines, offsets, lengths] = columns.slice(2).map((c) => columnValues(table, c) as number[]);
  const byStratum = new Map<string, number[]>();
  strata.forEach((stratum, i) => {
    const rows = byStratum.get(stratum);
    if (rows) rows.push(i);
    else byStratum.set(stratum, [i]);
  });
  return {
    ids,
    strata,
    byStratum,
    location: (i) => ({ id: ids[i], fileIndex: files[i], line: lines[i], offset: offsets[i], length: lengths[i] }),
  };
}
