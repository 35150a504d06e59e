/**
 * A child process for the kill-and-resume test: scores the texts of a JSON file into a membership cache file through
 * the client, as a stage would, until it finishes or is killed. Arguments: baseUrl model cachePath textsPath concurrency.
 */
import { readFileSync } from 'node:fs';
import { LogprobCache } from '../../lib/contamination/membership/cache.ts';
import { scoreTexts } from '../../lib/contamination/membership/client.ts';

const [baseUrl, model, cachePath, textsPath, concurrency] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(textsPath, 'utf8')) as string[];
const cache = LogprobCache.open(cachePath);
await scoreTexts(texts, { endpoint: { api: 'openai', baseUrl, model, timeoutMs: 10_000 }, cache, concurrency: Number(concurrency) });
cache.close();
