/**
 * Applying a release plan's version: `evalset version plan --write` sets each dataset's declared
 * version in params.yaml to the one the bump rules require (plan.ts decides, this file does), so
 * neither a person nor a bot has to work the version out by hand.
 *
 * params.yaml is a file people edit and review: the edit changes the one version scalar and nothing
 * else — comments, key order, quoting, flow collections and long lines stay byte for byte. The yaml
 * package's Document API (`setIn` + `toString`) re-renders the whole file: even with `lineWidth: 0`
 * it pads or unpads every flow collection alike (params.yaml has `[0.55, 0.75]` beside
 * `{ samples: 1000 }`, so one `flowCollectionPadding` cannot keep both). The same package's CST
 * keeps the source tokens, and `CST.setScalarValue` rewrites one scalar in its own style; the
 * Document is used only to find that scalar.
 */
import { join } from 'node:path';
import semver from 'semver';
import { CST, Composer, LineCounter, Parser, isMap, isScalar, parseDocument, type Scalar } from 'yaml';
import { yamlLines } from '../config/params.ts';
import { InvalidInputError } from '../errors.ts';
import { writeAtomic } from '../io/atomic.ts';
import { readAt } from './snapshot.ts';
import type { ReleasePlan } from './plan.ts';

const PARAMS = 'params.yaml';

/** One version set in params.yaml: `datasets.NAME.version: from → to`. */
export interface VersionWrite {
  dataset: string;
  from: string;
  to: string;
}

/**
 * params.yaml's text with `datasets.<dataset>.version` set to `version`, every other byte as it was.
 * The scalar keeps its style (plain, single- or double-quoted) and any comment after it.
 * An absent dataset, an absent or non-scalar version, or a file that does not parse is an
 * InvalidInputError naming params.yaml, the line and the field; a `version` that is not a semantic
 * version is the caller's bug (RangeError), since it never comes from the file.
 */
export function setDeclaredVersion(paramsText: string, dataset: string, version: string): string {
  if (semver.valid(version) !== version) throw new RangeError(`not a semantic version: ${JSON.stringify(version)}`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(paramsText, { lineCounter });
  if (doc.errors.length) {
    throw new InvalidInputError(doc.errors.map((e) => ({ file: PARAMS, line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] })));
  }
  const lineOf = yamlLines(doc, lineCounter);
  const issue = (path: string[], message: string) => new InvalidInputError([{ file: PARAMS, line: lineOf(path), field: path.join('.'), message }]);

  const datasets = doc.get('datasets', true);
  const names = isMap(datasets) ? datasets.items.flatMap((pair) => (isScalar(pair.key) ? [String(pair.key.value)] : [])) : [];
  if (!names.includes(dataset)) {
    const named = names.length ? `it names ${names.map((n) => `\`${n}\``).join(', ')}` : 'it names none';
    throw issue(['datasets', dataset], `no dataset \`${dataset}\` in ${PARAMS}; ${named}`);
  }
  const versionPath = ['datasets', dataset, 'version'];
  if (!isMap(doc.getIn(['datasets', dataset], true))) throw issue(['datasets', dataset], 'must be a mapping with a `version`');
  const node = doc.getIn(versionPath, true);
  if (node === undefined) throw issue(versionPath, 'is required: add `version: <major>.<minor>.<patch>` to set it');
  if (!isScalar(node)) throw issue(versionPath, 'must be a version string such as 0.1.0');

  // The edit, on the source tokens of the same text (the checks above hold for them: same text, same parser).
  const tokens = [...new Parser().parse(paramsText)];
  const [source] = new Composer({ keepSourceTokens: true }).compose(tokens);
  CST.setScalarValue((source.getIn(versionPath, true) as Scalar).srcToken!, version);
  const text = tokens.map((token) => CST.stringify(token)).join('');
  // A semantic version read as plain YAML is always a string; this holds that claim to the bytes written.
  const written = parseDocument(text).getIn(versionPath);
  if (written !== version) throw new Error(`internal: ${versionPath.join('.')} reads back as ${JSON.stringify(written)}, not ${version}`);
  return text;
}

/**
 * The versions to write: each plan that refuses its declared version and names the one the rules
 * require (`expectedVersion`). Only that exact version passes the rules, so an over-bump is set back
 * down as an under-bump is set up. A first release has no required version (any version ≥ 0.1.0
 * passes, plan.ts), so a refused first version is left for a person to choose. In the plans' order.
 */
export function requiredVersionWrites(plans: readonly ReleasePlan[]): VersionWrite[] {
  return plans
    .filter((plan) => !plan.ok && plan.expectedVersion !== null && plan.expectedVersion !== plan.declaredVersion)
    .map((plan) => ({ dataset: plan.dataset, from: plan.declaredVersion, to: plan.expectedVersion! }));
}

/**
 * Set the required versions in the working tree's params.yaml, in one atomic write for all datasets;
 * write nothing at all (the file and its mtime untouched) when no plan needs a change. Returns the
 * versions written.
 */
export function writeRequiredVersions(root: string, plans: readonly ReleasePlan[]): VersionWrite[] {
  const writes = requiredVersionWrites(plans);
  if (!writes.length) return [];
  const before = readAt(root, { kind: 'worktree' }, PARAMS);
  if (before === null) throw new InvalidInputError([{ file: PARAMS, message: 'missing' }]);
  const after = writes.reduce((text, { dataset, to }) => setDeclaredVersion(text, dataset, to), before);
  writeAtomic(join(root, PARAMS), after);
  return writes;
}

/** `datasets.NAME.version: 0.1.0 → 0.2.0`, the line the CLI prints per write. */
export const describeWrite = ({ dataset, from, to }: VersionWrite): string => `datasets.${dataset}.version: ${from} → ${to}`;
