import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { ProjectPaths } from '../config/paths.ts';
import type { Taxonomy } from '../config/taxonomy.ts';
import { InvalidInputError, type Issue } from '../errors.ts';
import { jsonlFiles, readJsonl } from '../io/jsonl.ts';
import { byCodePoint } from '../io/order.ts';
import { classifyExample, loadTokenCounter } from '../sampling/classify.ts';
import { checkRecord } from '../sampling/pool.ts';
import { LogprobCache } from './membership/cache.ts';
import { startDemoModelServer } from './membership/demoServer.ts';
import type { LogprobEndpoint } from './membership/endpoint.ts';
import { membershipScreen, type MembershipScreen } from './membership/screen.ts';
import type { MembershipSummary } from './result.ts';
import { DEMO_ENDPOINT, type MembershipSettings } from './settings.ts';
import { corpusTexts } from './corpus.ts';

/** The membership screen of one dataset's draw, ready to hand to drawEligible, and how to close it. */
export interface MembershipRun {
  /** Null when there is no endpoint: the draw runs without the screen. */
  screen: MembershipScreen | null;
  /** Stop the demo model server, if one was started (also when the draw failed: it would keep the process alive). */
  close(): Promise<void>;
  /** Close, keep only the answers this run used, compact the cache, and summarise what the screen did. */
  finish(): Promise<MembershipSummary>;
}

/**
 * Calibration examples by stratum: datasets/calibration/*.jsonl, in the pool's record shape, put in
 * their strata by the pool's own classifier (so "the same stratum" means the same rule).
 */
export async function calibrationTexts(paths: ProjectPaths, taxonomy: Taxonomy): Promise<Map<string, string[]>> {
  const byStratum = new Map<string, string[]>();
  if (!existsSync(paths.calibration)) return byStratum;
  const countTokens = await loadTokenCounter(taxonomy.tokenizer);
  const categories = new Set(taxonomy.categories.map((c) => c.id));
  const issues: Issue[] = [];
  for (const path of jsonlFiles(paths.calibration)) {
    const file = relative(paths.root, path);
    for (const entry of readJsonl(path, file)) {
      if (entry.issue) {
        issues.push(entry.issue);
        continue;
      }
      const { example, issues: found } = checkRecord(entry.value, file, entry.line, categories);
      issues.push(...found);
      if (!example) continue;
      const { stratum } = classifyExample(example, taxonomy, countTokens);
      const texts = byStratum.get(stratum);
      if (texts) texts.push(example.prompt);
      else byStratum.set(stratum, [example.prompt]);
    }
  }
  if (issues.length) throw new InvalidInputError(issues);
  return byStratum;
}

/**
 * Open the membership screen for one dataset: the endpoint from params (the key from the
 * environment variable params name; `demo` starts the built-in demo model, trained on the reference
 * corpus, on a free local port), the dataset's persistent cache, and the calibration texts per stratum.
 */
export async function openMembership(
  paths: ProjectPaths,
  dataset: string,
  settings: MembershipSettings,
  taxonomy: Taxonomy,
  textOf: (id: string) => string,
): Promise<MembershipRun> {
  const cachePath = paths.dataset(dataset).membershipCache;
  const cache = LogprobCache.open(cachePath, (m) => process.stderr.write(`evalset: ${m}\n`));
  const e = settings.endpoint;
  if (!e) {
    // The cache is a stage output: it exists, empty, when nothing was asked (answers of an endpoint
    // configured before are not kept, so the file is the same as a fresh build's).
    cache.retainUsed();
    cache.compact();
    return {
      screen: null,
      close: async () => {},
      finish: async () => ({ skipped: 'no model endpoint (contamination.membership.endpoint is null)' }),
    };
  }
  // Read (and check) the calibration sets before a demo server is started, so a bad line cannot leave it running.
  const calibration = await calibrationTexts(paths, taxonomy);
  let endpoint: LogprobEndpoint;
  let close = async () => {};
  if (e.baseUrl === DEMO_ENDPOINT) {
    const server = await startDemoModelServer({ corpus: corpusTexts(paths.referenceCorpus), model: e.model });
    let closed: Promise<void> | undefined;
    close = () => (closed ??= server.close());
    endpoint = {
      api: e.api,
      baseUrl: e.api === 'openai' ? `${server.url}/v1` : server.url,
      model: e.model,
      timeoutMs: settings.timeoutMs,
      identity: DEMO_ENDPOINT,
    };
  } else {
    endpoint = {
      api: e.api,
      baseUrl: e.baseUrl,
      model: e.model,
      promptLogprobs: e.promptLogprobs,
      apiKey: process.env[e.apiKeyEnv],
      timeoutMs: settings.timeoutMs,
    };
  }
  const flagged: { id: string; stratum: string; z: number; score: number }[] = [];
  const screen = membershipScreen({
    endpoint,
    cache,
    concurrency: settings.concurrency,
    retries: settings.retries,
    batchSize: settings.batch,
    method: settings.method,
    k: settings.minK,
    textOf,
    calibrationTexts: calibration,
    zThreshold: settings.zThreshold,
    minimumCalibration: settings.minCalibration,
    onFlag: (flag) => flagged.push(flag),
  });
  return {
    screen,
    close,
    async finish() {
      await close();
      cache.retainUsed();
      cache.compact();
      const r = screen.report();
      // How many answers came from where depends on what an earlier run left in the cache, so it is told (when
      // anything was asked, or to a person), never recorded.
      if (r.requests > 0 || process.stderr.isTTY)
        process.stderr.write(
          `membership ${dataset}: ${r.requests} request${r.requests === 1 ? '' : 's'} to the endpoint, ${r.cacheHits} answers from the cache\n`,
        );
      return {
        skipped: null,
        api: e.api,
        model: e.model,
        endpoint: r.endpoint!.baseUrl,
        method: r.method,
        min_k: r.k,
        z_threshold: r.zThreshold,
        screened: r.strata.reduce((n, s) => n + s.screened, 0),
        flagged: flagged.sort((a, b) => byCodePoint(a.id, b.id)),
        unscreened_no_calibration: r.strata.reduce((n, s) => n + s.unscreenedNoCalibration, 0),
        cache: { path: relative(paths.root, cachePath), sha256: r.cache.digest, entries: r.cache.entries },
        calibration: r.strata.map((s) => ({
          stratum: s.stratum,
          n: s.calibration.n,
          mean: s.calibration.mean,
          sd: s.calibration.sd,
          enough: s.calibration.enough,
        })),
        strata_without_calibration: r.lackingCalibration.map((l) => l.stratum),
      };
    },
  };
}
