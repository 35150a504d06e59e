/**
 * The reference corpus (datasets/reference-corpus/, DESIGN.md): text known to be in a model's
 * training data, as `.txt` files (each file one document) and `.jsonl` files (one document per line,
 * its `text` field), in any sub-folders. Other files are not corpus files and are left out of the
 * listing (a README beside the texts is not training text).
 *
 * The listing is what shard builders agree on without reading every file: the paths (relative, with
 * '/', sorted by code point) and the sizes, hashed into the manifest digest that every index header
 * records and that merge compares.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { InvalidInputError, type Issue } from '../errors.ts';
import { sha256 } from '../io/hash.ts';
import { readJsonl } from '../io/jsonl.ts';
import { byCodePoint } from '../io/order.ts';
import { tokenize } from './normalize.ts';

export interface CorpusFile {
  /** Relative to the corpus folder, '/'-separated. */
  path: string;
  /** Size in bytes; null when a listing names the file without its size (`dvc list` of a DVC-tracked folder). */
  bytes: number | null;
  /** Content MD5 as DVC records it, when the listing came from `dvc list --json`. */
  md5?: string;
}

const CORPUS_FILE = /\.(txt|jsonl)$/;

/** Every `.txt` and `.jsonl` file under `dir`, in code-point order of their relative paths. */
export async function listCorpus(dir: string): Promise<CorpusFile[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (err) {
    throw new InvalidInputError([{ file: dir, message: `cannot be listed as a corpus folder (${(err as NodeJS.ErrnoException).code})` }], {
      hint: 'Point --corpus at a folder of .txt and .jsonl files (the pipeline reads datasets/reference-corpus).',
    });
  }
  const files: CorpusFile[] = [];
  for (const entry of entries) {
    if (!CORPUS_FILE.test(entry.name) || entry.name.startsWith('.')) continue;
    const full = join(entry.parentPath ?? entry.path, entry.name);
    const info = await stat(full); // follows links, so a linked file counts (DVC links cached files into place)
    if (!info.isFile()) continue;
    const path = relative(dir, full).split(sep).join('/');
    files.push({ path, bytes: info.size });
  }
  return files.sort((a, b) => byCodePoint(a.path, b.path));
}

/**
 * The corpus files of a `dvc list --json [--recursive] URL datasets/reference-corpus` answer: what a
 * CI job knows before it pulls anything. DVC gives each file's MD5 but no size for a file inside a
 * tracked folder, so the manifest then hashes paths and MD5s.
 */
export function corpusFromDvcListing(listing: unknown, file: string): CorpusFile[] {
  if (!Array.isArray(listing)) throw new InvalidInputError([{ file, message: 'is not the JSON array `dvc list --json` prints' }]);
  const files: CorpusFile[] = [];
  const issues: Issue[] = [];
  listing.forEach((entry: { path?: unknown; isdir?: unknown; size?: unknown; md5?: unknown }, i) => {
    if (typeof entry?.path !== 'string') return void issues.push({ file, field: `${i}.path`, message: 'must be a string' });
    if (entry.isdir === true || !CORPUS_FILE.test(entry.path) || entry.path.split('/').pop()!.startsWith('.')) return;
    files.push({
      path: entry.path,
      bytes: typeof entry.size === 'number' ? entry.size : null,
      ...(typeof entry.md5 === 'string' ? { md5: entry.md5 } : {}),
    });
  });
  if (issues.length) throw new InvalidInputError(issues);
  return files.sort((a, b) => byCodePoint(a.path, b.path));
}

/** The corpus files of a file holding `dvc list --json` output. */
export async function readDvcListing(path: string): Promise<CorpusFile[]> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new InvalidInputError([{ file: path, message: `is not a readable JSON listing (${(err as Error).message})` }]);
  }
  return corpusFromDvcListing(value, path);
}

/**
 * SHA-256 over one line per file, `path TAB bytes` (or `path TAB md5:HEX` when only DVC's MD5 is
 * known), in code-point order of the paths. It identifies a corpus listing cheaply (a shard builder
 * holds only its slice), not its content byte for byte: an edit that keeps a file's size is not seen
 * in the local route. The index only compares digests, so each route agrees with itself.
 */
export function corpusManifestSha256(files: readonly CorpusFile[]): string {
  const sorted = [...files].sort((a, b) => byCodePoint(a.path, b.path));
  return sha256(sorted.map((f) => `${f.path}\t${f.bytes ?? `md5:${f.md5 ?? ''}`}\n`).join(''));
}

/**
 * Shard i of N: the files at positions i, i + N, i + 2N, … of the code-point-sorted listing
 * (round-robin). The rule needs nothing but the sorted paths, so a CI job picks its slice from a
 * `dvc list` before pulling anything, and every file lands in exactly one shard. Round-robin rather
 * than contiguous ranges spreads files of similar names (often similar sizes, e.g. one source split
 * into parts) over all shards. A single file is never split across shards.
 */
export function shardFiles<T extends { path: string }>(files: readonly T[], index: number, count: number): T[] {
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count)
    throw new RangeError(`shard ${index}/${count} is not one of 0..N−1 of N ≥ 1`);
  const sorted = [...files].sort((a, b) => byCodePoint(a.path, b.path));
  return sorted.filter((_, position) => position % count === index);
}

/** A piece of a document's tokens: a long `.txt` file arrives in several, `first` marking a new document. */
export interface TokenPiece {
  tokens: string[];
  /** The first piece of a document (its shingles do not continue the previous piece's). */
  first: boolean;
}

export const DEFAULT_CHUNK_BYTES = 4 << 20;

/**
 * Where a text chunk may be cut without changing its tokens: just before its last whitespace or
 * ideographic full stop or comma. Such a character never composes with what precedes or follows it
 * under NFC (canonical combining class 0, no composition involving it), is not part of a token, and
 * case mappings are context-free except Final_Sigma, which the normaliser undoes (ς → σ); so
 * tokenize(a + b) = tokenize(a) + tokenize(b) when b starts there. −1 when there is none.
 */
function safeCut(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d || c === 0x3000 || c === 0x3001 || c === 0x3002) return i;
  }
  return -1;
}

/**
 * The tokens of one `.txt` file read in chunks of `chunkBytes`: UTF-8 decoded in streaming mode (a
 * character split across chunks is joined), and each chunk tokenised up to its last safe cut, the rest
 * carried into the next. The pieces, concatenated, are exactly `tokenize(whole file)`; a text with no
 * safe cut at all (say, a long run of Thai) is carried until one comes or the file ends.
 */
export async function* textFileTokens(path: string, chunkBytes = DEFAULT_CHUNK_BYTES, onBytes?: (n: number) => void): AsyncGenerator<string[]> {
  const handle = await open(path, 'r');
  try {
    const decoder = new TextDecoder('utf-8');
    const buf = new Uint8Array(chunkBytes);
    let carry = '';
    let first = true;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, chunkBytes, null);
      onBytes?.(bytesRead);
      let text = carry + decoder.decode(buf.subarray(0, bytesRead), { stream: bytesRead > 0 });
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark is not text
      first = false;
      if (bytesRead === 0) {
        if (text) yield tokenize(text);
        return;
      }
      const cut = safeCut(text);
      if (cut <= 0) {
        carry = text;
        continue;
      }
      carry = text.slice(cut);
      const tokens = tokenize(text.slice(0, cut));
      if (tokens.length) yield tokens;
    }
  } finally {
    await handle.close();
  }
}

/**
 * The documents of the given corpus files, in the given order, as token pieces: each `.txt` file one
 * document (in chunks, see textFileTokens), each `.jsonl` line one document from its `text` field. A
 * `.jsonl` file with a bad line (malformed JSON, no string `text`) is refused with every issue in it,
 * named by file, line and field, when the file ends (the build writes nothing then; documents are
 * streamed, so a large file is never held whole).
 */
export async function* corpusDocuments(
  dir: string,
  files: readonly CorpusFile[],
  options: { chunkBytes?: number; onBytes?: (n: number) => void } = {},
): AsyncGenerator<TokenPiece> {
  for (const file of files) {
    const full = join(dir, ...file.path.split('/'));
    if (file.path.endsWith('.txt')) {
      let first = true;
      try {
        for await (const tokens of textFileTokens(full, options.chunkBytes, options.onBytes)) {
          yield { tokens, first };
          first = false;
        }
      } catch (err) {
        if (err instanceof InvalidInputError) throw err;
        throw new InvalidInputError([{ file: full, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }]);
      }
      continue;
    }
    const issues: Issue[] = [];
    for (const entry of readJsonl(full, full, (bytes) => options.onBytes?.(bytes.length))) {
      if (entry.issue) {
        issues.push(entry.issue);
        continue;
      }
      const value = entry.value as { text?: unknown } | null;
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        issues.push({ file: full, line: entry.line, message: 'is not a JSON object with a `text` field' });
      else if (typeof value.text !== 'string')
        issues.push({ file: full, line: entry.line, field: 'text', message: 'must be a string (the document)' });
      else if (!issues.length) yield { tokens: tokenize(value.text), first: true };
    }
    if (issues.length) throw new InvalidInputError(issues, { hint: 'Each line of a reference-corpus .jsonl file is one document: {"text": "..."}.' });
  }
}

/** The reference corpus as whole texts (each `.txt` file, each `.jsonl` line's `text`), for the demo model to train on; small corpora only. */
export function corpusTexts(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const texts: string[] = [];
  for (const name of readdirSync(dir).sort(byCodePoint)) {
    const path = join(dir, name);
    if (name.endsWith('.txt')) texts.push(readFileSync(path, 'utf8'));
    else if (name.endsWith('.jsonl'))
      for (const entry of readJsonl(path, name)) {
        const text = (entry.value as { text?: unknown } | undefined)?.text;
        if (typeof text === 'string') texts.push(text);
      }
  }
  return texts;
}
