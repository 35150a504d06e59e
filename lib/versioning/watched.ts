/** The dataset a staged path is the manifest of, if it is one. */
export const manifestDataset = (path: string): string | undefined => /^evalsets\/([^/]+)\/manifest\.jsonl$/.exec(path)?.[1];

/** Whether staging these paths calls for the pre-commit checks; anything else commits without them. */
export function needsChecks(staged: readonly string[]): boolean {
  return staged.some((p) => p === 'params.yaml' || p === 'dvc.lock' || p.startsWith('taxonomy/') || manifestDataset(p) !== undefined);
}
