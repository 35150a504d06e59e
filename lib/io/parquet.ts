import { readFileSync } from 'node:fs';
import { Field, List, Table, Utf8, Int32, Float64, tableFromIPC, tableToIPC, vectorFromArray, type DataType, type Vector } from 'apache-arrow';
import * as parquet from 'parquet-wasm';

/** Column types a table of ours may hold; each maps to one Arrow type that pandas, pyarrow and DuckDB read natively. */
export type ColumnType = 'string' | 'string?' | 'int32?' | 'float64?' | 'string[]';
export type ColumnSpec = Record<string, ColumnType>;

function arrowType(type: ColumnType): DataType {
  switch (type) {
    case 'string':
    case 'string?':
      return new Utf8();
    case 'int32?':
      return new Int32();
    case 'float64?':
      return new Float64();
    case 'string[]':
      return new List(new Field('element', new Utf8(), false));
  }
}

export function toArrowTable(spec: ColumnSpec, rows: readonly Record<string, unknown>[]): Table {
  const columns: Record<string, Vector> = {};
  for (const [name, type] of Object.entries(spec)) {
    columns[name] = vectorFromArray(
      rows.map((row) => row[name] ?? null),
      arrowType(type),
    ) as Vector;
  }
  return new Table(columns);
}

/**
 * The writer settings are pinned here, not left to the library's defaults, so that a dependency
 * upgrade that changes a default does not silently change the bytes: one row group, ZSTD level 3,
 * format v1 (read by every pyarrow, pandas and DuckDB release in use), chunk-level statistics.
 */
function writerProperties(): parquet.WriterProperties {
  return new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.ZSTD)
    .setWriterVersion(parquet.WriterVersion.V1)
    .setStatisticsEnabled(parquet.EnabledStatistics.Chunk)
    .setDictionaryEnabled(true)
    .setMaxRowGroupSize(1 << 24)
    .build();
}

export function encodeParquet(table: Table): Uint8Array {
  const wasmTable = parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
  return parquet.writeParquet(wasmTable, writerProperties());
}

export function decodeParquet(bytes: Uint8Array): Table {
  const wasmTable = parquet.readParquet(bytes);
  return tableFromIPC(wasmTable.intoIPCStream());
}

export function readParquetFile(path: string): Table {
  return decodeParquet(readFileSync(path));
}

/** Rows as plain objects; list columns become string arrays. */
export function tableRows(table: Table): Record<string, unknown>[] {
  const names = table.schema.fields.map((f) => f.name);
  const vectors = names.map((n) => table.getChild(n)!);
  const rows: Record<string, unknown>[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    names.forEach((name, j) => {
      const v = vectors[j].get(i);
      row[name] = v !== null && typeof v === 'object' && typeof v.toArray === 'function' ? [...v.toArray()] : v;
    });
    rows[i] = row;
  }
  return rows;
}

