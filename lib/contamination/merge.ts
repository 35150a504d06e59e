/**
 * Merging shard indexes (issue 7, §1): a Bloom filter of a union is the bitwise OR of the filters of
 * its parts when they share m, k and the hash seed (Broder & Mitzenmacher 2004, §2.2), and the union
 * of the shards is the corpus. The merged file's header is what a single build writes (shard 0 of 1,
 * the shards' insert counts summed), so a merged index equals a single build's byte for byte.
 *
 * The bit arrays are read piece by piece (IO_PIECE bytes of every input at a time), so merging N
 * filters of 120 GB needs N pieces in memory, not N filters.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { InvalidInputError, type Issue } from '../errors.ts';
import { HEADER_BYTES, encodeHeader, readFully, readIndexHeader, writeStreamed, type IndexHeader } from './indexFile.ts';

const IO_PIECE = 16 << 20;

/** The header fields every shard of one build must share (all but the shard index and the insert count). */
const SHARED: readonly (keyof IndexHeader)[] = [
  'formatVersion',
  'bits',
  'hashes',
  'seed',
  'width',
  'normalizerVersion',
  'stride',
  'expectedShingles',
  'targetFpr',
  'shardCount',
  'manifestSha256',
];

/** What merging these headers gives, or every reason it cannot. */
export function mergedHeader(headers: readonly IndexHeader[], files: readonly string[]): IndexHeader {
  if (headers.length === 0) throw new InvalidInputError([{ file: '(no shards)', message: 'name at least one shard file to merge' }]);
  const issues: Issue[] = [];
  const first = headers[0];
  for (let i = 1; i < headers.length; i++)
    for (const field of SHARED)
      if (headers[i][field] !== first[field])
        issues.push({
          file: files[i],
          field,
          message: `is ${String(headers[i][field])}, but ${files[0]} has ${String(first[field])}: shards of one build share every parameter`,
        });
  if (!issues.length) {
    const count = first.shardCount;
    const seen = new Map<number, string>();
    headers.forEach((h, i) => {
      const again = seen.get(h.shardIndex);
      if (again) issues.push({ file: files[i], field: 'shard_index', message: `is shard ${h.shardIndex}/${count} again (also ${again})` });
      else seen.set(h.shardIndex, files[i]);
    });
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
    if (missing.length)
      issues.push({
        file: files.join(', '),
        field: 'shard_index',
        message: `shards ${missing.join(', ')} of ${count} are missing: a merge takes exactly shards 0..${count - 1}`,
      });
  }
  if (issues.length)
    throw new InvalidInputError(issues, { hint: 'Merge the shards of one build only: same corpus, parameters and shard count, each shard once.' });
  return { ...first, shardIndex: 0, shardCount: 1, inserted: headers.reduce((sum, h) => sum + h.inserted, 0) };
}

/** OR the shard files into `output` (written atomically); returns the merged header. */
export async function mergeIndexFiles(inputs: readonly string[], output: string): Promise<IndexHeader> {
  const headers: IndexHeader[] = [];
  for (const input of inputs) headers.push(await readIndexHeader(input));
  const header = mergedHeader(headers, inputs);
  const handles: FileHandle[] = [];
  try {
    for (const input of inputs) handles.push(await open(input, 'r'));
    await writeStreamed(output, encodeHeader(header), orPieces(handles, header.bits / 8));
  } finally {
    for (const handle of handles) await handle.close();
  }
  return header;
}

/** The OR of the handles' bit arrays, IO_PIECE bytes at a time. */
async function* orPieces(handles: readonly FileHandle[], total: number): AsyncGenerator<Uint8Array> {
  const acc = new Uint8Array(Math.min(IO_PIECE, total));
  const other = new Uint8Array(acc.length);
  for (let start = 0; start < total; start += IO_PIECE) {
    const length = Math.min(IO_PIECE, total - start);
    const piece = acc.subarray(0, length);
    await readFully(handles[0], piece, HEADER_BYTES + start);
    for (let h = 1; h < handles.length; h++) {
      const more = other.subarray(0, length);
      await readFully(handles[h], more, HEADER_BYTES + start);
      orInto(piece, more);
    }
    yield piece;
  }
}

/** target |= source, four bytes at a time (the pieces start on fresh buffers, so they are aligned), then the tail. */
function orInto(target: Uint8Array, source: Uint8Array): void {
  const words = target.length >>> 2;
  const t = new Uint32Array(target.buffer, target.byteOffset, words);
  const s = new Uint32Array(source.buffer, source.byteOffset, words);
  for (let i = 0; i < words; i++) t[i] |= s[i];
  for (let i = words * 4; i < target.length; i++) target[i] |= source[i];
}
