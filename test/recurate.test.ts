import { describe, expect, it } from 'vitest';
import { distanceFromCentroid, featureSpace, productionCentroids } from '../lib/refresh/featureVector.ts';
import type { PromptFeatures } from '../lib/refresh/features.ts';
import { largestRemainder, proposeRecuration, type CurrentExample, type RecurateSettings, type StratumCandidates } from '../lib/refresh/recurate.ts';
import { changesetCommit, commitMessage } from '../lib/refresh/changeset.ts';
import { parseCommitMessage } from '../lib/versioning/changelog.ts';

const SETTINGS: RecurateSettings = {
  min_overlap: 0.7,
  max_distance: 0.5,
  min_production_share: 0.02,
  length_bins: [0, 50, 100, 400],
  top_entities: 5,
};

const f = (category: string, tokens: number, entities: string[] = []): PromptFeatures => ({ category, tokens, entities });

/** Production: 80% code (long), 20% chat (short), entity "acme". */
const production: PromptFeatures[] = [
  ...Array.from({ length: 80 }, () => f('code', 200, ['acme'])),
  ...Array.from({ length: 20 }, () => f('chat', 20, ['acme'])),
];

function strata(candidates: Record<string, string[]> = {}): StratumCandidates[] {
  return [
    { stratum: 'chat×easy', category: 'chat', floor: 2, candidates: candidates['chat×easy'] ?? [] },
    { stratum: 'code×easy', category: 'code', floor: 2, candidates: candidates['code×easy'] ?? [] },
  ];
}

/** A dataset of 10: half chat, half code; chat-0…chat-4 are short chat prompts, two of them far off (long, other entity). */
function dataset(): CurrentExample[] {
  return [
    ...Array.from({ length: 5 }, (_, i) => ({
      id: `chat-${i}`,
      stratum: 'chat×easy',
      category: 'chat',
      features: i < 2 ? f('chat', 300, ['zeta']) : f('chat', 20, ['acme']),
    })),
    ...Array.from({ length: 5 }, (_, i) => ({ id: `code-${i}`, stratum: 'code×easy', category: 'code', features: f('code', 200, ['acme']) })),
  ];
}

describe('featureVector', () => {
  it('measures a prompt against the production prompts of its own category', () => {
    const space = featureSpace([], production, SETTINGS.length_bins, 5);
    const centroids = productionCentroids(production, space);
    expect(distanceFromCentroid(f('code', 200, ['acme']), centroids, space)).toBe(0);
    // A typical chat prompt is as close as a typical code prompt, although chat is the minority.
    expect(distanceFromCentroid(f('chat', 20, ['acme']), centroids, space)).toBe(0);
    // Another length bucket and an entity production does not name: both blocks at their maximum, 1.
    expect(distanceFromCentroid(f('chat', 300, ['zeta']), centroids, space)).toBeCloseTo(1, 12);
    // Half its mentions on production's entity: entity block ‖(0.5, −0.5)‖²/2 = 0.25, length 0: √(0.25/2).
    expect(distanceFromCentroid(f('code', 200, ['acme', 'zeta']), centroids, space)).toBeCloseTo(Math.sqrt(0.125), 12);
    expect(distanceFromCentroid(f('poetry', 20, []), centroids, space)).toBe(1);
  });
});

describe('largestRemainder', () => {
  it('sums to the total and follows the weights, ties by key', () => {
    expect(
      Object.fromEntries(
        largestRemainder(
          10,
          new Map([
            ['a', 1],
            ['b', 1],
            ['c', 1],
          ]),
        ),
      ),
    ).toEqual({ a: 4, b: 3, c: 3 });
    expect(
      Object.fromEntries(
        largestRemainder(
          7,
          new Map([
            ['a', 0],
            ['b', 3],
          ]),
        ),
      ),
    ).toEqual({ a: 0, b: 7 });
  });
});

describe('proposeRecuration', () => {
  it('retires the far examples of an over-represented category, adds to the under-represented one in rank order, and replaces relabeled ones', () => {
    const examples = dataset();
    examples[7].relabel = 'an adjudicated label replaced the annotators’';
    const p = proposeRecuration(examples, production, strata({ 'code×easy': ['code-new-1', 'code-new-2', 'code-new-3'] }), SETTINGS);
    // Targets: chat 2 (20% of 10), code 8: chat is 3 over, but only its two far examples may retire.
    expect(p.retire.map((e) => e.id)).toEqual(['chat-0', 'chat-1']);
    expect(p.retire[0].reasons.join(' ')).toMatch(/50\.0% of the dataset but 20\.0% of production/);
    expect(p.add.map((e) => e.id)).toEqual(['code-new-1', 'code-new-2']);
    expect(p.replace.map((e) => e.id)).toEqual(['code-2']);
    expect(p.retain.map((e) => e.id)).toEqual(['chat-2', 'chat-3', 'chat-4', 'code-0', 'code-1', 'code-3', 'code-4']);
    expect(p.notes.join(' ')).toMatch(/`chat` stays 1 above its production target/);
    expect(p.strata).toEqual([
      { stratum: 'chat×easy', before: 5, after: 3 },
      { stratum: 'code×easy', before: 5, after: 7 },
    ]);
    expect(p.overlap).toBe(0.8);
  });

  it('never retires below a stratum floor', () => {
    const [first, second] = strata({ 'code×easy': ['n1', 'n2', 'n3'] });
    const p = proposeRecuration(dataset(), production, [{ ...first, floor: 4 }, second], SETTINGS);
    expect(p.retire.map((e) => e.id)).toEqual(['chat-0']);
    expect(p.strata.find((s) => s.stratum === 'chat×easy')!.after).toBe(4);
  });

  it('caps retirements so that at least min_overlap of the examples stay, furthest first, and lists what it held back', () => {
    // A category whose production share fell below the minimum retires regardless of distance, down to its floor: 3 of 5.
    const shifted = production.filter((p) => p.category === 'code');
    const p = proposeRecuration(dataset(), shifted, strata({ 'code×easy': ['n1', 'n2', 'n3', 'n4'] }), { ...SETTINGS, min_overlap: 0.8 });
    expect(p.retire).toHaveLength(2); // ⌊10 × 0.2⌋
    expect(p.retire.map((e) => e.id)).toEqual(['chat-0', 'chat-1']); // the two furthest
    expect(p.held_back.map((e) => e.id)).toEqual(['chat-2']);
    expect(p.held_back[0].reasons.at(-1)).toMatch(/held back: .*80\.0%/);
    expect(p.add.map((e) => e.id)).toEqual(['n1', 'n2']);
    expect(p.overlap).toBeGreaterThanOrEqual(0.8);
    expect(p.notes.join(' ')).toMatch(/1 retirements held back by the 80\.0% overlap cap/);
  });

  it('says when the pool cannot fill the additions', () => {
    const p = proposeRecuration(dataset(), production, strata({ 'code×easy': ['only-one'] }), SETTINGS);
    expect(p.add.map((e) => e.id)).toEqual(['only-one']);
    expect(p.notes.join(' ')).toMatch(/`code` is 1 short of its share of the additions/);
  });

  it('does not depend on the order of the examples', () => {
    const a = proposeRecuration(dataset(), production, strata({ 'code×easy': ['x', 'y'] }), SETTINGS);
    const b = proposeRecuration(dataset().reverse(), [...production].reverse(), strata({ 'code×easy': ['x', 'y'] }), SETTINGS);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});

describe('the changeset commit', () => {
  it('is a structured message that `evalset changelog` parses, trailers last', () => {
    const p = proposeRecuration(dataset(), production, strata({ 'code×easy': ['x', 'y'] }), SETTINGS);
    const commit = changesetCommit('demo', p, {
      action: 're-curate',
      window: { from: '2026-11-14', to: '2026-11-20', prompts: 100 },
      dimensions: [{ name: 'task_category', jsd: 0.2, noise_floor: 0.01, action: 're-curate' }],
    });
    const message = commitMessage(commit, 'the staleness report');
    const [subject, ...rest] = message.split('\n');
    const trailers = rest.slice(rest.indexOf('') + 1).join('\n');
    const parsed = parseCommitMessage('abc', subject, trailers);
    expect(parsed).toMatchObject({ dataset: 'demo', trailers: { 'Dataset-Change': 'refresh', Retired: '2', Added: '2', Retained: '8' } });
    expect(message).toContain('\n\nthe staleness report\n\n');
  });
});
