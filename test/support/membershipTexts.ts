import { Rng } from '../../lib/demo/rng.ts';

/**
 * Short word problems from one seeded grammar, for the membership tests and benchmark: texts of "the same kind", so that
 * a model trained on some of them scores fresh ones (other seeds) as unseen text of that kind, and its own as memorised.
 */
const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'sa', 'tu', 'vel', 'do', 'ria', 'no', 'bek', 'shi', 'ana', 'tor', 'wen', 'zu'];
const THINGS = [
  'apples',
  'marbles',
  'stickers',
  'pencils',
  'cupcakes',
  'books',
  'shells',
  'coins',
  'tickets',
  'plants',
  'cards',
  'buttons',
  'kites',
  'jars of honey',
  'bags of rice',
  'red beads',
  'postcards',
  'toy cars',
  'seed packets',
  'crayons',
];
const ADJECTIVES = ['old', 'busy', 'small', 'new', 'quiet', 'crowded', 'sunny', 'far', 'little', 'big'];
const SPOTS = ['market', 'school', 'park', 'library', 'fair', 'bakery', 'beach', 'garage sale', 'harbour', 'station', 'farm', 'museum'];
const VERBS = ['buys', 'finds', 'collects', 'sells', 'gives away', 'loses', 'trades', 'bakes', 'orders', 'packs', 'counts', 'borrows'];
const TIMES = [
  'on Monday',
  'the next day',
  'in the morning',
  'after lunch',
  'every week',
  'on Saturday',
  'later that day',
  'before dinner',
  'in June',
  'at noon',
];

const name = (rng: Rng) => {
  const n = Array.from({ length: rng.int(2, 3) }, () => rng.pick(SYLLABLES)).join('');
  return n[0].toUpperCase() + n.slice(1);
};
const place = (rng: Rng) => `the ${rng.pick(ADJECTIVES)} ${rng.pick(SPOTS)}`;

function sentence(rng: Rng): string {
  const who = name(rng);
  const other = name(rng);
  const thing = rng.pick(THINGS);
  const n = rng.int(2, 400);
  switch (rng.int(0, 5)) {
    case 0:
      return `${who} ${rng.pick(VERBS)} ${n} ${thing} at ${place(rng)} ${rng.pick(TIMES)}.`;
    case 1:
      const when = rng.pick(TIMES);
      return `${when[0].toUpperCase()}${when.slice(1)}, ${who} gives ${other} ${n} of the ${thing}.`;
    case 2:
      return `Each of the ${thing} costs ${rng.int(1, 12)} dollars, and ${who} has ${n} dollars.`;
    case 3:
      return `${who} has ${n} ${thing} and ${other} has ${rng.int(2, 60)} more than ${who}.`;
    case 4:
      return `How many ${thing} does ${who} have left after ${rng.pick(TIMES).replace(/^(on|in|the|every|after|later) /, '')}?`;
    default:
      return `${other} ${rng.pick(VERBS)} half of the ${thing} that ${who} brought from ${place(rng)}.`;
  }
}

/** `count` texts of 4 to 6 sentences from the grammar, seeded. */
export function wordProblems(count: number, seed: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: rng.int(6, 9) }, () => sentence(rng)).join(' '));
}
