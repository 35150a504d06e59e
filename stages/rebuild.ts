export { rebuildDataset } from './index.ts';
