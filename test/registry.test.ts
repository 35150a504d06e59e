import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { upstreamOf } from '../lib/pipeline/graph.ts';
import { pipelineDrift } from '../lib/pipeline/cli.ts';
import { STAGES } from '../stages/index.ts';
import { projectRoot } from './helpers.ts';
import { importClosure } from './importGraph.ts';

const under = (file: string, path: string) => file === path || file.startsWith(`${path}/`);
const filesUnder = (dir: string): string[] =>
  readdirSync(join(projectRoot, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    return statSync(join(projectRoot, path)).isDirectory() ? filesUnder(path) : [path];
  });

describe('the stage registry', () => {
  it('is what dvc.yaml declares, stage by stage (cmd, deps, params, outs, metrics)', () => {
    expect(pipelineDrift(projectRoot, STAGES)).toEqual([]);
  });

  it('gives each stage its own module, whose name is the stage name', () => {
    for (const stage of STAGES) expect(stage.code[0]).toBe(`stages/${stage.name}.ts`);
  });

  for (const stage of STAGES) {
    it(`${stage.name}: depends on every file its module loads, and on no code folder it does not load`, () => {
      const closure = [...importClosure(projectRoot, `stages/${stage.name}.ts`)];
      expect(closure.filter((file) => !stage.code.some((path) => under(file, path)))).toEqual([]);
      const unused = stage.code.filter((path) => !closure.some((file) => under(file, path)));
      expect(unused).toEqual([]);
    });
  }

  it('keeps each stage off code it does not run: adding a capability does not re-run sampling', () => {
    const sample = STAGES.find((s) => s.name === 'sample')!;
    expect(sample.code).not.toContain('lib');
    expect(sample.code.some((p) => p.startsWith('lib/card'))).toBe(false);
  });

  it('rebuilds a release from exactly the stages upstream of its data', () => {
    expect(upstreamOf(STAGES, 'evalsets/${key}/data.parquet', 'x').map((s) => s.name)).toEqual([
      'config',
      'classify',
      'contamination-index',
      'ngram',
      'duplicates',
      'agreement',
      'sample',
    ]);
    expect(upstreamOf(STAGES, 'evalsets/${key}/README.md', 'x').map((s) => s.name)).toEqual([
      'config',
      'classify',
      'contamination-index',
      'ngram',
      'duplicates',
      'agreement',
      'traffic',
      'sample',
      'agreement-report',
      'coverage',
      'staleness',
      'card',
    ]);
  });

  it('lib/ never imports stages/ or hooks/', () => {
    const offenders = filesUnder('lib')
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /from\s+['"](\.\.\/)+(stages|hooks)\//.test(readFileSync(join(projectRoot, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
