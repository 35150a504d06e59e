/**
 * Setting one value of params.yaml in place: the value's own text is replaced and every other byte
 * (comments, order, the style of other collections) stays as it was, for the same reason as
 * lib/versioning/writeVersion.ts. A block collection is written as a block at the node's indentation,
 * anything else in flow style on its line.
 */
import { isCollection, parseDocument, stringify } from 'yaml';
import { InvalidInputError } from '../errors.ts';

export function setParamsValue(text: string, path: readonly string[], value: unknown, file = 'params.yaml'): string {
  const doc = parseDocument(text);
  if (doc.errors.length)
    throw new InvalidInputError(doc.errors.map((e) => ({ file, line: e.linePos?.[0]?.line, message: e.message.split('\n')[0] })));
  const node = doc.getIn(path, true) as { range?: [number, number, number]; flow?: boolean } | undefined;
  if (!node?.range) throw new InvalidInputError([{ file, field: path.join('.'), message: 'is required here before it can be set' }]);
  const [start, valueEnd] = node.range;
  let end = valueEnd;
  while (end > start && /\s/.test(text[end - 1])) end--;
  const column = start - (text.lastIndexOf('\n', start - 1) + 1);
  const block = isCollection(node) && !node.flow && value !== null && typeof value === 'object';
  const rendered = block
    ? stringify(value, { lineWidth: 0 })
        .trimEnd()
        .split('\n')
        .join(`\n${' '.repeat(column)}`)
    : stringify(value, { lineWidth: 0, collectionStyle: 'flow' }).trimEnd();
  const out = text.slice(0, start) + rendered + text.slice(end);
  if (parseDocument(out).errors.length) throw new RangeError(`setting ${path.join('.')} would not give valid YAML`);
  return out;
}
