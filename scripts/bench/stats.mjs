// Percentiles by the nearest-rank method: p95 of 30 samples is the 29th smallest.
export function percentile(values, p) {
  const sorted = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function summary(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return {
    n: v.length,
    p50: percentile(v, 50),
    p95: percentile(v, 95),
    max: v.length ? Math.max(...v) : null,
    min: v.length ? Math.min(...v) : null,
  };
}

export const round = (x, digits = 0) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

/**
 * The difference of medians `b - a` with a 95 % bootstrap interval (resampling each arm with
 * replacement, `rounds` times; a fixed seed, so the same samples print the same interval).
 * An interval that holds 0 says the two arms are not told apart by these samples.
 */
export function medianDifference(a, b, rounds = 2_000) {
  const xa = a.filter((x) => typeof x === 'number' && Number.isFinite(x));
  const xb = b.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (!xa.length || !xb.length) return null;
  let seed = 0x2545f491;
  const random = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
  const resample = (xs) => xs.map(() => xs[Math.floor(random() * xs.length)]);
  const diffs = [];
  for (let i = 0; i < rounds; i++) diffs.push(percentile(resample(xb), 50) - percentile(resample(xa), 50));
  return { diff: percentile(xb, 50) - percentile(xa, 50), low: percentile(diffs, 2.5), high: percentile(diffs, 97.5) };
}
