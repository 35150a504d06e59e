import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** Relative imports a module loads at run time: `import … from '…'` (not `import type`), `export … from '…'`, `import '…'`, `import('…')`. */
const IMPORT =
  /^(?!import type )(?:import|export)\b[^;]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|^import\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/gms;

/** Every project file a module loads, transitively (relative imports only; packages are covered by package-lock.json). */
export function importClosure(root: string, entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const target = relative(root, join(root, dirname(file), spec));
      if (existsSync(join(root, target))) visit(target);
      else throw new Error(`${file} imports ${spec}, which does not exist`);
    }
  };
  visit(entry);
  return seen;
}
