import { forDataset, type Stage } from './stage.ts';

/** Whether one path is the other or lies inside it (DVC links a stage to another the same way). */
const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

/** The stages that must run to produce `target` for one dataset, in registry order: its producer and everything upstream of it. */
export function upstreamOf(stages: readonly Stage[], target: string, dataset: string): Stage[] {
  const outsOf = (s: Stage) => s.outs.map((o) => forDataset(o.path, dataset));
  const depsOf = (s: Stage) => s.deps.map((d) => forDataset(d, dataset));
  const wanted = new Set<Stage>();
  const need = (path: string) => {
    for (const s of stages) {
      if (wanted.has(s) || !outsOf(s).some((o) => overlaps(o, path))) continue;
      wanted.add(s);
      depsOf(s).forEach(need);
    }
  };
  need(forDataset(target, dataset));
  return stages.filter((s) => wanted.has(s));
}

/** A rebuild function for `reproduce`: run, in a checkout, every stage upstream of `target` for the dataset. */
export function rebuilder(stages: readonly Stage[], target: string) {
  return async (root: string, dataset: string): Promise<void> => {
    for (const stage of upstreamOf(stages, target, dataset)) await stage.run(root, stage.perDataset ? dataset : undefined);
  };
}
