import { markdownTable } from 'markdown-table';
import { renderUtilitySection } from '../card/sections/utility.ts';
import type { QualityResult } from '../quality/result.ts';
import type { Statement } from './attestation.ts';
import type { ReleaseRecord } from './release.ts';

const mechanismText = (m: NonNullable<ReleaseRecord['mechanisms']>[number]) =>
  m.mechanism === 'gaussian'
    ? `Gaussian, σ = ${m.noise_multiplier} × sensitivity`
    : m.mechanism === 'laplace'
      ? `Laplace, ε₀ = ${m.epsilon0}`
      : `(ε = ${m.epsilon}, δ = ${m.delta.toPrecision(3)}) as the backend states it`;

/**
 * The synthetic dataset's card: what the release guarantees and how it was made, its quality
 * sections (utility), and how an auditor checks the signed attestation without the source.
 */
export function renderSyntheticCard(
  release: ReleaseRecord,
  quality: ReadonlyMap<string, QualityResult>,
  statement: Statement | null,
  fingerprint: string | null,
): string {
  const lines = ['# Synthetic evaluation data', ''];
  if (release.status !== 'released') return [...lines, `_Not run: ${release.reason}._`, ''].join('\n');
  const mechanisms = new Map((release.mechanisms ?? []).map((m) => [m.field, m]));
  lines.push(
    `${release.records} records synthesised from \`datasets/private/source.jsonl\` (SHA-256 \`${release.source_sha256}\`) by the ${release.backend!.name} backend (version ${release.backend!.version}).`,
    '',
    '## Privacy guarantee',
    '',
    `The noisy and regenerated fields below are (ε = ${release.epsilon_run!.toFixed(3)}, δ = ${release.delta!.toPrecision(3)})-differentially private for replacing one source record, by the Rényi accountant over every mechanism. ` +
      'Outside the guarantee: the public fields, which values are present, the number of records, and the utility figures below. ' +
      `Every release from this source together has spent ε = ${release.epsilon_total!.toFixed(3)} of the budget of ${release.epsilon_budget} (privacy/ledger.jsonl, privacy/budget.yaml).`,
    '',
    release.noise_seed === 'public (params.yaml)'
      ? '**Demo:** the noise seed is the public one in params.yaml, so anyone can recompute and remove the noise. This release shows the mechanism, not the protection; a real release sets a secret `EVALSET_PRIVACY_SEED`.'
      : 'The noise seed is secret (`EVALSET_PRIVACY_SEED`).',
    '',
    markdownTable(
      [
        ['field', 'sensitivity', 'what was released', 'mechanism'],
        ...Object.entries(release.fields ?? {}).map(([field, f]) => [
          `\`${field}\``,
          f.sensitivity,
          {
            'pass-through': 'the value as is',
            noise: 'the value with calibrated noise',
            regenerate: 'regenerated text',
            placeholder: 'a placeholder',
          }[f.strategy],
          mechanisms.has(field) ? mechanismText(mechanisms.get(field)!) : f.strategy === 'placeholder' ? 'none: not derived from the source' : '—',
        ]),
      ],
      { align: ['l', 'l', 'l', 'l'] },
    ),
  );
  if (release.warnings?.length) lines.push('', ...release.warnings.map((w) => `- ⚠ ${w}`));
  const utility = quality.get('utility');
  lines.push('', '## Utility', '', utility ? renderUtilitySection(utility as QualityResult<never>) : '_Not run: no utility result._');
  if (statement) {
    lines.push(
      '',
      '## Attestation',
      '',
      `\`attestation.intoto.json\` is an in-toto Statement (predicate \`${statement.predicateType}\`) over \`data.jsonl\` (SHA-256 \`${statement.predicate.synthetic_sha256}\`); ` +
        `\`attestation.intoto.json.asc\` is its detached OpenPGP signature by key ${fingerprint}${statement.predicate.demo_signed ? ' — the demo key, committed in this repository: a demo signature shows the statement is unchanged, not who made it' : ''}.`,
      '',
      'Check it: `npx evalset attest verify evalsets/synthetic/attestation.intoto.json`, or with GnuPG alone: `gpg --import evalsets/synthetic/signing-key.asc && gpg --verify evalsets/synthetic/attestation.intoto.json.asc evalsets/synthetic/attestation.intoto.json`.',
    );
  }
  return lines.join('\n') + '\n';
}
