import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import { epochSeconds, type InternalFieldSpec, type NumericType } from './fields.ts';

/**
 * Seeded noise for the internal fields.
 *
 * Differential privacy assumes the noise is unpredictable to whoever sees the release. These samplers
 * are seeded (pure-rand's xoroshiro128+) so that a release is reproducible; that makes the seed part of
 * the secret: anyone who knows it can subtract the noise. In a real release the seed must be secret
 * (the EVALSET_PRIVACY_SEED setting), never committed, and never the demo's.
 *
 * Out of scope: the floating-point attacks on textbook samplers (Mironov 2012, "On significance of the
 * least significant bits for differential privacy", CCS): a double-precision Laplace or Gaussian draw
 * leaves gaps that can reveal the unnoised value. These samplers are textbook samplers and do not
 * defend against that; the guarantee stated here is the one for ideal real-valued noise.
 */
export type NoiseRng = RandomGenerator;

/** The generator the noise is drawn from: xoroshiro128+, as lib/demo/rng.ts uses. */
export function noiseRng(seed: number): NoiseRng {
  return xoroshiro128plus(seed);
}

/** A uniform double in the open interval (0, 1): pure-rand's 53-bit uniformFloat64 (two draws of 26 and 27 bits), redrawn on 0. */
export function openUnit(rng: NoiseRng): number {
  for (;;) {
    const u = uniformFloat64(rng);
    if (u > 0) return u;
  }
}

/** A standard normal draw, N(0, 1): the Box–Muller transform (Box & Muller 1958), √(−2 ln u1)·cos(2π u2). */
export function gaussian(rng: NoiseRng): number {
  const u1 = openUnit(rng);
  const u2 = openUnit(rng);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A standard Laplace draw, Lap(0, 1) (density e^−|x|/2): the difference of two independent Exp(1) draws, −ln u1 + ln u2. */
export function laplace(rng: NoiseRng): number {
  return Math.log(openUnit(rng)) - Math.log(openUnit(rng));
}

/** Δ = hi − lo: how far one record's (clamped) value can move when the record is replaced. */
export const boundsWidth = (field: InternalFieldSpec): number => field.bounds[1] - field.bounds[0];

/** The noise scale of a field: Gaussian σ = z·Δ, Laplace b = Δ/ε0 (Dwork & Roth 2014, Thm 3.6 and App. A). */
export function noiseScale(field: InternalFieldSpec): number {
  return field.mechanism === 'gaussian' ? field.noise_multiplier * boundsWidth(field) : boundsWidth(field) / field.epsilon0;
}

/** A source value as the number noise is added to (epoch seconds for a timestamp), null when absent, or a message saying why it cannot be. */
export function numericValueOf(value: unknown, type: NumericType): { value: number | null } | { error: string } {
  if (value === null || value === undefined) return { value: null };
  if (type === 'timestamp') {
    const seconds = typeof value === 'string' ? epochSeconds(value) : undefined;
    return seconds === undefined
      ? { error: `must be an ISO 8601 timestamp with a zone (or null), got ${kindOf(value)} (the value is private, so not shown)` }
      : { value: seconds };
  }
  return typeof value === 'number' && Number.isFinite(value)
    ? { value }
    : { error: `must be a finite number (or null), got ${kindOf(value)} (the value is private, so not shown)` };
}

/** What kind of value it is, never the value: messages about a private source must not quote it. */
export const kindOf = (value: unknown): string =>
  Array.isArray(value)
    ? 'an array'
    : value === null
      ? 'null'
      : typeof value === 'string'
        ? 'a string'
        : typeof value === 'object'
          ? 'an object'
          : `a ${typeof value}`;

const clamp = (x: number, [lo, hi]: readonly [number, number]): number => Math.min(hi, Math.max(lo, x));

/** Whole epoch seconds as ISO 8601 in UTC with a `Z` and no milliseconds, e.g. 2026-03-04T05:06:07Z. */
export const isoSeconds = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * One internal value, privatised: clamp it to the bounds (so that replacing the record moves it by at
 * most Δ), add noise of scale `noiseScale(field)`, then post-process, which costs no privacy: clamp to
 * the bounds again, round an integer to the nearest integer, a number to 6 decimals (so that it prints
 * the same everywhere) and a timestamp to whole seconds, written as ISO 8601 with `Z`.
 *
 * A missing or null value stays null: whether a field is present is treated as public (it is not
 * noised, and not counted in the budget).
 */
export function perturbValue(value: unknown, field: InternalFieldSpec, rng: NoiseRng): number | string | null {
  const parsed = numericValueOf(value, field.type);
  if ('error' in parsed) throw new TypeError(parsed.error);
  if (parsed.value === null) return null;
  const noise = field.mechanism === 'gaussian' ? gaussian(rng) : laplace(rng);
  const released = clamp(clamp(parsed.value, field.bounds) + noiseScale(field) * noise, field.bounds);
  if (field.type === 'number') return Number(released.toFixed(6));
  // Whole integers or seconds, kept inside the bounds' whole part.
  const whole = clamp(Math.round(released), [Math.ceil(field.bounds[0]), Math.floor(field.bounds[1])]);
  return field.type === 'timestamp' ? isoSeconds(whole) : whole;
}
