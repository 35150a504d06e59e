import jsonc from 'jsonc-parser';
import { nearestLine } from './schema.ts';

const lineAt = (text: string, offset: number) => {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
};

/**
 * Line numbers for a JSON document, so a problem in a config file can name its line as well as its
 * field. JSON.parse keeps no positions; jsonc-parser's syntax tree does.
 */
export function jsonWithLines(text: string): {
  value?: unknown;
  syntaxError?: { line: number; message: string };
  lineOf: (path: string[]) => number | undefined;
} {
  const errors: jsonc.ParseError[] = [];
  const tree = jsonc.parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  if (errors.length || !tree) {
    const first = errors[0];
    return {
      syntaxError: {
        line: first ? lineAt(text, first.offset) : 1,
        message: `malformed JSON (${first ? jsonc.printParseErrorCode(first.error) : 'empty document'})`,
      },
      lineOf: () => undefined,
    };
  }
  const lineOf = (path: string[]) =>
    nearestLine(path, (at) => {
      const node = jsonc.findNodeAtLocation(
        tree,
        at.map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
      );
      return node ? lineAt(text, node.offset) : undefined;
    });
  return { value: jsonc.getNodeValue(tree), lineOf };
}
