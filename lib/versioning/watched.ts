/**
 * Which staged paths call for which pre-commit check. Kept apart from the checks so that a commit
 * staging none of them loads nothing else.
 */

/** The dataset a staged path belongs to, if it is one of its committed release files (manifest or meta.json). */
export const datasetOf = (path: string): string | undefined => /^evalsets\/([^/]+)\/(?:manifest\.jsonl|meta\.json)$/.exec(path)?.[1];

/** The files DVC's receipt and the release rules hang on: staging any of them runs the versioning checks. */
export function needsChecks(staged: readonly string[]): boolean {
  return staged.some(
    (p) => p === 'params.yaml' || p === 'dvc.lock' || p === 'datasets.dvc' || p.startsWith('taxonomy/') || datasetOf(p) !== undefined,
  );
}

/** The staged files prettier must find formatted (what lint-staged's `*.{ts,js}` used to select). */
export const formattable = (staged: readonly string[]): string[] => staged.filter((p) => /\.(?:[cm]?[jt]s)$/.test(p));
