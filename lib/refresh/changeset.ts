/**
 * The changeset file a re-curation proposes (`evalsets/NAME/changeset.json`): the proposal with every
 * reason, what it is based on, the allocation applying it sets, and the structured commit message
 * (`dataset(NAME): …` with git trailers) that `evalset changelog` parses.
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../errors.ts';
import type { DimensionStaleness, StalenessAction } from './staleness.ts';
import type { ChangeEntry, Proposal, RecurateSettings } from './recurate.ts';

export type ChangeEntryList = readonly ChangeEntry[];

export const CHANGESET_SCHEMA_VERSION = 1;

export interface Changeset extends Proposal {
  schema_version: typeof CHANGESET_SCHEMA_VERSION;
  dataset: string;
  /** Whether staleness calls for re-curation; a proposal that is not due is shown, never opened as a pull request. */
  due: boolean;
  /** The build the proposal is a delta of: applying it to any other is refused. */
  base: { version: string; content_hash: string; examples: number; seed: number };
  staleness: {
    action: StalenessAction;
    window: { from: string; to: string; prompts: number };
    dimensions: Pick<DimensionStaleness, 'name' | 'jsd' | 'noise_floor' | 'action'>[];
  };
  settings: RecurateSettings;
  /** The explicit allocation (examples per stratum) that, with the retired examples excluded, redraws exactly the proposed set. */
  allocation: Record<string, number>;
  /** The previous release a replacement's label is compared with, or null when none is tagged. */
  relabel_baseline: string | null;
  commit: { subject: string; trailers: Record<string, string> };
}

/** The subject and trailers of the structured commit that applies a changeset. */
export function changesetCommit(dataset: string, p: Proposal, staleness: Changeset['staleness']): Changeset['commit'] {
  const parts = [`retire ${p.retire.length}`, `add ${p.add.length}`, `relabel ${p.replace.length}`];
  return {
    subject: `dataset(${dataset}): refresh against production traffic of ${staleness.window.from} to ${staleness.window.to} (${parts.join(', ')})`,
    trailers: {
      'Dataset-Change': 'refresh',
      Retained: String(p.retain.length + p.replace.length),
      Retired: String(p.retire.length),
      Replaced: String(p.replace.length),
      Added: String(p.add.length),
      'Held-Back': String(p.held_back.length),
      Staleness: `${staleness.action} (${staleness.dimensions.map((d) => `${d.name} ${d.jsd.toFixed(3)}`).join(', ')} nats)`,
    },
  };
}

/** The whole commit message: the subject, an optional body (the staleness report), then the trailers git reads. */
export function commitMessage(commit: Changeset['commit'], body = ''): string {
  const trailers = Object.entries(commit.trailers).map(([k, v]) => `${k}: ${v}`);
  return [commit.subject, '', ...(body.trim() ? [body.trim(), ''] : []), ...trailers, ''].join('\n');
}

export function changesetJson(changeset: Changeset): string {
  return JSON.stringify(changeset, null, 2) + '\n';
}

/** A changeset file, checked for the fields applying it needs. */
export function readChangeset(path: string, file: string): Changeset {
  let value: Partial<Changeset>;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidInputError([{ file, message: `unreadable or malformed JSON (${(err as Error).message})` }]);
  }
  const missing = ['dataset', 'base', 'retire', 'add', 'replace', 'retain', 'allocation', 'commit'].filter((k) => !(k in (value ?? {})));
  if (value?.schema_version !== CHANGESET_SCHEMA_VERSION)
    throw new InvalidInputError([{ file, field: 'schema_version', message: `must be ${CHANGESET_SCHEMA_VERSION}: is this an evalset changeset?` }]);
  if (missing.length) throw new InvalidInputError(missing.map((field) => ({ file, field, message: 'is required' })));
  return value as Changeset;
}
