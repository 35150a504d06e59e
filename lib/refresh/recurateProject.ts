/**
 * Re-curation run on a project: the staleness analysis (its window's features), the dataset's build,
 * the eligible pool in keyed-hash rank order per stratum, the previous release's labels, and the
 * params; then the pure proposal (lib/refresh/recurate.ts) as a changeset. The DVC stage
 * (stages/recurate.ts) and `evalset recurate NAME` both call `recurateOf`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { DEFAULT_FLOOR, datasetParams, loadParams } from '../config/params.ts';
import { projectPaths } from '../config/paths.ts';
import { loadTaxonomy, strataOf } from '../config/taxonomy.ts';
import { retiredExclusions } from '../eligibility/retired.ts';
import { readExclusions } from '../eligibility/table.ts';
import { byCodePoint } from '../io/order.ts';
import { columnValues, readParquetFile } from '../io/parquet.ts';
import { readAssignmentIndex } from '../sampling/assignments.ts';
import { drawLowest } from '../sampling/draw.ts';
import { readVoucher } from '../sampling/voucher.ts';
import { readMeta } from '../provenance/meta.ts';
import { parseManifest, readAt } from '../versioning/snapshot.ts';
import { releaseBaseline } from '../versioning/tags.ts';
import { changesetCommit, CHANGESET_SCHEMA_VERSION, type Changeset } from './changeset.ts';
import { readComparedFeatures } from './comparedFeatures.ts';
import { InvalidInputError } from '../errors.ts';
import { readQuality, type QualityResult } from '../quality/result.ts';
import { recurateSettings } from './settings.ts';
import { proposeRecuration, type CurrentExample, type StratumCandidates } from './recurate.ts';
import type { StalenessDetails } from './result.ts';

/** A dataset re-curation does not apply to (it does not track traffic, or there is no traffic): why, in words. */
export interface NotRunChangeset {
  schema_version: typeof CHANGESET_SCHEMA_VERSION;
  dataset: string;
  due: false;
  not_run: string;
}

/**
 * Why each example's label needs updating: its label hash differs from the previous release's (the
 * nearest release tag), e.g. because an adjudicated label replaced the annotators'. Empty when no
 * release is tagged or the project is not a git repository.
 */
function relabeled(root: string, name: string, labels: ReadonlyMap<string, string>): { baseline: string | null; reasons: Map<string, string> } {
  const reasons = new Map<string, string>();
  let baseline: { tag: string } | null = null;
  try {
    baseline = releaseBaseline(root, name);
  } catch {
    baseline = null; // not a git repository: no release to compare with
  }
  const file = `evalsets/${name}/manifest.jsonl`;
  const before = baseline && readAt(root, { kind: 'rev', rev: baseline.tag }, file);
  const currentPath = projectPaths(root).dataset(name).manifest;
  if (!baseline || !before || !existsSync(currentPath)) return { baseline: baseline?.tag ?? null, reasons };
  const old = parseManifest(before, `${baseline.tag}:${file}`);
  for (const [id, entry] of parseManifest(readFileSync(currentPath, 'utf8'), file)) {
    const was = old.get(id);
    if (was && was.content_hash === entry.content_hash && was.label_hash !== entry.label_hash) {
      const source = labels.get(id);
      reasons.set(id, `its label changed since ${baseline.tag}${source ? ` (now the ${source} label)` : ''}`);
    }
  }
  return { baseline: baseline.tag, reasons };
}

/** The proposal for dataset `name` as a changeset (or why there is none). */
export function recurateOf(root: string, name: string): Changeset | NotRunChangeset {
  return recurateWithStaleness(root, name).changeset;
}

/**
 * The proposal, from what the staleness stage wrote (its result and the features it compared), and that
 * result (the refresh runner needs both).
 */
export function recurateWithStaleness(root: string, name: string): { changeset: Changeset | NotRunChangeset; staleness: QualityResult } {
  const qualityPath = projectPaths(root).dataset(name).quality('staleness');
  const file = relative(root, qualityPath);
  if (!existsSync(qualityPath)) throw new InvalidInputError([{ file, message: 'missing: run `dvc repro` (the staleness stage writes it)' }]);
  const staleness = readQuality(qualityPath, file);
  if (staleness.status === 'not_run')
    return {
      changeset: { schema_version: CHANGESET_SCHEMA_VERSION, dataset: name, due: false, not_run: staleness.reason ?? 'staleness did not run' },
      staleness,
    };
  const analysis = readComparedFeatures(root, name);
  const details = staleness.details as unknown as StalenessDetails;
  const paths = projectPaths(root);
  const params = datasetParams(loadParams(paths.params, 'params.yaml'), name);
  const taxonomy = loadTaxonomy(paths.taxonomy, relative(root, paths.taxonomy));
  const out = paths.dataset(name);
  const meta = readMeta(out.meta, relative(root, out.meta));

  const table = readParquetFile(out.data, { columns: ['id', 'stratum', 'task_category', 'labels'] });
  const [ids, strata, categories, labelTexts] = ['id', 'stratum', 'task_category', 'labels'].map((c) => columnValues(table, c) as string[]);
  const labelSource = new Map<string, string>();
  ids.forEach((id, i) => {
    const source = (JSON.parse(labelTexts[i]) as { annotation?: { source?: string } }).annotation?.source;
    if (source) labelSource.set(id, source);
  });
  const { baseline, reasons } = relabeled(root, name, labelSource);
  const featuresOf = new Map(analysis.reference.map((r) => [r.id, r.features]));
  const examples: CurrentExample[] = ids.map((id, i) => ({
    id,
    stratum: strata[i],
    category: categories[i],
    features: featuresOf.get(id)!,
    relabel: reasons.get(id),
  }));

  // The eligible candidates not in the dataset, per stratum, in the sampler's keyed-hash rank order.
  const voucher = readVoucher(paths);
  const index = readAssignmentIndex(paths.assignments);
  const poolIds = new Set(index.ids);
  const excluded = readExclusions(root, poolIds, voucher.assignments.sha256);
  const retired = retiredExclusions(root, name);
  const inDataset = new Set(ids);
  const floors = new Map(Object.entries(params.floors ?? {}));
  const candidates: StratumCandidates[] = [...strataOf(taxonomy)]
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([stratum, { category }]) => {
      const all = (index.byStratum.get(stratum) ?? []).map((row) => index.ids[row]);
      return {
        stratum,
        category,
        floor: floors.get(stratum) ?? params.floor ?? DEFAULT_FLOOR,
        candidates: drawLowest(all, all.length, params.seed).filter((id) => !inDataset.has(id) && !excluded.has(id) && !retired.has(id)),
      };
    });

  const settings = recurateSettings(loadParams(paths.params, 'params.yaml'), name);
  const proposal = proposeRecuration(examples, analysis.window, candidates, settings);
  const basis: Changeset['staleness'] = {
    action: details.action,
    window: { from: details.window.from, to: details.window.to, prompts: details.window.prompts },
    dimensions: details.dimensions.map(({ name: n, jsd, noise_floor, action }) => ({ name: n, jsd, noise_floor, action })),
  };
  const changeset: Changeset = {
    schema_version: CHANGESET_SCHEMA_VERSION,
    dataset: name,
    due: details.action === 're-curate',
    base: { version: meta.version, content_hash: meta.content_hash, examples: ids.length, seed: params.seed },
    staleness: basis,
    settings,
    ...proposal,
    allocation: Object.fromEntries(proposal.strata.filter((s) => s.after > 0).map((s) => [s.stratum, s.after])),
    relabel_baseline: baseline,
    commit: changesetCommit(name, proposal, basis),
  };
  return { changeset, staleness };
}
