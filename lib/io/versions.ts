import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The installed version of an npm package: the package.json at the package's root, looked up in the
 * node_modules folders Node itself would search (`require.resolve.paths`), nearest first. Not found
 * by walking up from the entry point: dual packages ship nested manifests that name the package but
 * carry no version (gpt-tokenizer's `cjs/package.json` is `{"name": "gpt-tokenizer", "type":
 * "commonjs"}`), and ESM-only packages (canonicalize) cannot be resolved by `require` at all.
 */
export function packageVersion(name: string): string {
  for (const modules of require.resolve.paths(name) ?? []) {
    const manifest = join(modules, name, 'package.json');
    if (!existsSync(manifest)) continue;
    const json = JSON.parse(readFileSync(manifest, 'utf8'));
    if (json.name === name && typeof json.version === 'string' && json.version !== '') return json.version;
  }
  throw new Error(`cannot find the version of ${name}: no node_modules/${name}/package.json with a version on Node's search path`);
}
