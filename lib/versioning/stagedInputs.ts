/**
 * The inputs of the pre-commit checks, read on a worker thread (lib/io/backgroundReads.ts) while
 * the checks' modules load and the first checks run: the small staged files, the staged manifest
 * (from the working tree where it provably holds the staged bytes, see stagedBlobsFromWorktree,
 * with the digests the checks take of it) and the release tag's manifest, which git inflates
 * (21 MB for 100,000 examples). Only a warm-up of git.ts's per-process store: the checks read
 * everything they need themselves, find here what was already read, and read and report what was
 * not. A file guessed wrong is a wasted read, never a different answer.
 */
import { prefetchInBackground, revisionExists, stagedBlobsFromWorktreeInBackground, type RevisionPath } from '../io/git.ts';
import { stagedEntries, type IndexEntry } from '../io/gitIndex.ts';
import { datasetOf } from './watched.ts';

export const TAXONOMY = 'taxonomy/strata.json';
/** The staged files the checks read besides the datasets' release files. */
export const CONFIG_FILES = ['params.yaml', TAXONOMY, 'dvc.lock', 'datasets.dvc'];

/** The reads under way; each settles when what it could read is in memory. They never fail: what they miss, the checks read and report. */
export interface StagedInputs {
  /** The index entries under the configuration files and evalsets/, as listed before the reads. */
  entries: IndexEntry[];
  hasHead: boolean;
  /** The staged configuration files and meta.json files, and HEAD's params and taxonomy where staged. */
  config: Promise<void>;
  /** The staged manifests, from the working tree where it holds the staged bytes, with their SHA-256 and md5. */
  manifests: Promise<void>;
  /** The release files of the tags the plan compares with. */
  releases: Promise<void>;
}

/** The digests the checks take of a staged manifest: meta.json's manifest_sha256, and DVC's md5 in dvc.lock. */
export const MANIFEST_DIGESTS = ['sha256', 'md5'];

/** A warm-up that cannot fail: a read it misses is the checks' to make, and to report. */
const quietly = (read: Promise<unknown>): Promise<void> =>
  read.then(
    () => {},
    () => {},
  );

export function readStagedInputs(root: string, staged: readonly string[]): StagedInputs {
  const entries = stagedEntries(root, [...CONFIG_FILES, 'evalsets']);
  const wanted = entries.filter((e) => CONFIG_FILES.includes(e.path) || datasetOf(e.path) !== undefined);
  const manifests = wanted.filter((e) => e.path.endsWith('/manifest.jsonl'));
  const hasHead = revisionExists(root, 'HEAD^{commit}');
  const atHead = hasHead ? ['params.yaml', TAXONOMY].filter((p) => staged.includes(p)).map((path) => ({ rev: 'HEAD', path })) : [];
  // One worker runs the reads in the order posted: the small files first, then the staged
  // manifests, then the tag's (once the tag is known).
  const config = quietly(
    prefetchInBackground(root, [...wanted.filter((e) => !manifests.includes(e)).map((e) => ({ rev: '', path: e.path })), ...atHead]),
  );
  const stagedManifests = quietly(stagedBlobsFromWorktreeInBackground(root, manifests, MANIFEST_DIGESTS));
  const releases = hasHead
    ? quietly(
        baselineFiles(
          root,
          staged,
          wanted.map((e) => e.path),
        ).then((files) => prefetchInBackground(root, files)),
      )
    : Promise.resolve();
  return { entries, hasHead, config, manifests: stagedManifests, releases };
}

/**
 * The release files of the tags the plan will surely diff against: of the datasets with staged
 * release files, or of all of them when the taxonomy is staged.
 */
async function baselineFiles(root: string, staged: readonly string[], indexed: readonly string[]): Promise<RevisionPath[]> {
  const { releaseBaseline } = await import('./tags.ts'); // loaded after the configuration read has started
  const names = new Set((staged.includes(TAXONOMY) ? indexed : staged).map(datasetOf).filter((n): n is string => n !== undefined));
  const files: RevisionPath[] = [];
  for (const name of names) {
    const baseline = releaseBaseline(root, name);
    if (baseline) for (const file of ['meta.json', 'manifest.jsonl']) files.push({ rev: baseline.tag, path: `evalsets/${name}/${file}` });
  }
  return files;
}
