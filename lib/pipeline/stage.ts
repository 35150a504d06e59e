/**
 * A pipeline stage as one declaration: its name, what it reads (params keys, code, data) and what it
 * writes. `stages/` holds one module per stage, each exporting one of these; `stages/index.ts` lists
 * them in run order (the registry). dvc.yaml is held to the registry by a test, the CLI registers a
 * command per stage from it, and `reproduce` re-runs the stages upstream of a dataset from it.
 */

/** A path written by a stage, with its DVC flags. */
export interface StageOut {
  path: string;
  /** false: kept in git, not in the DVC cache (manifests, meta.json, cards, metrics). */
  cache?: false;
  /** A DVC metrics file (`dvc metrics show/diff`). */
  metrics?: true;
  /** A DVC plots file (`dvc plots show`), with the fields it draws when not DVC's defaults. */
  plots?: true | { x: string; y: string; title?: string };
}

export interface Stage<Result = unknown> {
  /** The DVC stage name; with `perDataset`, DVC's foreach names each copy `name@dataset`. */
  name: string;
  /** One copy per dataset in params.yaml (`foreach: ${datasets}`), `${key}` standing for the dataset's name. */
  perDataset: boolean;
  /** One line for --help and the README. */
  describe: string;
  /** false: the capability's CLI registers its own command of this name (with options of its own), not the generic stage command. */
  command?: false;
  /** Params keys the stage reads, e.g. `datasets.${key}.seed`. DVC re-runs the stage when one changes. */
  params: string[];
  /** Code the stage runs: its own module and the lib folders it imports (a test checks the import graph). */
  code: string[];
  /** Inputs: data and config files. */
  deps: string[];
  outs: StageOut[];
  /** Extra node flags for the stage's command (e.g. a larger young generation for whole-pool stages). */
  nodeFlags?: string[];
  /** Do the work. `dataset` is set for per-dataset stages. */
  run(root: string, dataset?: string, onProgress?: (n: number) => void): Promise<Result>;
  /** The human summary of a result (the CLI prints JSON with --json). */
  summarize(result: Result): string;
}

/**
 * The code every stage module runs besides its own: params and paths, I/O, the stage runner, its
 * output and the errors. A stage's `code` ends with it (the import-graph test holds each list to what
 * the module really loads).
 */
export const STAGE_RUNTIME_CODE = ['lib/config', 'lib/io', 'lib/pipeline', 'lib/cli/output.ts', 'lib/errors.ts'] as const;

/** Substitute the dataset's name for `${key}`. */
export const forDataset = (text: string, dataset: string): string => text.replaceAll('${key}', dataset);

/** The command DVC runs for a stage: its own module, so the code it executes is exactly its declared code. */
export function stageCommand(stage: Stage): string {
  const flags = [...(stage.nodeFlags ?? []), '--import', 'tsx'];
  return `node ${flags.join(' ')} stages/${stage.name}.ts${stage.perDataset ? ' --dataset ${key}' : ''}`;
}

type DvcOut = string | Record<string, Record<string, unknown>>;

function dvcOut(out: StageOut): DvcOut {
  const flags: Record<string, unknown> = {};
  if (out.cache === false) flags.cache = false;
  // Outputs persist (DVC does not delete them before the stage runs) and every writer is atomic, so a
  // stage that fails or is killed leaves the previous outputs intact; see the README, "When a run fails".
  flags.persist = true;
  if (typeof out.plots === 'object') Object.assign(flags, out.plots);
  return { [out.path]: flags };
}

/** The `stages:` entry of dvc.yaml that the registry calls for, as parsed YAML. */
function dvcStages(stages: readonly Stage[]): Record<string, unknown> {
  const entries: [string, unknown][] = stages.map((stage) => {
    const body: Record<string, unknown> = { cmd: stageCommand(stage), deps: [...stage.deps, ...stage.code] };
    if (stage.params.length) body.params = stage.params;
    const outs = stage.outs.filter((o) => !o.metrics && !o.plots);
    const metrics = stage.outs.filter((o) => o.metrics);
    const plots = stage.outs.filter((o) => o.plots);
    if (outs.length) body.outs = outs.map((o) => dvcOut(o));
    if (metrics.length) body.metrics = metrics.map((o) => dvcOut(o));
    if (plots.length) body.plots = plots.map((o) => dvcOut(o));
    return [stage.name, stage.perDataset ? { foreach: '${datasets}', do: body } : body];
  });
  return Object.fromEntries(entries);
}

/**
 * The whole dvc.yaml the registry calls for. `vars: [params.yaml]` makes DVC load params.yaml
 * explicitly (it does so implicitly otherwise), so a missing params.yaml is named as such instead of
 * surfacing as "Could not find 'datasets'" in a foreach.
 */
export function dvcPipeline(stages: readonly Stage[]): { vars: string[]; stages: Record<string, unknown> } {
  return { vars: ['params.yaml'], stages: dvcStages(stages) };
}
