/**
 * Which examples differ between two manifests, read for speed: a release changes a few lines of a
 * manifest of 100,000 (21 MB), so the lines both sides share are passed over without being parsed,
 * and, when both manifests are the bytes git gave, without being decoded or even split into lines
 * (their strata are not ASCII: decoding builds a two-byte string of twice the file's size).
 *
 * A merge walk: both manifests are sorted by id (the sample stage writes them so). The longest run
 * of equal lines is skipped (for bytes, by comparing ever larger spans with one memcmp each); the
 * lines where the sides part are parsed, and the one with the smaller id is on its side alone.
 */
import type { ManifestLine } from '../sampling/dataset.ts';
import { byCodePoint } from '../io/order.ts';
import { parseManifest, parseManifestLine, type ManifestEntry } from './snapshot.ts';

export type Entries = Map<string, Omit<ManifestLine, 'id'>>;

/** A reading position in a manifest, always on a non-blank line (or at the end). */
interface Cursor {
  done(): boolean;
  text(): string;
  /** The current line's number in the file, from 1, for error messages. */
  lineNumber(): number;
  /** Whether the current line is the line just before it again. */
  repeatsPrevious(): boolean;
  /** Whether the current lines of this cursor and `other` (of the same kind) are equal. */
  sameLine(other: Cursor): boolean;
  next(): void;
  /** Move both cursors past the longest run of lines equal on both sides. */
  skipCommon(other: Cursor): void;
}

const isBlank = (line: string) => line.trim() === '';

class TextCursor implements Cursor {
  private i = 0;
  constructor(private readonly lines: readonly string[]) {
    this.skipBlank();
  }
  private skipBlank(): void {
    while (this.i < this.lines.length && isBlank(this.lines[this.i])) this.i++;
  }
  done(): boolean {
    return this.i >= this.lines.length;
  }
  text(): string {
    return this.lines[this.i];
  }
  lineNumber(): number {
    return this.i + 1;
  }
  repeatsPrevious(): boolean {
    return this.i > 0 && this.lines[this.i] === this.lines[this.i - 1];
  }
  sameLine(other: TextCursor): boolean {
    return this.lines[this.i] === other.lines[other.i];
  }
  next(): void {
    this.i++;
    this.skipBlank();
  }
  skipCommon(other: TextCursor): void {
    while (!this.done() && !other.done() && this.sameLine(other)) {
      this.next();
      other.next();
    }
  }
}

const NEWLINE = 0x0a;

/** Whether bytes [start, end) hold only ASCII whitespace, which `trim()` removes. */
function blankBytes(bytes: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const b = bytes[k];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0b && b !== 0x0c) return false;
  }
  return true;
}

/** The length of the common prefix of a[ai…] and b[bi…]: spans of doubling size compared whole, then halved down to the byte. */
function commonPrefix(a: Buffer, ai: number, b: Buffer, bi: number): number {
  const max = Math.min(a.length - ai, b.length - bi);
  const equal = (from: number, to: number) => a.compare(b, bi + from, bi + to, ai + from, ai + to) === 0;
  let same = 0;
  for (let span = 256; same < max; span *= 2) {
    const end = Math.min(same + span, max);
    if (equal(same, end)) {
      same = end;
      continue;
    }
    let differs = end; // the first difference lies in [same, differs)
    while (differs - same > 32) {
      const mid = (same + differs) >>> 1;
      if (equal(same, mid)) same = mid;
      else differs = mid;
    }
    while (a[ai + same] === b[bi + same]) same++;
    return same;
  }
  return max;
}

class ByteCursor implements Cursor {
  private at = 0;
  private end = -1;
  constructor(private readonly bytes: Buffer) {
    this.settle();
  }
  /** Find the current line's end, passing over blank lines (a manifest line opens with `{`; others are decided on their text). */
  private settle(): void {
    const { bytes } = this;
    while (this.at < bytes.length) {
      const nl = bytes.indexOf(NEWLINE, this.at);
      this.end = nl < 0 ? bytes.length : nl;
      if (bytes[this.at] === 0x7b || !(blankBytes(bytes, this.at, this.end) || isBlank(this.text()))) return;
      this.at = this.end + 1;
    }
  }
  done(): boolean {
    return this.at >= this.bytes.length;
  }
  text(): string {
    return this.bytes.toString('utf8', this.at, this.end);
  }
  lineNumber(): number {
    let n = 1;
    for (let k = this.bytes.indexOf(NEWLINE); k >= 0 && k < this.at; k = this.bytes.indexOf(NEWLINE, k + 1)) n++;
    return n;
  }
  repeatsPrevious(): boolean {
    if (this.at === 0) return false;
    const start = this.at >= 2 ? this.bytes.lastIndexOf(NEWLINE, this.at - 2) + 1 : 0;
    const length = this.at - 1 - start;
    return length === this.end - this.at && this.bytes.compare(this.bytes, start, this.at - 1, this.at, this.end) === 0;
  }
  sameLine(other: ByteCursor): boolean {
    // Equal bytes are equal text; unequal bytes are unequal text unless they are not UTF-8, and
    // then the parsed lines compare equal, so the walk's answer is the same.
    return this.end - this.at === other.end - other.at && this.bytes.compare(other.bytes, other.at, other.end, this.at, this.end) === 0;
  }
  next(): void {
    this.at = this.end + 1;
    this.settle();
  }
  skipCommon(other: ByteCursor): void {
    if (this.done() || other.done()) return;
    const same = commonPrefix(this.bytes, this.at, other.bytes, other.at);
    // Whole lines only: up to the last newline within the common bytes.
    const lastNewline = same > 0 ? this.bytes.lastIndexOf(NEWLINE, this.at + same - 1) : -1;
    if (lastNewline >= this.at) {
      const skipped = lastNewline + 1 - this.at;
      this.at += skipped;
      other.at += skipped;
      this.settle();
      other.settle();
    }
  }
}

/**
 * The examples on one side only: `old` holds the lines of `before` that `after` lacks, parsed, by
 * id; `now` the reverse. Null when a parsed line's id is out of order, or a line repeats the one
 * before it: the walk's answer could then differ from comparing the sets of lines, which the caller
 * does instead.
 */
function walk(before: Cursor, after: Cursor, files: readonly [string, string]): { old: Entries; now: Entries } | null {
  const old: Entries = new Map();
  const now: Entries = new Map();
  let lastBefore: string | undefined;
  let lastAfter: string | undefined;
  const take = (cursor: Cursor, parsed: ManifestEntry, into: Entries, last: string | undefined): boolean => {
    if ((last !== undefined && byCodePoint(last, parsed.id) >= 0) || cursor.repeatsPrevious()) return false;
    into.set(parsed.id, parsed.entry);
    cursor.next();
    return true;
  };
  for (;;) {
    before.skipCommon(after);
    if (before.done() && after.done()) return { old, now };
    if (!before.done() && !after.done() && before.sameLine(after)) {
      before.next();
      after.next();
      continue;
    }
    const was = before.done() ? undefined : parseManifestLine(before.text(), files[0], () => before.lineNumber());
    const is = after.done() ? undefined : parseManifestLine(after.text(), files[1], () => after.lineNumber());
    const order = !was ? 1 : !is ? -1 : byCodePoint(was.id, is.id);
    if (order <= 0) {
      if (!take(before, was!, old, lastBefore)) return null;
      lastBefore = was!.id;
    }
    if (order >= 0) {
      if (!take(after, is!, now, lastAfter)) return null;
      lastAfter = is!.id;
    }
  }
}

/** The same answer for manifests in any order: the lines on one side only, by sets (every line hashed once). */
function compareAsSets(before: readonly string[], after: readonly string[], files: readonly [string, string]): { old: Entries; now: Entries } {
  const beforeLines = new Set(before);
  const afterLines = new Set(after);
  return {
    old: parseManifest(
      before.filter((l) => !afterLines.has(l)),
      files[0],
    ),
    now: parseManifest(
      after.filter((l) => !beforeLines.has(l)),
      files[1],
    ),
  };
}

/** A manifest as the diff reads it: its lines, and where it was read as bytes, those bytes. */
export interface ManifestSide {
  manifestLines: readonly string[];
  manifestBytes?: Buffer;
}

/** The examples of `before` that `after` lacks or has otherwise (`old`), and the reverse (`now`), each parsed, by id. */
export function differingExamples(before: ManifestSide, after: ManifestSide, files: readonly [string, string]): { old: Entries; now: Entries } {
  const walked =
    before.manifestBytes && after.manifestBytes
      ? walk(new ByteCursor(before.manifestBytes), new ByteCursor(after.manifestBytes), files)
      : walk(new TextCursor(before.manifestLines), new TextCursor(after.manifestLines), files);
  return walked ?? compareAsSets(before.manifestLines, after.manifestLines, files);
}
