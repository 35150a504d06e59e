/**
 * The attestation of a synthetic release: an in-toto Statement v1
 * (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md) whose subject is the
 * synthetic data and whose predicate says how it was made and what privacy it cost, signed with a
 * detached OpenPGP signature (lib/privacy/signing.ts), and the verifier that checks all of it against
 * the files, the privacy ledger and the budget.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InvalidInputError, type Issue } from '../errors.ts';
import { canonicalJson, sha256, sha256File } from '../io/hash.ts';
import type { FieldStrategy, Sensitivity } from './fields.ts';
import type { LedgerEntry, PrivacyBudget } from './ledger.ts';
import { composeRdp, mechanismRdp, releaseEpsilon, type MechanismSpec } from './rdp.ts';
import { verifyDetached } from './signing.ts';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://evalset.dev/attestations/synthetic-data/v1';

/** An in-toto ResourceDescriptor reduced to what a file needs: its name relative to the statement and its SHA-256. */
export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface PrivacyClaim {
  /** ε of this release at `delta`: rdpToEpsilon of the release's RDP curve. */
  epsilon: number;
  /** δ of this release (by default 1/n², n = source records). */
  delta: number;
  mechanisms: MechanismSpec[];
  /** ε of this release as the ledger records it. */
  epsilon_run: number;
  /** The RDP orders the curves are over: dp-accounting's DEFAULT_RDP_ORDERS (RDP_ORDERS). */
  rdp_orders: 'dp-accounting default';
  cumulative: {
    /** ε of every release in the ledger up to and including this one, composed. */
    epsilon_total: number;
    /** Releases in the ledger up to and including this one. */
    runs: number;
    /** SHA-256 of the ledger's text up to and including this release's line. */
    ledger_sha256_through_entry: string;
  };
}

export interface SyntheticDataPredicate {
  dataset: string;
  privacy: PrivacyClaim;
  fields: Record<string, { sensitivity: Sensitivity; strategy: FieldStrategy }>;
  backend: { name: string; version: string };
  /** SHA-256 of the source records, computed before synthesis. */
  source_sha256: string;
  config_sha256: string;
  /** SHA-256 of the synthetic data: the first subject's digest. */
  synthetic_sha256: string;
  /** ISO 8601. */
  timestamp: string;
  /** Signed with the generated demo key, which vouches for nothing about who made the release. */
  demo_signed: boolean;
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: SyntheticDataPredicate;
}

export interface StatementInput {
  /** The files attested, the synthetic data first; names relative to the statement's folder (e.g. `data.jsonl`). */
  subjects: { name: string; sha256: string }[];
  dataset: string;
  privacy: Omit<PrivacyClaim, 'rdp_orders'>;
  fields: SyntheticDataPredicate['fields'];
  backend: SyntheticDataPredicate['backend'];
  source_sha256: string;
  config_sha256: string;
  /** ISO 8601, given by the caller so that the same inputs give the same bytes. */
  timestamp: string;
  demo_signed: boolean;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** An ISO 8601 date-time with an explicit zone. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** The in-toto statement for a synthetic release. The synthetic data is the first subject; `synthetic_sha256` is its digest. */
export function buildStatement(input: StatementInput): Statement {
  const file = 'attestation statement';
  const issues: Issue[] = [];
  if (input.subjects.length === 0) issues.push({ file, field: 'subject', message: 'needs at least one subject: the synthetic data' });
  const names = new Set<string>();
  input.subjects.forEach(({ name, sha256: digest }, i) => {
    if (!name || name.startsWith('/') || name.split(/[\\/]/).includes('..'))
      issues.push({ file, field: `subject.${i}.name`, message: `must be a file name relative to the statement; found ${JSON.stringify(name)}` });
    if (names.has(name)) issues.push({ file, field: `subject.${i}.name`, message: `${name} is listed twice` });
    names.add(name);
    if (!SHA256_HEX.test(digest)) issues.push({ file, field: `subject.${i}.digest.sha256`, message: 'must be 64 lower-case hex digits' });
  });
  for (const field of ['source_sha256', 'config_sha256'] as const)
    if (!SHA256_HEX.test(input[field])) issues.push({ file, field: `predicate.${field}`, message: 'must be 64 lower-case hex digits' });
  if (!SHA256_HEX.test(input.privacy.cumulative.ledger_sha256_through_entry))
    issues.push({ file, field: 'predicate.privacy.cumulative.ledger_sha256_through_entry', message: 'must be 64 lower-case hex digits' });
  if (!ISO_DATE_TIME.test(input.timestamp) || Number.isNaN(Date.parse(input.timestamp)))
    issues.push({
      file,
      field: 'predicate.timestamp',
      message: `must be an ISO 8601 date-time with a time zone; found ${JSON.stringify(input.timestamp)}`,
    });
  if (issues.length) throw new InvalidInputError(issues);

  const { epsilon, delta, mechanisms, epsilon_run, cumulative } = input.privacy;
  return {
    _type: STATEMENT_TYPE,
    subject: input.subjects.map(({ name, sha256: digest }) => ({ name, digest: { sha256: digest } })),
    predicateType: PREDICATE_TYPE,
    predicate: {
      dataset: input.dataset,
      privacy: { epsilon, delta, mechanisms, epsilon_run, rdp_orders: 'dp-accounting default', cumulative },
      fields: input.fields,
      backend: input.backend,
      source_sha256: input.source_sha256,
      config_sha256: input.config_sha256,
      synthetic_sha256: input.subjects[0].sha256,
      timestamp: input.timestamp,
      demo_signed: input.demo_signed,
    },
  };
}

/** The statement's bytes as signed: RFC 8785 canonical JSON and a line break. */
export function serializeStatement(statement: Statement): string {
  return canonicalJson(statement) + '\n';
}

/**
 * SHA-256 of the ledger's text up to and including entry `index` (0-based). The ledger writes each
 * entry as one canonical JSON line (lib/privacy/ledger.ts, spendBudget), so the entries as read give
 * back the file's bytes; an edited value changes its line and so this digest.
 */
export function ledgerSha256Through(ledger: readonly LedgerEntry[], index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= ledger.length)
    throw new RangeError(`entry ${index} is not in a ledger of ${ledger.length} entries`);
  return sha256(
    ledger
      .slice(0, index + 1)
      .map((entry) => canonicalJson(entry) + '\n')
      .join(''),
  );
}

// --- verification -----------------------------------------------------------------------------------

export type CheckName = 'statement' | 'signature' | 'subject' | 'synthetic_sha256' | 'config' | 'ledger' | 'epsilon';

export interface AttestationCheck {
  check: CheckName;
  ok: boolean;
  /** What was found, in words: why it passed or what failed. */
  reason: string;
}

export interface AttestationVerification {
  /** Every check passed (the CLI exits 0, else 1). */
  ok: boolean;
  checks: AttestationCheck[];
}

export interface VerifyAttestationOptions {
  statementPath: string;
  signaturePath: string;
  publicKeyArmored: string;
  /** The file of each subject to hash, by subject name. */
  files: Record<string, string>;
  ledger: LedgerEntry[];
  budget: PrivacyBudget;
  /** SHA-256 of the configuration as it stands, recomputed by the caller; the config check is skipped without it. */
  configSha256?: string;
}

/**
 * Two floats computed by the same code from the same inputs are equal; a JSON round trip keeps every
 * double. The tolerance only absorbs the last bits of a platform's libm, far below any edit.
 */
function same(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
}

const shown = (x: number): string => String(Number(x.toPrecision(6)));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The statement's shape, enough for the checks to read it safely; the problems found, if any. */
function statementProblems(value: unknown): string[] {
  if (!isRecord(value)) return ['is not a JSON object'];
  const problems: string[] = [];
  if (value._type !== STATEMENT_TYPE) problems.push(`_type is ${JSON.stringify(value._type)}, not ${STATEMENT_TYPE}`);
  if (value.predicateType !== PREDICATE_TYPE) problems.push(`predicateType is ${JSON.stringify(value.predicateType)}, not ${PREDICATE_TYPE}`);
  const subjects = value.subject;
  if (!Array.isArray(subjects) || subjects.length === 0) problems.push('subject is not a non-empty list');
  else if (!subjects.every((s) => isRecord(s) && typeof s.name === 'string' && isRecord(s.digest) && typeof s.digest.sha256 === 'string'))
    problems.push('a subject lacks a name or a digest.sha256');
  const predicate = value.predicate;
  if (!isRecord(predicate)) return [...problems, 'predicate is not an object'];
  for (const key of ['source_sha256', 'config_sha256', 'synthetic_sha256', 'timestamp'])
    if (typeof predicate[key] !== 'string') problems.push(`predicate.${key} is not a string`);
  if (typeof predicate.demo_signed !== 'boolean') problems.push('predicate.demo_signed is not a boolean');
  const privacy = predicate.privacy;
  if (!isRecord(privacy)) return [...problems, 'predicate.privacy is not an object'];
  for (const key of ['epsilon', 'delta', 'epsilon_run'])
    if (typeof privacy[key] !== 'number') problems.push(`predicate.privacy.${key} is not a number`);
  if (!Array.isArray(privacy.mechanisms)) problems.push('predicate.privacy.mechanisms is not a list');
  const cumulative = privacy.cumulative;
  if (!isRecord(cumulative)) return [...problems, 'predicate.privacy.cumulative is not an object'];
  if (typeof cumulative.epsilon_total !== 'number') problems.push('predicate.privacy.cumulative.epsilon_total is not a number');
  if (typeof cumulative.runs !== 'number') problems.push('predicate.privacy.cumulative.runs is not a number');
  if (typeof cumulative.ledger_sha256_through_entry !== 'string')
    problems.push('predicate.privacy.cumulative.ledger_sha256_through_entry is not a string');
  return problems;
}

function readBytes(path: string): Uint8Array | string {
  if (!existsSync(path)) return `${path} does not exist`;
  try {
    return readFileSync(path);
  } catch (err) {
    return `${path} cannot be read: ${(err as Error).message}`;
  }
}

/** The subjects' files hashed against their digests. */
function checkSubjects(statement: Statement, files: Record<string, string>): AttestationCheck {
  const failures: string[] = [];
  const matched: string[] = [];
  const names = new Set(statement.subject.map((s) => s.name));
  for (const { name, digest } of statement.subject) {
    const path = files[name];
    if (path === undefined) failures.push(`${name}: no file given to check it against`);
    else if (!existsSync(path)) failures.push(`${name}: the file does not exist`);
    else {
      const actual = sha256File(path);
      if (actual === digest.sha256) matched.push(name);
      else failures.push(`${name}: its SHA-256 is ${actual}, the statement records ${digest.sha256} (the file changed after it was attested)`);
    }
  }
  for (const name of Object.keys(files)) if (!names.has(name)) failures.push(`${name}: not a subject of the statement`);
  return failures.length
    ? { check: 'subject', ok: false, reason: failures.join('; ') }
    : { check: 'subject', ok: true, reason: `${matched.join(', ')}: SHA-256 as recorded` };
}

/**
 * The recorded curves recomposed: every entry's curve from its mechanisms, its ε from its curve, and
 * each running total from the curves so far (a running sum: RDP composes by addition, Mironov 2017,
 * Prop. 1), at the δ each total is stated at: that of the entry that made it.
 */
function ledgerRecompositionProblems(ledger: readonly LedgerEntry[]): string[] {
  const problems: string[] = [];
  let sum: number[] | undefined;
  ledger.forEach((entry, i) => {
    const line = `ledger line ${i + 1} (${entry.run_id})`;
    try {
      const curve = composeRdp(entry.mechanisms.map((spec) => mechanismRdp(spec)));
      if (curve.length !== entry.rdp.length || curve.some((r, k) => !same(r, entry.rdp[k])))
        problems.push(`${line}: its rdp curve is not the composition of its mechanisms`);
      const run = releaseEpsilon(entry.rdp, entry.mechanisms, entry.delta).epsilon;
      if (!same(run, entry.epsilon_run)) problems.push(`${line}: epsilon_run is ${entry.epsilon_run}, but its rdp curve gives ${shown(run)}`);
      sum = sum ? composeRdp([sum, entry.rdp]) : [...entry.rdp];
      const total = releaseEpsilon(
        sum,
        ledger.slice(0, i + 1).flatMap((e) => e.mechanisms),
        entry.delta,
      ).epsilon;
      if (!same(total, entry.epsilon_total))
        problems.push(`${line}: epsilon_total is ${entry.epsilon_total}, but the curves up to it compose to ${shown(total)}`);
    } catch (err) {
      problems.push(`${line}: cannot be recomposed: ${(err as Error).message}`);
    }
  });
  return problems;
}

/**
 * Check an attestation: every check runs, whatever the others found, so that one edit shows
 * everywhere it matters (an edited ε fails both the signature and the ε check):
 * - statement: the statement is JSON of the expected in-toto type and predicate type;
 * - signature: a valid detached signature over the statement's bytes by the given public key;
 * - subject: each subject file's SHA-256 equals its recorded digest (and every file given is a subject);
 * - synthetic_sha256: the predicate's synthetic_sha256 is the first subject's digest;
 * - config: predicate.config_sha256 equals the configuration's SHA-256 as the caller recomputed it;
 * - ledger: the ledger holds this release (same config and source SHA-256) with the ε, δ and mechanisms
 *   the predicate states; its text through that entry hashes to ledger_sha256_through_entry; every
 *   entry's curve is its mechanisms' composition and every ε in it recomposes (rdpToEpsilon(composeRdp));
 * - epsilon: the predicate's ε is rdpToEpsilon of the release's recorded curve at its δ, its cumulative
 *   ε is the ledger's total through the release, and that total is within budget.epsilon.
 */
export async function verifyAttestation(options: VerifyAttestationOptions): Promise<AttestationVerification> {
  const { statementPath, signaturePath, publicKeyArmored, files, ledger, budget, configSha256 } = options;
  const checks: AttestationCheck[] = [];
  const add = (check: CheckName, ok: boolean, reason: string) => checks.push({ check, ok, reason });

  const bytes = readBytes(statementPath);
  let statement: Statement | undefined;
  if (typeof bytes === 'string') add('statement', false, bytes);
  else {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (err) {
      add('statement', false, `${statementPath} is not JSON: ${(err as Error).message}`);
    }
    if (value !== undefined) {
      const problems = statementProblems(value);
      if (problems.length) add('statement', false, `${statementPath}: ${problems.join('; ')}`);
      else {
        statement = value as Statement;
        add('statement', true, `an in-toto Statement v1 with predicate type ${PREDICATE_TYPE}`);
      }
    }
  }

  // signature
  const signature = readBytes(signaturePath);
  if (typeof bytes === 'string') add('signature', false, 'no statement to check the signature of');
  else if (typeof signature === 'string') add('signature', false, signature);
  else {
    const result = await verifyDetached(bytes, Buffer.from(signature).toString('utf8'), publicKeyArmored);
    if (!result.valid) add('signature', false, `not a valid signature of the statement by the given key: ${result.reason}`);
    else
      add(
        'signature',
        true,
        `valid signature by key ${result.fingerprint}` +
          (statement?.predicate.demo_signed ? ' (the demo key: it shows the statement is unchanged, not who made the release)' : ''),
      );
  }

  if (!statement) {
    for (const check of ['subject', 'synthetic_sha256', 'config', 'ledger', 'epsilon'] as const) add(check, false, 'the statement cannot be read');
    return { ok: false, checks };
  }
  const { predicate } = statement;
  const { privacy } = predicate;

  checks.push(checkSubjects(statement, files));

  // synthetic_sha256
  const synthetic = statement.subject[0];
  if (predicate.synthetic_sha256 === synthetic.digest.sha256)
    add('synthetic_sha256', true, `synthetic_sha256 is the digest of the subject ${synthetic.name}`);
  else
    add(
      'synthetic_sha256',
      false,
      `synthetic_sha256 is ${predicate.synthetic_sha256}, but the subject ${synthetic.name} records ${synthetic.digest.sha256}`,
    );

  // config
  if (configSha256 === undefined) add('config', true, 'skipped: no configuration SHA-256 given to compare with');
  else if (predicate.config_sha256 === configSha256) add('config', true, `config_sha256 ${configSha256} is the configuration's`);
  else
    add(
      'config',
      false,
      `the statement records config_sha256 ${predicate.config_sha256}, but the configuration now hashes to ${configSha256} (it changed since the release)`,
    );

  // ledger
  const index = ledger.findIndex((e) => e.config_sha256 === predicate.config_sha256 && e.source_sha256 === predicate.source_sha256);
  const entry = index === -1 ? undefined : ledger[index];
  const ledgerProblems: string[] = [];
  if (!entry) ledgerProblems.push(`no ledger entry has config_sha256 ${predicate.config_sha256} and source_sha256 ${predicate.source_sha256}`);
  else {
    const line = `ledger line ${index + 1} (${entry.run_id})`;
    if (!same(entry.epsilon_run, privacy.epsilon_run))
      ledgerProblems.push(`${line} records epsilon_run ${entry.epsilon_run}, the statement ${privacy.epsilon_run}`);
    if (!same(entry.delta, privacy.delta)) ledgerProblems.push(`${line} records delta ${entry.delta}, the statement ${privacy.delta}`);
    if (canonicalJson(entry.mechanisms) !== canonicalJson(privacy.mechanisms))
      ledgerProblems.push(`${line} records other mechanisms than the statement`);
    const through = ledgerSha256Through(ledger, index);
    if (through !== privacy.cumulative.ledger_sha256_through_entry)
      ledgerProblems.push(
        `the ledger through line ${index + 1} hashes to ${through}, the statement records ${privacy.cumulative.ledger_sha256_through_entry} (a line up to it was edited)`,
      );
  }
  ledgerProblems.push(...ledgerRecompositionProblems(ledger));
  if (ledgerProblems.length) add('ledger', false, ledgerProblems.join('; '));
  else
    add(
      'ledger',
      true,
      `ledger line ${index + 1} (${entry!.run_id}) records this release; the ledger through it hashes as recorded and its ${ledger.length} entries recompose`,
    );

  // epsilon
  const epsilonProblems: string[] = [];
  let epsilonSummary = '';
  if (!entry) epsilonProblems.push('no ledger entry records this release, so there is no RDP curve to check ε against');
  else
    try {
      const run = releaseEpsilon(entry.rdp, entry.mechanisms, privacy.delta);
      if (!same(run.epsilon, privacy.epsilon))
        epsilonProblems.push(
          `the statement claims ε = ${privacy.epsilon}, but the release's recorded RDP curve gives ε = ${shown(run.epsilon)} at δ = ${privacy.delta} (order ${run.order})`,
        );
      if (!same(run.epsilon, privacy.epsilon_run))
        epsilonProblems.push(`the statement's epsilon_run ${privacy.epsilon_run} is not ε = ${shown(run.epsilon)} of the release's RDP curve`);
      const totalDelta = entry.delta;
      const through = ledger.slice(0, index + 1);
      const total = releaseEpsilon(
        composeRdp(through.map((e) => e.rdp)),
        through.flatMap((e) => e.mechanisms),
        totalDelta,
      ).epsilon;
      if (!same(total, privacy.cumulative.epsilon_total))
        epsilonProblems.push(
          `the statement claims a cumulative ε = ${privacy.cumulative.epsilon_total}, but the ledger's curves through this release compose to ε = ${shown(total)}`,
        );
      if (privacy.cumulative.runs !== index + 1)
        epsilonProblems.push(`the statement counts ${privacy.cumulative.runs} releases, the ledger ${index + 1} through this one`);
      const cumulative = Math.max(total, privacy.cumulative.epsilon_total);
      if (!(cumulative <= budget.epsilon))
        epsilonProblems.push(`the cumulative ε = ${shown(cumulative)} is over the budget of ε = ${budget.epsilon}`);
      epsilonSummary = `ε = ${shown(run.epsilon)} at δ = ${privacy.delta} (order ${run.order}); cumulative ε = ${shown(total)} of a budget of ${budget.epsilon}`;
    } catch (err) {
      epsilonProblems.push(`ε cannot be recomputed: ${(err as Error).message}`);
    }
  if (epsilonProblems.length) add('epsilon', false, epsilonProblems.join('; '));
  else add('epsilon', true, epsilonSummary);

  return { ok: checks.every((c) => c.ok), checks };
}
