/** The median of some timings. */
export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median, min and max of one timing over the runs, in seconds (rounded to 0.1 ms). */
export function spread(xs: readonly number[]) {
  const r = (x: number) => Number(x.toFixed(4));
  return { median_s: r(median(xs)), min_s: r(Math.min(...xs)), max_s: r(Math.max(...xs)) };
}
