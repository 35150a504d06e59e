#!/usr/bin/env -S node --max-semi-space-size=64
// The CLI runs its TypeScript sources directly through tsx, so a stage run by `dvc repro` and a
// command typed by hand execute the same files, with no build step that could fall out of date.
import { register } from 'tsx/esm/api';

register();
const { STAGES, rebuildDataset } = await import('../stages/index.ts');
const { cli } = await import('../lib/cli/main.ts');
await cli(process.argv.slice(2), { stages: STAGES, rebuild: rebuildDataset }).parseAsync();
