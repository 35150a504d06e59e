import { readFileSync } from 'node:fs';
import {
  Field,
  Float64,
  Int32,
  List,
  Table,
  Utf8,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  type Data,
  type DataType,
  type Vector,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm';

/** Column types a table of ours may hold; each maps to one Arrow type that pandas, pyarrow and DuckDB read natively. */
export type ColumnType = 'string' | 'string?' | 'int32' | 'int32?' | 'float64' | 'float64?' | 'string[]';
export type ColumnSpec = Record<string, ColumnType>;

/*
 * Arrow columns are built here from their buffers (offsets, bytes, validity bits) rather than with
 * apache-arrow's vectorFromArray builders: on a million rows the builders spent seconds per column
 * and most of the run's garbage collection, where filling the buffers directly takes milliseconds.
 */

function validity(values: readonly unknown[]): { nullCount: number; nullBitmap?: Uint8Array } {
  let nullCount = 0;
  for (const v of values) if (v === null || v === undefined) nullCount++;
  if (nullCount === 0) return { nullCount };
  const nullBitmap = new Uint8Array((values.length + 7) >> 3);
  values.forEach((v, i) => {
    if (v !== null && v !== undefined) nullBitmap[i >> 3] |= 1 << (i & 7);
  });
  return { nullCount, nullBitmap };
}

function utf8Data(values: readonly (string | null | undefined)[]): Data<Utf8> {
  const valueOffsets = new Int32Array(values.length + 1);
  let bytes = 0;
  for (let i = 0; i < values.length; i++) {
    bytes += values[i] ? Buffer.byteLength(values[i]!, 'utf8') : 0;
    valueOffsets[i + 1] = bytes;
  }
  const data = Buffer.allocUnsafe(bytes);
  for (let i = 0; i < values.length; i++) if (values[i]) data.write(values[i]!, valueOffsets[i], 'utf8');
  return makeData({ type: new Utf8(), length: values.length, ...validity(values), valueOffsets, data });
}

function columnData(type: ColumnType, values: readonly unknown[]): Data<DataType> {
  switch (type) {
    case 'string':
    case 'string?':
      return utf8Data(values as (string | null)[]);
    case 'int32':
    case 'int32?':
      return makeData({ type: new Int32(), length: values.length, ...validity(values), data: Int32Array.from(values as number[], (v) => v ?? 0) });
    case 'float64':
      return makeData({ type: new Float64(), length: values.length, nullCount: 0, data: Float64Array.from(values as number[]) });
    case 'float64?':
      return makeData({
        type: new Float64(),
        length: values.length,
        ...validity(values),
        data: Float64Array.from(values as number[], (v) => v ?? 0),
      });
    case 'string[]': {
      const lists = values as string[][];
      const valueOffsets = new Int32Array(lists.length + 1);
      lists.forEach((list, i) => (valueOffsets[i + 1] = valueOffsets[i] + list.length));
      const child = utf8Data(lists.flat());
      const type = new List(new Field('element', new Utf8(), false));
      return makeData({ type, length: lists.length, nullCount: 0, valueOffsets, child });
    }
  }
}

/** A table from columns of plain values, one array per column of the spec, all of one length. */
export function columnsToArrowTable(spec: ColumnSpec, columns: Record<string, readonly unknown[]>): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, type] of Object.entries(spec)) vectors[name] = makeVector(columnData(type, columns[name]));
  return new Table(vectors);
}

/** A table from row objects. */
export function toArrowTable(spec: ColumnSpec, rows: readonly Record<string, unknown>[]): Table {
  const columns: Record<string, unknown[]> = {};
  for (const name of Object.keys(spec)) columns[name] = rows.map((row) => row[name]);
  return columnsToArrowTable(spec, columns);
}

/**
 * The writer settings are pinned here, not left to the library's defaults, so that a dependency
 * upgrade that changes a default does not silently change the bytes: one row group, ZSTD, format v1
 * (read by every pyarrow, pandas and DuckDB release in use), chunk-level statistics, dictionaries on.
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

export interface ReadOptions {
  /** Only these columns. */
  columns?: string[];
  /** At most this many rows. */
  limit?: number;
}

export function decodeParquet(bytes: Uint8Array, options: ReadOptions = {}): Table {
  // One large batch instead of the reader's default 1,024 rows: a million-row table in a thousand chunks is slow to walk.
  const wasmTable = parquet.readParquet(bytes, { batchSize: 1 << 24, ...options });
  return tableFromIPC(wasmTable.intoIPCStream());
}

export function readParquetFile(path: string, options?: ReadOptions): Table {
  return decodeParquet(readFileSync(path), options);
}

function isValid(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (!data.nullCount || !bitmap || bitmap.length === 0) return true;
  const j = data.offset + i;
  return (bitmap[j >> 3] & (1 << (j & 7))) !== 0;
}

function decodeUtf8(data: Data, i: number): string {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const j = data.offset + i;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8', offsets[j], offsets[j + 1]);
}

/** One column as plain values (strings, numbers, string arrays, null), read straight from its buffers. */
export function columnValues(table: Table, name: string): unknown[] {
  const vector = table.getChild(name);
  if (!vector) throw new Error(`the table has no column "${name}"`);
  const out: unknown[] = new Array(vector.length);
  let k = 0;
  for (const data of vector.data) {
    const type = data.type;
    for (let i = 0; i < data.length; i++, k++) {
      if (!isValid(data, i)) out[k] = null;
      else if (type instanceof Utf8) out[k] = decodeUtf8(data, i);
      else if (type instanceof List) {
        const offsets = data.valueOffsets as Int32Array;
        const child = data.children[0];
        const list: string[] = [];
        for (let c = offsets[data.offset + i]; c < offsets[data.offset + i + 1]; c++) list.push(decodeUtf8(child, c));
        out[k] = list;
      } else out[k] = (data.values as ArrayLike<number>)[data.offset + i];
    }
  }
  return out;
}

/** Rows as plain objects; list columns become string arrays. */
export function tableRows(table: Table): Record<string, unknown>[] {
  const names = table.schema.fields.map((f) => f.name);
  const columns = names.map((name) => columnValues(table, name));
  return Array.from({ length: table.numRows }, (_, i) => Object.fromEntries(names.map((name, j) => [name, columns[j][i]])));
}
