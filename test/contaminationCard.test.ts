import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderContaminationSection } from '../lib/card/sections/contamination.ts';
import { projectPaths } from '../lib/config/paths.ts';
import { loadTaxonomy } from '../lib/config/taxonomy.ts';
import { openMembership } from '../lib/contamination/membershipRun.ts';
import { NO_REFERENCE_CORPUS, type NgramReport } from '../lib/contamination/ngramScreen.ts';
import { contaminationResult, type MembershipSummary, type NearDuplicateSummary } from '../lib/contamination/result.ts';
import { membershipSettings } from '../lib/contamination/settings.ts';
import { qualityJson } from '../lib/quality/result.ts';
import { projectRoot, workspace } from './helpers.ts';

const ngramRan: NgramReport = {
  skipped: null,
  pool: 100,
  scored: 98,
  unscorable: 2,
  threshold: 0.5,
  excluded: 1,
  fpr_baseline: 0.01,
  guaranteed_run: 10,
  index: { width: 10, stride: 1, inserted: 5000, bits: 47928, hashes: 7 },
  flagged: [{ id: 'a', shingles: 20, hits: 18, score: 0.9 }],
};
const ngramSkipped: NgramReport = { ...ngramRan, skipped: NO_REFERENCE_CORPUS, scored: 0, unscorable: 0, excluded: 0, flagged: [] };
const near: NearDuplicateSummary = {
  width: 5,
  threshold: 0.8,
  groups: [{ kept: 'b', members: [{ id: 'c', jaccard: 0.9 }] }],
  excluded: 1,
  unscorable: 0,
};
const membershipRan: MembershipSummary = {
  skipped: null,
  api: 'openai',
  model: 'm',
  endpoint: 'http://models.internal/v1',
  method: 'mean',
  min_k: null,
  z_threshold: 3,
  screened: 50,
  flagged: [{ id: 'd', stratum: 'x×y', z: 4.2, score: -2.1 }],
  unscreened_no_calibration: 0,
  cache: { path: 'interim/membership/t.jsonl', sha256: 'f'.repeat(64), entries: 70 },
  calibration: [],
  strata_without_calibration: [],
};
const membershipSkipped: MembershipSummary = { skipped: 'no model endpoint (contamination.membership.endpoint is null)' };

const card = (ngram: NgramReport, membership: MembershipSummary) => {
  const result = contaminationResult('t', { ngram, nearDuplicates: near, membership, quarantined: [] });
  qualityJson(result, 'quality/contamination.json'); // a valid quality file in every case
  return { result, text: renderContaminationSection(result) };
};

describe('the contamination section states its fallbacks, never silently', () => {
  it('both detectors ran: no fallback, pass', () => {
    const { result, text } = card(ngramRan, membershipRan);
    expect(result.status).toBe('pass');
    expect(result.details.fallback).toBeNull();
    expect(text).not.toMatch(/skipped|unchecked/);
    expect(text).toMatch(/\| `a` +\| +18 \/ 20 \| +90\.0% \|/);
    expect(text).toContain('`d`');
  });

  it('no reference corpus: membership inference only, and the card says n-gram detection was skipped', () => {
    const { result, text } = card(ngramSkipped, membershipRan);
    expect(result.status).toBe('warn');
    expect(text).toContain('n-gram contamination detection was skipped: no reference corpus');
  });

  it('no endpoint: n-gram only, and the card says membership inference was skipped', () => {
    const { result, text } = card(ngramRan, membershipSkipped);
    expect(result.status).toBe('warn');
    expect(text).toContain('Membership inference was skipped: no model endpoint');
  });

  it('neither: the dataset is unchecked for contamination (not run, with the reason)', () => {
    const { result, text } = card(ngramSkipped, membershipSkipped);
    expect(result.status).toBe('not_run');
    expect(result.reason).toBe('no reference corpus; no model endpoint (contamination.membership.endpoint is null)');
    expect(text).toContain('This dataset is unchecked for contamination');
  });

  it('an endpoint set to null opens no screen, and still leaves its (empty) cache output', async () => {
    const root = workspace();
    const paths = projectPaths(root);
    const settings = membershipSettings({ membership: { endpoint: null } });
    const run = await openMembership(paths, 'd', settings, loadTaxonomy(join(projectRoot, 'taxonomy', 'strata.json')), () => '');
    expect(run.screen).toBeNull();
    expect((await run.finish()).skipped).toMatch(/^no model endpoint/);
    expect(existsSync(paths.dataset('d').membershipCache)).toBe(true);
    expect(readFileSync(paths.dataset('d').membershipCache, 'utf8')).toBe('');
  });
});
