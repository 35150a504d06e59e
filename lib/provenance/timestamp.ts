import { InvalidInputError } from '../errors.ts';

/** What the timestamp came from, in words a reader of meta.json or the card understands. */
export const TIMESTAMP_SOURCES = {
  epoch: 'SOURCE_DATE_EPOCH',
  pool: 'newest created_at in the pool',
  none: 'none: no SOURCE_DATE_EPOCH and no created_at in the pool, so the Unix epoch 1970-01-01T00:00:00Z',
} as const;

export interface ReproducibleTimestamp {
  timestamp: string;
  source: (typeof TIMESTAMP_SOURCES)[keyof typeof TIMESTAMP_SOURCES];
}

/**
 * A timestamp that a rebuild reproduces (the reproducible-builds convention,
 * https://reproducible-builds.org/specs/source-date-epoch/): SOURCE_DATE_EPOCH when set, else the
 * newest `created_at` of the inputs, else the Unix epoch, said in so many words. Never the wall
 * clock, never a commit time. An empty SOURCE_DATE_EPOCH counts as unset; any other value that is
 * not a whole number of seconds is refused, as the specification asks ("the build process SHOULD
 * exit with a non-zero error code"), rather than silently replaced by another source.
 */
export function reproducibleTimestamp(newestInput: string | null, env: NodeJS.ProcessEnv = process.env): ReproducibleTimestamp {
  const epoch = env.SOURCE_DATE_EPOCH?.trim();
  if (epoch) {
    const seconds = /^\d+$/.test(epoch) ? Number(epoch) : NaN;
    const date = new Date(seconds * 1000);
    if (Number.isNaN(date.getTime())) {
      throw new InvalidInputError([
        {
          file: 'environment',
          field: 'SOURCE_DATE_EPOCH',
          message: `"${env.SOURCE_DATE_EPOCH}" is not a whole number of seconds since 1970-01-01T00:00:00Z (e.g. \`date +%s\`); unset it to use the newest created_at in the pool`,
        },
      ]);
    }
    return { timestamp: date.toISOString(), source: TIMESTAMP_SOURCES.epoch };
  }
  if (newestInput) return { timestamp: new Date(newestInput).toISOString(), source: TIMESTAMP_SOURCES.pool };
  return { timestamp: new Date(0).toISOString(), source: TIMESTAMP_SOURCES.none };
}
