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
