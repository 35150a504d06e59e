import type { ProjectPaths } from '../config/paths.ts';
import { loadTaxonomy } from '../config/taxonomy.ts';
import { readAssignmentIndex } from './assignments.ts';
import { readRecordsAt } from './pool.ts';
import type { ClassifyVoucher } from './voucher.ts';

/** Every pool example's id and prompt, in id order, read back through the assignment table (the screens that compare texts). */
export function poolPrompts(paths: ProjectPaths, voucher: ClassifyVoucher): { id: string; text: string }[] {
  const index = readAssignmentIndex(paths.assignments);
  const categories = new Set(loadTaxonomy(paths.taxonomy, 'taxonomy/strata.json').categories.map((c) => c.id));
  const records = readRecordsAt(paths.root, voucher, index.ids.map((_, i) => index.location(i)), categories);
  const prompt = new Map(records.map((r) => [r.id, r.prompt]));
  return index.ids.map((id) => ({ id, text: prompt.get(id)! }));
}
