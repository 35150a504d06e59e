import { InvalidInputError } from '../errors.ts';
import { byCodePoint } from '../io/order.ts';
import type { Label, UnitAnnotations } from './annotations.ts';
import { labelKey } from './exampleAgreement.ts';
import type { Level, ReliabilityData } from './krippendorffAlpha.ts';

/** The label types params accept: Krippendorff's four levels, and binary (nominal with two values). */
export type LabelType = Level | 'binary';
export const LABEL_TYPES: readonly LabelType[] = ['binary', 'nominal', 'ordinal', 'interval', 'ratio'];
export const levelOf = (type: LabelType): Level => (type === 'binary' ? 'nominal' : type);

/**
 * The distinct labels in their order for the level: given (`order`, for ordinal labels that are
 * words), numeric ascending, false before true, or, for nominal data where order means nothing, by
 * their JSON text. Interval and ratio need numbers; ordinal words need an order: either is an input
 * error naming where to fix it, never a guess.
 */
export function labelScale(labels: Iterable<Label>, type: LabelType, order?: readonly Label[], where = 'params.yaml'): Label[] {
  const distinct = new Map<string, Label>();
  for (const label of labels) distinct.set(labelKey(label), label);
  const values = [...distinct.values()];
  if (order?.length) {
    const known = new Set(order.map(labelKey));
    const missing = values.filter((v) => !known.has(labelKey(v)));
    if (missing.length)
      throw new InvalidInputError([
        {
          file: where,
          field: 'values',
          message: `does not list the label${missing.length === 1 ? '' : 's'} ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
        },
      ]);
    return [...order];
  }
  const level = levelOf(type);
  if (level === 'nominal') return values.sort((a, b) => byCodePoint(labelKey(a), labelKey(b)));
  if (values.every((v) => typeof v === 'number')) return (values as number[]).sort((a, b) => a - b);
  if (level === 'ordinal' && values.every((v) => typeof v === 'boolean')) return values.sort((a, b) => Number(a) - Number(b));
  const words = values.filter((v) => typeof v !== 'number').slice(0, 3);
  throw new InvalidInputError([
    {
      file: where,
      field: 'level',
      message:
        level === 'ordinal'
          ? `ordinal labels that are not numbers (${words.map((w) => JSON.stringify(w)).join(', ')}) need their order: list them in \`values\``
          : `${level} labels must be numbers; found ${words.map((w) => JSON.stringify(w)).join(', ')}`,
    },
  ]);
}

/** Units as value indexes into the scale, for the alpha of lib/annotation/krippendorffAlpha.ts: views of one array. */
export function reliabilityData(units: readonly Pick<UnitAnnotations, 'labels'>[], scale: readonly Label[]): ReliabilityData {
  const index = new Map(scale.map((v, i) => [labelKey(v), i]));
  let total = 0;
  for (const unit of units) total += unit.labels.size;
  const all = new Int32Array(total);
  const out: Int32Array[] = new Array(units.length);
  let at = 0;
  units.forEach((unit, u) => {
    const start = at;
    for (const label of unit.labels.values()) all[at++] = index.get(labelKey(label))!;
    out[u] = all.subarray(start, at);
  });
  return { values: scale as (string | number)[], units: out };
}
