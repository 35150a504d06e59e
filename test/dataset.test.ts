import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256 } from '../lib/io/hash.ts';
import { canonicalRow, manifestLine, type DatasetRow } from '../lib/sampling/dataset.ts';

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

  it('content_hash is the SHA-256 of the canonical {prompt, reference}', () => {
    fc.assert(
      fc.property(rowArb, (row) => {
        expect(manifestLine(row).content_hash).toBe(sha256(canonicalJson({ reference: row.reference, prompt: row.prompt })));
      }),
      { numRuns: 200, seed: 4 },
    );
  });
});
