import { Faker, base, en } from '@faker-js/faker';
import type { PoolExample } from '../sampling/pool.ts';
import { DEMO_ID_PREFIX, DEMO_POOL_COUNTS, SIGNAL_RANGES } from './generate.ts';
import { DEMO_WRITERS } from './prompts.ts';
import { Rng } from './rng.ts';

/**
 * The demo's contamination ground truth (issue 7, §4): a small reference corpus standing in for a
 * model's training data, pool examples planted from it, near-copies planted inside the pool, and
 * calibration sets of examples known not to be in the corpus.
 *
 * The corpus is product and engineering prose from faker (seeded), whose wording the pool's templates
 * never use, so an overlap with it is planted, never accidental.
 */
export const DEMO_CONTAMINATION_SEED = 20261127;
/** Documents in the demo reference corpus. */
export const DEMO_CORPUS_DOCUMENTS = 160;
/** Pool examples that quote a corpus passage verbatim: both detectors should find them. */
export const DEMO_PLANTED_VERBATIM = 16;
/** Pool examples that quote a passage with every fifth word swapped: no 10-token run survives, so only membership inference can find them. */
export const DEMO_PLANTED_PARAPHRASED = 8;
/**
 * Pool examples that get a near-copy with the next id: one word of a prompt of at least 60 words
 * edited, so that with shingles of 5 tokens the pair's Jaccard similarity is at least
 * (60 − 9) / (60 + 1) ≈ 0.84, above the default threshold of 0.8 (one edit changes 5 of n − 4 shingles).
 */
export const DEMO_PLANTED_NEAR_COPIES = 8;
/** Calibration examples per stratum; creative-writing×adversarial gets fewer, so the demo shows a stratum reported for lacking calibration. */
export const DEMO_CALIBRATION_PER_STRATUM = 40;
export const DEMO_CALIBRATION_SHORT: Record<string, number> = { 'creative-writing×adversarial': 8 };

const LEVELS = ['routine', 'moderate', 'adversarial'];

export interface DemoContamination {
  /** The reference corpus, one document per line of a JSONL file (`text`). */
  corpus: { text: string }[];
  /** Pool examples to add: the planted contamination and the near-copies. */
  planted: PoolExample[];
  /** Ids of the planted examples by kind. */
  truth: { verbatim: string[]; paraphrased: string[]; nearCopies: { original: string; copy: string }[] };
  /** Calibration examples, in the pool's record shape (the classifier puts them in their strata). */
  calibration: PoolExample[];
}

function corpusDocument(f: Faker): string {
  const sentences = Array.from({ length: f.number.int({ min: 8, max: 14 }) }, () =>
    f.helpers.arrayElement([() => f.hacker.phrase(), () => f.commerce.productDescription(), () => `${f.company.catchPhrase()}.`])(),
  );
  return sentences.join(' ');
}

/** A passage of `words` consecutive words of a document, starting at a sentence. */
function passage(r: Rng, document: string, words: number): string {
  const all = document.split(' ');
  const starts = all.map((_, i) => (i === 0 || /[.!?]$/.test(all[i - 1]) ? i : -1)).filter((i) => i >= 0 && i + words <= all.length);
  const start = starts.length ? r.pick(starts) : 0;
  return all.slice(start, start + words).join(' ');
}

const SWAPS = ['quietly', 'orange', 'seven', 'harbour', 'paper', 'ancient', 'violet', 'gravel', 'lantern', 'meadow'];

const signalsAt = (r: Rng, level: number) => ({ failure_rate: r.float(SIGNAL_RANGES.failure_rate[level][0], SIGNAL_RANGES.failure_rate[level][1]) });

/**
 * The demo's contamination inputs, the same bytes for the same pool and seed. Planted examples take
 * the next free ids of their category, after the pool's own and its planted duplicates.
 */
export function demoContamination(pool: readonly PoolExample[], seed = DEMO_CONTAMINATION_SEED): DemoContamination {
  const f = new Faker({ locale: [en, base] });
  f.seed(seed);
  const r = new Rng(seed);
  const corpus = Array.from({ length: DEMO_CORPUS_DOCUMENTS }, () => ({ text: corpusDocument(f) }));

  const next = new Map<string, number>();
  for (const e of pool) {
    const n = Number(e.id.slice(e.id.lastIndexOf('-') + 1));
    next.set(e.task_category, Math.max(next.get(e.task_category) ?? 0, n));
  }
  const nextId = (category: string) => {
    const n = next.get(category)! + 1;
    next.set(category, n);
    return `${DEMO_ID_PREFIX[category]}-${String(n).padStart(4, '0')}`;
  };
  const created = '2026-09-01T09:00:00Z';
  const planted: PoolExample[] = [];
  const truth: DemoContamination['truth'] = { verbatim: [], paraphrased: [], nearCopies: [] };
  const documents = r.sample(corpus, DEMO_PLANTED_VERBATIM + DEMO_PLANTED_PARAPHRASED);
  documents.forEach((doc, i) => {
    const paraphrased = i >= DEMO_PLANTED_VERBATIM;
    const category = i % 2 === 0 ? 'summarization' : 'extraction';
    let text = passage(r, doc.text, r.int(45, 70));
    if (paraphrased)
      text = text
        .split(' ')
        .map((w, j) => (j % 5 === 4 ? r.pick(SWAPS) : w))
        .join(' ');
    const prompt =
      category === 'summarization'
        ? `Summarize the following product notes in two sentences.\n\n${text}`
        : `List every product feature the following text mentions, one per line.\n\n${text}`;
    const id = nextId(category);
    (paraphrased ? truth.paraphrased : truth.verbatim).push(id);
    planted.push({
      id,
      prompt,
      reference: null,
      task_category: category,
      signals: signalsAt(r, i % 3),
      capabilities: [category === 'summarization' ? 'summarization.abstractive' : 'extraction.structured-fields'],
      labels: { quality: 'silver', needs_review: false },
      source: 'scraped-product-pages',
      created_at: created,
    });
  });
  // Near-copies: one word of a pool prompt edited, the copy taking the next id (so the original, the smaller id, is kept).
  const long = pool.filter((e) => e.prompt.split(/\s+/).length >= 60 && !e.source.startsWith('copied'));
  for (const original of r.sample(long, DEMO_PLANTED_NEAR_COPIES)) {
    const words = original.prompt.split(' ');
    words[Math.floor(words.length / 2)] = r.pick(SWAPS);
    const copy = { ...original, id: nextId(original.task_category), prompt: words.join(' '), source: 'copied-from-a-forum' };
    truth.nearCopies.push({ original: original.id, copy: copy.id });
    planted.push(copy);
  }

  const calibration: PoolExample[] = [];
  for (const category of Object.keys(DEMO_POOL_COUNTS)) {
    LEVELS.forEach((level, l) => {
      const count = DEMO_CALIBRATION_SHORT[`${category}×${level}`] ?? DEMO_CALIBRATION_PER_STRATUM;
      for (let i = 1; i <= count; i++) {
        const text = DEMO_WRITERS[category](r, l);
        calibration.push({
          id: `cal-${DEMO_ID_PREFIX[category]}-${level}-${String(i).padStart(3, '0')}`,
          prompt: text.prompt,
          reference: text.reference,
          task_category: category,
          signals: signalsAt(r, l),
          capabilities: text.capabilities,
          labels: {},
          source: 'held-out-fresh-2026',
          created_at: created,
        });
      }
    });
  }
  return { corpus, planted, truth, calibration };
}
