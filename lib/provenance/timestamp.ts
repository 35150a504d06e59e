export interface ReproducibleTimestamp {
  timestamp: string;
  source: 'SOURCE_DATE_EPOCH' | 'newest created_at in the pool' | 'none (Unix epoch)';
}

/**
 * A timestamp that a rebuild reproduces (the reproducible-builds convention): SOURCE_DATE_EPOCH
 * when set, else the newest `created_at` of the inputs. Never the wall clock, never a commit time.
 */
export function reproducibleTimestamp(newestInput: string | null, env: NodeJS.ProcessEnv = process.env): ReproducibleTimestamp {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch.trim())) {
    return { timestamp: new Date(Number(epoch.trim()) * 1000).toISOString(), source: 'SOURCE_DATE_EPOCH' };
  }
  if (newestInput) return { timestamp: new Date(newestInput).toISOString(), source: 'newest created_at in the pool' };
  return { timestamp: new Date(0).toISOString(), source: 'none (Unix epoch)' };
}
