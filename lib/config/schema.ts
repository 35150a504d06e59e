import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Issue } from '../errors.ts';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

/** The JSON Schemas ship with the tool, beside the taxonomy they describe. */
export const schemaDir = fileURLToPath(new URL('../../taxonomy/schemas/', import.meta.url));

const ajv = new Ajv({ allErrors: true, useDefaults: false, strict: true, strictTypes: false, strictRequired: false });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

export function schemaValidator(name: string): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    validate = ajv.compile(JSON.parse(readFileSync(`${schemaDir}${name}.schema.json`, 'utf8')));
    compiled.set(name, validate);
  }
  return validate;
}

/** `/signals/failure_rate` → `signals.failure_rate`; a missing property, an unknown one or a refused key name names itself. */
export function errorField(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') path.push(String(error.params.additionalProperty));
  if (error.propertyName !== undefined) path.push(error.propertyName);
  return path.join('.');
}

function errorMessage(error: ErrorObject): string {
  const name = error.propertyName !== undefined ? 'is not an allowed name: ' : '';
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'enum') return `${name}must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  if (error.keyword === 'pattern' && error.params.pattern === '\\S') return 'must not be empty or only whitespace';
  if (error.keyword === 'minProperties' && error.params.limit === 1) return 'must not be empty';
  return `${name}${error.message ?? 'is invalid'}`;
}

/** The line of a field, or of its nearest ancestor present in the document (a missing field is reported where its parent is). */
export function nearestLine(path: readonly string[], exact: (path: string[]) => number | undefined): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const line = exact(path.slice(0, n));
    if (line !== undefined) return line;
  }
  return undefined;
}

/** Validate a value; every problem becomes an issue. `lineOf` maps a field path to its line where the format allows. */
export function validateAgainst(name: string, value: unknown, file: string, line?: number | ((fieldPath: string[]) => number | undefined)): Issue[] {
  const validate = schemaValidator(name);
  if (validate(value)) return [];
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const error of validate.errors ?? []) {
    if (error.keyword === 'if') continue; // the failing `then` branch already says what is wrong
    if (error.keyword === 'propertyNames') continue; // the error on the name itself says what is wrong
    const field = errorField(error);
    const message = errorMessage(error);
    const key = `${field}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const at = typeof line === 'function' ? line(field ? field.split('.') : []) : line;
    issues.push({ file, line: at, field, message });
  }
  return issues;
}
