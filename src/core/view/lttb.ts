/**
 * Largest-Triangle-Three-Buckets decimation (Steinarsson 2013), adapted for live views:
 *
 * - Several y columns at once (RSS, PSS, USS, private dirty of one process share one time axis
 *   and one chart y axis): a point's score is the sum of its triangle areas over the columns, in
 *   raw units, so all columns keep the same sample indices and can be stacked.
 * - Stable while points are appended: buckets have a fixed power-of-two width (chosen from n),
 *   so appending samples only changes the choices of the last two buckets until the width
 *   doubles. That is what keeps live deltas small.
 * - Extremes are kept: the first and last points, and every column's global minimum and maximum,
 *   are always in the result (room for them is reserved, so the result never exceeds maxPoints).
 * - Incremental: given the state of the previous pass over a shorter prefix, only the buckets that
 *   could still change are recomputed (a live rebuild costs the new samples, not the whole run).
 */

/**
 * What LTTB needs to know about the points: their count, x, and y of column c (null = no value).
 * Accessors rather than arrays so callers can decimate their own records without copying them.
 */
export interface Points {
  n: number;
  columns: number;
  x(i: number): number;
  y(c: number, i: number): number | null | undefined;
}

/** Choices already made for a shorter prefix of the same points (see `stable`). */
export interface LttbState {
  width: number;
  /** Chosen index per bucket, for the buckets whose choice can no longer change. */
  stable: number[];
}

export interface LttbResult {
  indices: number[];
  state: LttbState | null;
}

/** Bucket width and count for n points in ≤ limit output points with `reserve` kept free. */
function layout(n: number, limit: number, reserve: number): { width: number; buckets: number } | null {
  const budget = limit - 2 - reserve;
  if (budget < 1) return null;
  const inner = n - 2;
  let width = 1;
  while (Math.ceil(inner / width) > budget) width *= 2;
  return { width, buckets: Math.ceil(inner / width) };
}

/** Room reserved for forced extremes (2 per column) when there is room to spare. */
export function extremesReserve(limit: number, columns: number): number {
  return limit - 2 - 2 * columns >= 1 ? 2 * columns : 0;
}

/**
 * The LTTB pass. `forced` indices (extremes) are merged in afterwards; `prior` lets a caller that
 * only appended points skip every bucket whose choice was already final.
 */
export function lttb(p: Points, maxPoints: number, forced: Iterable<number> = [], prior: LttbState | null = null): LttbResult {
  const n = p.n;
  const limit = Math.max(2, Math.floor(maxPoints));
  if (n <= limit) return { indices: Array.from({ length: n }, (_, i) => i), state: null };
  const reserve = extremesReserve(limit, p.columns);
  const lay = layout(n, limit, reserve);
  if (!lay) return { indices: [0, n - 1], state: null };
  const { width, buckets: bucketCount } = lay;
  const m = p.columns;
  const avgY = new Float64Array(m);
  const avgHas = new Uint8Array(m);
  const chosen: number[] = [];
  let a = 0;
  let startBucket = 0;
  if (prior && prior.width === width) {
    const reuse = Math.min(prior.stable.length, bucketCount);
    for (let b = 0; b < reuse; b++) chosen.push(prior.stable[b] as number);
    startBucket = reuse;
    if (reuse > 0) a = chosen[reuse - 1] as number;
  }
  for (let b = startBucket; b < bucketCount; b++) {
    const start = 1 + b * width;
    const end = Math.min(start + width, n - 1);
    // Average of the next bucket (or the last point).
    const last = b + 1 >= bucketCount;
    const from = last ? n - 1 : end;
    const to = last ? n : Math.min(end + width, n - 1);
    let avgX = 0;
    for (let i = from; i < to; i++) avgX += p.x(i);
    avgX /= to - from;
    for (let c = 0; c < m; c++) {
      let sum = 0;
      let cnt = 0;
      for (let i = from; i < to; i++) {
        const v = p.y(c, i);
        if (v !== null && v !== undefined) { sum += v; cnt++; }
      }
      avgHas[c] = cnt > 0 ? 1 : 0;
      avgY[c] = cnt > 0 ? sum / cnt : 0;
    }
    const ax = p.x(a);
    let best = start;
    let bestArea = -1;
    for (let i = start; i < end; i++) {
      const xi = p.x(i);
      let area = 0;
      for (let c = 0; c < m; c++) {
        if (!avgHas[c]) continue;
        const ay = p.y(c, a);
        const yi = p.y(c, i);
        if (ay === null || ay === undefined || yi === null || yi === undefined) continue;
        area += Math.abs((ax - avgX) * (yi - ay) - (ax - xi) * ((avgY[c] as number) - ay));
      }
      if (area > bestArea) { bestArea = area; best = i; }
    }
    chosen.push(best);
    a = best;
  }
  // A bucket's choice is final once it and the next bucket are full (appending cannot change them).
  const full = Math.floor((n - 2) / width);
  const state: LttbState = { width, stable: chosen.slice(0, Math.max(0, full - 1)) };

  const out = [0, ...chosen, n - 1];
  if (reserve === 0) return { indices: out, state };
  const have = new Set(out);
  let added = false;
  for (const f of forced) {
    if (f >= 0 && f < n && !have.has(f)) { out.push(f); have.add(f); added = true; }
  }
  if (added) out.sort((x, y) => x - y);
  return { indices: out, state };
}

/** Index of each column's minimum and maximum (first occurrence), as [min0, max0, min1, max1, …]; -1 if none. */
export function extremes(p: Points, from = 0, prior: readonly number[] | null = null): number[] {
  const out = prior ? prior.slice() : new Array<number>(2 * p.columns).fill(-1);
  for (let c = 0; c < p.columns; c++) {
    let lo = out[2 * c] as number;
    let hi = out[2 * c + 1] as number;
    let loV = lo >= 0 ? (p.y(c, lo) as number) : Infinity;
    let hiV = hi >= 0 ? (p.y(c, hi) as number) : -Infinity;
    for (let i = from; i < p.n; i++) {
      const v = p.y(c, i);
      if (v === null || v === undefined) continue;
      if (v < loV) { loV = v; lo = i; }
      if (v > hiV) { hiV = v; hi = i; }
    }
    out[2 * c] = lo;
    out[2 * c + 1] = hi;
  }
  return out;
}

/**
 * Indices (ascending) of the points to keep, for plain arrays: `x` ascending, nulls in a column
 * skipped. Keeps the first and last point and every column's global minimum and maximum.
 */
export function lttbIndices(
  x: ArrayLike<number>,
  columns: readonly ArrayLike<number | null>[],
  maxPoints: number,
): number[] {
  const p: Points = { n: x.length, columns: columns.length, x: (i) => x[i] as number, y: (c, i) => (columns[c] as ArrayLike<number | null>)[i] };
  const forced = x.length > maxPoints ? extremes(p) : [];
  return lttb(p, maxPoints, forced).indices;
}

/**
 * Merges adjacent fixed-width buckets of counts (bytes per bucket) until at most maxPoints remain.
 * Summing, unlike LTTB, preserves totals, which is what a bytes-per-bucket series must do.
 */
export function mergeBuckets(
  t: readonly number[],
  series: readonly (readonly number[])[],
  bucketMs: number,
  maxPoints: number,
): { t: number[]; series: number[][]; bucketMs: number } {
  const n = t.length;
  let factor = 1;
  while (Math.ceil(n / factor) > maxPoints) factor *= 2;
  if (factor === 1) return { t: t.slice(), series: series.map((s) => s.slice()), bucketMs };
  const outT: number[] = [];
  const out = series.map(() => [] as number[]);
  for (let i = 0; i < n; i += factor) {
    outT.push(t[i] as number);
    for (let s = 0; s < series.length; s++) {
      const src = series[s] as readonly number[];
      let sum = 0;
      for (let j = i; j < Math.min(i + factor, n); j++) sum += src[j] ?? 0;
      (out[s] as number[]).push(sum);
    }
  }
  return { t: outT, series: out, bucketMs: bucketMs * factor };
}
