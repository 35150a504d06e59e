import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256 } from '../lib/io/hash.ts';
import { byCodePoint } from '../lib/io/order.ts';
import { canonicalRow, datasetRows, manifestJsonl, manifestLine, type DatasetRow } from '../lib/sampling/dataset.ts';
import { toJsonl } from '../lib/io/jsonl.ts';
import { normalizePrompt } from '../lib/eligibility/duplicates.ts';

const rowArb: fc.Arbitrary<DatasetRow> = fc.record({
  id: fc.string({ minLength: 1 }),
  prompt: fc.string({ unit: 'grapheme' }),
  reference: fc.option(fc.string({ unit: 'grapheme' }), { nil: null }),
  task_category: fc.string(),
  difficulty: fc.string(),
  stratum: fc.string(),
  capabilities: fc.array(fc.string()),
  labels: fc.json(),
  source: fc.string(),
});

describe('canonical forms of a dataset row', () => {
  it('canonicalRow equals the RFC 8785 canonicalizer on every row shape', () => {
    fc.assert(
      fc.property(rowArb, (row) => {
        expect(canonicalRow(row)).toBe(canonicalJson(row));
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('manifestJsonl writes each line as the RFC 8785 canonicalizer does, and row_hash hashes the canonical row', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 5 }), (rows) => {
        const lines = rows.map((row) => manifestLine(row));
        expect(manifestJsonl(lines)).toBe(toJsonl(lines));
        for (const [i, row] of rows.entries()) expect(lines[i].row_hash).toBe(sha256(canonicalJson(row)));
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('normalises ASCII prompts on the fast path exactly as the full rule does', () => {
    const full = (s: string) => s.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC').replace(/\s+/gu, ' ').trim();
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary-ascii' }), fc.string({ unit: 'grapheme' })), (s) => {
        expect(normalizePrompt(s)).toBe(full(s));
      }),
      { numRuns: 1000, seed: 6 },
    );
  });

  it('content_hash is the SHA-256 of the canonical {prompt, reference}', () => {
    fc.assert(
      fc.property(rowArb, (row) => {
        expect(manifestLine(row).content_hash).toBe(sha256(canonicalJson({ reference: row.reference, prompt: row.prompt })));
      }),
      { numRuns: 200, seed: 4 },
    );
  });
});

describe('row order', () => {
  it('sorts ids by code point, as Python, pyarrow and DuckDB do', () => {
    // Python: sorted(['\U0001F600', '\uFF5E', 'a', 'Z']) == ['Z', 'a', '\uFF5E', '\U0001F600']; a bare < puts U+1F600 before U+FF5E.
    const ids = ['\u{1F600}', '\uFF5E', 'a', 'Z'];
    expect([...ids].sort(byCodePoint)).toEqual(['Z', 'a', '\uFF5E', '\u{1F600}']);
    const examples = ids.map((id) => ({
      id,
      prompt: 'p',
      reference: null,
      task_category: 'c',
      signals: {},
      capabilities: ['\u{1F600}', 'b'],
      labels: {},
      source: '',
    }));
    const rows = datasetRows(examples, new Map(ids.map((id) => [id, { stratum: 'c×d', difficulty: 'd' }])));
    expect(rows.map((r) => r.id)).toEqual(['Z', 'a', '\uFF5E', '\u{1F600}']);
    expect(rows[0].capabilities).toEqual(['b', '\u{1F600}']);
  });

  it('agrees with UTF-8 byte order on any strings (which is code-point order)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(byCodePoint(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
      { numRuns: 2000, seed: 5 },
    );
  });
});
