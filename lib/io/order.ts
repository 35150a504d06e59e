/**
 * Compare strings by Unicode code point: the order of Python's sorted(), pyarrow and DuckDB. A bare
 * `<` compares UTF-16 code units instead, which puts U+1F600 (a surrogate pair) before U+FF5E, so
 * ids outside the Basic Multilingual Plane would sort differently here and in every other reader.
 * Code-unit and code-point order agree except where the first difference involves a surrogate, and
 * a surrogate always stands for a code point above U+FFFF.
 */
export function byCodePoint(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      return xs === ys ? x - y : xs ? 1 : -1;
    }
  }
  return a.length - b.length;
}

export const byId = <T extends { id: string }>(a: T, b: T): number => byCodePoint(a.id, b.id);
