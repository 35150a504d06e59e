import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type Nlp from 'compromise';

/**
 * The named entities of a prompt, for the entity dimension of staleness (issue 9): compare the
 * people, places and organisations a dataset talks about with those production traffic talks about.
 *
 * Extraction is compromise's `topics()` (people, places and organisations; compromise 14,
 * https://github.com/spencermountain/compromise), a rule-based tagger with a lexicon: no model to
 * download, the same output on every machine. What it finds is what its lexicon and rules allow: common
 * first names and surnames, cities and countries it knows, and organisations with a tell-tale word
 * (`Labs`, `Inc.`, `Group`, `Bank`, `Airlines`, …) or a known name (`Google`). An invented company
 * name without such a word (`Northwind Logistics`) goes unseen, and so does a name it lacks
 * (`Priya Natarajan`, `Pune`, `Valparaíso` in some sentences). Both sides of the comparison go
 * through the same extractor, so its blind spots bias neither side, but an entity it never sees
 * cannot show drift.
 */

/** The text of a match, and the words it is made of (each with the punctuation and space around it). */
interface Match {
  text: string;
  offset: { start: number };
  terms: { text: string; pre: string; post: string }[];
}

/**
 * compromise's own sentence splitter, the one it runs before tagging (`nlp.methods()`, its documented
 * way to reach the library's methods). Splitting with it gives exactly the sentences compromise tags.
 */
type Compromise = typeof Nlp;
let compromise: { nlp: Compromise; splitSentences: (text: string, world: object) => string[]; world: object } | undefined;
/**
 * compromise, loaded on first use: importing it costs about 1.5 s, which a stage that tags nothing
 * (a dataset that does not track traffic, or every prompt already in the cache below) need not pay.
 * Loaded synchronously through require (its package's CommonJS build of the same version) so that
 * entitiesOf stays a plain function.
 */
function loadCompromise(): NonNullable<typeof compromise> {
  if (!compromise) {
    const nlp = createRequire(import.meta.url)('compromise') as Compromise;
    const splitSentences = (nlp.methods() as { one: { tokenize: { splitSentences: (text: string, world: object) => string[] } } }).one.tokenize
      .splitSentences;
    compromise = { nlp, splitSentences, world: nlp.world() };
  }
  return compromise;
}

/**
 * Entities already found, by sentence. compromise's tagger costs about a millisecond per sentence (its
 * post-tagging rule sweep dominates), and `topics()` nearly as much again (its split into clauses):
 * tagging prompts whole ran at 110–170 demo prompts a second, about a minute for a dataset of 1,200
 * and five weeks of traffic. Prompts repeat sentences a great deal (templates, system prompts,
 * boilerplate), and compromise matches entities within a sentence, so each distinct sentence is tagged
 * once: 400–500 demo prompts a second, and the same result as tagging the prompt whole (the test holds
 * entitiesOf to entitiesOfWhole on demo prompts). The cost is now that of the distinct sentences.
 * Bounded so that a long run cannot grow without end; a Map keeps insertion order, so dropping its
 * first key drops the oldest entry (a few lines, no package needed).
 */
const MEMO_LIMIT = 100_000;
const memo = new Map<string, readonly string[]>();

/**
 * The memo also lives on between runs, in `node_modules/.cache/evalset/` beside the tool (where
 * babel, eslint and terser keep theirs): re-drawing a dataset changes a few of its examples, and the
 * staleness stage would otherwise tag all of them again (about 10 s for the demo's 1,200). It is a
 * cache of a deterministic function, keyed by the exact sentence and named after compromise's version
 * and this file's normaliser version, so it changes no output byte: deleting it only costs time. A
 * write goes to a temporary file renamed into place, so concurrent runs never leave it half-written
 * (the last one wins; what another added is tagged again next time).
 */
const NORMALISER_VERSION = 2;
const compromiseVersion = (
  JSON.parse(readFileSync(new URL('../../node_modules/compromise/package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const cacheFile = join(
  fileURLToPath(new URL('../../node_modules/.cache/evalset/', import.meta.url)),
  `entities-compromise-${compromiseVersion}-v${NORMALISER_VERSION}.json`,
);
/** Whole prompts' entities too, by `limit:sha1(text)`, so a run whose prompts were all seen before loads no compromise at all. */
const promptMemo = new Map<string, readonly string[]>();
let loaded = false;
let added = 0;

function loadCache(): void {
  loaded = true;
  try {
    const cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as { sentences: [string, string[]][]; prompts: [string, string[]][] };
    for (const [sentence, entities] of cache.sentences.slice(-MEMO_LIMIT)) memo.set(sentence, entities);
    for (const [key, entities] of cache.prompts.slice(-MEMO_LIMIT)) promptMemo.set(key, entities);
  } catch {
    // No cache yet, or an unreadable one: start empty.
  }
}

/** Keep what this run tagged for the next runs (a no-op when it tagged nothing new). */
export function saveEntityCache(): void {
  if (!added) return;
  mkdirSync(dirname(cacheFile), { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ sentences: [...memo], prompts: [...promptMemo] }));
  renameSync(tmp, cacheFile);
  added = 0;
}

/**
 * How much of a prompt is searched for entities by default: its first 4,000 characters (about 1,000
 * tokens), in whole sentences. compromise reads some 60–80 thousand characters a second, so a window of
 * traffic whose prompts carry long pasted documents (retrieval contexts of 10,000 characters and
 * more are common) would take many minutes whole. The limit bounds the cost per prompt, and both
 * sides of the comparison are cut alike, so the histograms still compare like with like: the
 * entities of the request and the start of its material. No demo prompt is that long (the longest
 * has 3,317 characters).
 */
export const ENTITY_TEXT_LIMIT = 4_000;

/** compromise's tags that the matches of people(), places() and organizations(), and so of topics(), consist of. */
const ENTITY_TAGS = '(#Person|#Place|#Address|#Organization)';

/**
 * The named entities (people, places, organisations) in `text`, normalised (normalizeEntity), in the
 * order they occur; a name mentioned twice is listed twice, since the entity histogram counts mentions.
 * Only the whole sentences that fit in the first `limit` characters are read (a first sentence longer
 * than that is cut at the last space before the limit). Each sentence is tagged on its own, and
 * a sentence seen before is not tagged again.
 */
export function entitiesOf(text: string, limit = ENTITY_TEXT_LIMIT): string[] {
  if (!(limit > 0)) throw new RangeError(`the entity text limit must be a positive number of characters, got ${limit}`);
  if (!loaded) loadCache();
  const key = `${limit}:${createHash('sha1').update(text).digest('hex')}`;
  const known = promptMemo.get(key);
  if (known) return [...known];
  const { splitSentences, world } = loadCompromise();
  const found: string[] = [];
  let read = 0;
  for (let sentence of splitSentences(text, world)) {
    if (read === 0 && sentence.length > limit) sentence = cutAtSpace(sentence, limit);
    else if (read + sentence.length > limit) break;
    read += sentence.length;
    let entities = memo.get(sentence);
    if (!entities) {
      entities = entitiesOfSentence(sentence);
      if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value!);
      memo.set(sentence, entities);
      added++;
    }
    found.push(...entities);
  }
  if (promptMemo.size >= MEMO_LIMIT) promptMemo.delete(promptMemo.keys().next().value!);
  promptMemo.set(key, found);
  added++;
  return [...found];
}

/** The first `limit` characters of `text`, less the word the cut would split (all of them when there is no white space to cut at). */
function cutAtSpace(text: string, limit: number): string {
  const space = text.lastIndexOf(' ', limit);
  return text.slice(0, space > 0 ? space : limit);
}

/**
 * One sentence's entities. A sentence with no term tagged as a person, place or organisation has no
 * match in topics(), which selects only such terms, so its clause split is skipped: a third of the demo's
 * distinct sentences, the same result.
 */
function entitiesOfSentence(sentence: string): string[] {
  const doc = loadCompromise().nlp(sentence);
  return doc.has(ENTITY_TAGS) ? topicsOf(doc) : [];
}

/**
 * The same as entitiesOf with no limit, compromise tagging `text` whole, uncached: the reference
 * entitiesOf is tested against.
 */
export function entitiesOfWhole(text: string): string[] {
  return topicsOf(loadCompromise().nlp(text));
}

/**
 * compromise's `topics()` does not list its matches in the order of the text (it sorts people,
 * places and organisations, found one kind after the other, by an internal index), so they are put
 * back in text order by their character offset.
 */
function topicsOf(doc: ReturnType<Compromise>): string[] {
  const matches = doc.topics().json({ offset: true }) as Match[];
  return matches
    .sort((a, b) => a.offset.start - b.offset.start)
    .map((match) => normalizeEntity(match.terms))
    .filter((entity) => entity !== '');
}
const UPPER_INITIAL = /^[\p{Lu}\p{Lt}]/u;
const LOWER_INITIAL = /^\p{Ll}/u;
const EDGE_NON_WORD = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
const POSSESSIVE = /['’]s$/u;

/**
 * One spelling per entity, so that mentions of one name fall in one histogram bin:
 * - a lower-case word trailing a capitalised name is dropped: compromise's place and organisation
 *   matches take in the common noun after a name ("Rotterdam city council" gives `Rotterdam city`,
 *   "the Pune office" gives `Pune office`), which would split one city over several bins. An all
 *   lower-case match ("new york city") is kept whole: nothing in it says where the name ends;
 * - Unicode NFC (so a composed and a decomposed "í" are one name), lower case (String.toLowerCase,
 *   which does not depend on the locale), runs of white space collapsed to one space;
 * - punctuation and symbols at either end (the comma of a list, the full stop of "Inc.", quotes and
 *   brackets) and a trailing possessive ('s or ’s) removed.
 * An empty string when nothing is left.
 */
export function normalizeEntity(terms: readonly { text: string; pre: string; post: string }[]): string {
  let end = terms.length;
  if (terms.some((term) => UPPER_INITIAL.test(term.text))) while (end > 1 && LOWER_INITIAL.test(terms[end - 1].text)) end--;
  const kept = terms.slice(0, end);
  const joined = kept.map((term, i) => (i > 0 ? term.pre : '') + term.text + (i < kept.length - 1 ? term.post : '')).join('');
  return joined.normalize('NFC').toLowerCase().replace(/\s+/gu, ' ').replace(EDGE_NON_WORD, '').replace(POSSESSIVE, '').replace(EDGE_NON_WORD, '');
}
