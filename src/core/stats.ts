/**
 * Monte Carlo summaries and the statistical bands every test and verdict uses (C6).
 * A check passes when |z| < zStar(K): with K checks in a family, each two-sided check then has false-failure
 * probability familyRate / K, so the whole family fails by chance with probability below familyRate (Bonferroni).
 */

/** Running sum and sum of squares in float64; `n` observations. Cheap to merge across chunks. */
export class Moments {
  n = 0;
  sum = 0;
  sumSq = 0;
  /** Adds one observation. */
  add(x: number): void {
    this.n += 1;
    this.sum += x;
    this.sumSq += x * x;
  }
  /** Adds every observation of `other` (chunks combine exactly: float64 sums). */
  merge(other: Moments): void {
    this.n += other.n;
    this.sum += other.sum;
    this.sumSq += other.sumSq;
  }
  get mean(): number {
    return this.sum / this.n;
  }
  /** Unbiased sample variance. */
  get variance(): number {
    if (this.n < 2) return NaN;
    const m = this.mean;
    return Math.max(0, (this.sumSq - this.n * m * m) / (this.n - 1));
  }
  /** Standard error of the mean. */
  get stderr(): number {
    return Math.sqrt(this.variance / this.n);
  }
}

/**
 * The largest magnitude a number read back from a checkpoint may have where no tighter range is known: no statistic
 * or plotted value of collapse-lab comes near it, and it keeps squares and products of stored values finite, so an
 * edited and re-sealed value of 5e303 is refused instead of turning into z = Infinity.
 */
export const STORED_MAGNITUDE = 1e100;

/** A number read back from a checkpoint: finite and within {@link STORED_MAGNITUDE}. */
export const plausibleNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= STORED_MAGNITUDE;

/**
 * Whether stored moments {n, sum, sumSq} could come from n real observations (`nonNegative`: of a quantity ≥ 0):
 * finite sums, and sum² ≤ n·sumSq (a variance ≥ 0), all without overflow. A checkpoint is sealed with a checksum,
 * not a signature, so an edited and re-sealed one must not turn into a mean of 5e303 with z = Infinity.
 */
export function plausibleMoments(x: unknown, n: number, nonNegative = false): boolean {
  if (typeof x !== 'object' || x === null) return false;
  const { n: count, sum, sumSq } = x as Record<string, unknown>;
  if (count !== n || typeof sum !== 'number' || typeof sumSq !== 'number') return false;
  if (!Number.isFinite(sum) || !Number.isFinite(sumSq) || sumSq < 0 || (nonNegative && sum < 0)) return false;
  const square = sum * sum;
  const bound = n * sumSq;
  return Number.isFinite(square) && Number.isFinite(bound) && square <= bound * (1 + 1e-9) + Number.MIN_VALUE;
}

/**
 * Φ⁻¹(p), the standard normal quantile: Acklam's rational approximation (relative error 1.15e-9) polished by one
 * Halley step on erfc, which brings it to ~1e-15 relative; the upper half by symmetry, Φ⁻¹(p) = −Φ⁻¹(1 − p).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  // the upper half by symmetry: 1 − p is exact there, and the polish below needs p away from 1 to gain digits
  if (p > 0.5) return -normalQuantile(1 - p);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Complementary error function, W. J. Cody's rational Chebyshev fit (relative error < 1.2e-16 over the reals). */
export function erfc(x: number): number {
  // Numerical Recipes' erfcc is only 1.2e-7; Cody's coefficients are needed for the Halley polish above.
  const ax = Math.abs(x);
  let r: number;
  if (ax < 0.5) {
    const t = x * x;
    const top = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const bot = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return 1 - (x * top) / bot;
  } else if (ax < 4) {
    const top = (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.95222124176909) * ax + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725;
    const bot = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax + 3439.36767414372164) * ax + 1230.33935480374942;
    r = (Math.exp(-ax * ax) * top) / bot;
  } else {
    const z = 1 / (ax * ax);
    const top = ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z + 0.0160837851487422766) * z + 6.58749161529837803e-4;
    const bot = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z + 2.33520497626869185e-3;
    r = (Math.exp(-ax * ax) / ax) * (1 / Math.sqrt(Math.PI) - (z * top) / bot);
  }
  return x < 0 ? 2 - r : r;
}

/** Two-sided normal tail probability P(|Z| > |z|). */
export function twoSidedP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2);
}

/** The family false-failure rate every statistical check in collapse-lab is sized to. */
export const FAMILY_FALSE_FAILURE = 1e-6;

/** The |z| bound for K two-sided checks whose family false-failure probability is at most `familyRate`. */
export function zStar(checks: number, familyRate = FAMILY_FALSE_FAILURE): number {
  return normalQuantile(1 - familyRate / (2 * checks));
}

/** 97.5% normal quantile, for 95% confidence intervals. */
export const Z95 = 1.959963984540054;

/**
 * t_{0.975, ν}, the two-sided 95% Student-t quantile: exact to 6 decimals for ν ≤ 30 (the standard table); beyond,
 * the Cornish–Fisher expansion in 1/ν, whose error at ν = 31 is below 1e-5 (test/experiments/neural-seeds.test.ts checks
 * both against a numerical integration of the t density).
 */
const T975 = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369,
  2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529,
  2.051831, 2.048407, 2.04523, 2.042272,
];

export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`t quantile needs an integer df ≥ 1; got ${df}`);
  if (df <= T975.length) return T975[df - 1];
  const z = Z95;
  const [z3, z5, z7] = [z ** 3, z ** 5, z ** 7];
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/** K values summarised (K seeds of `collapse neural --seeds K`, or the cells of a sweep's cell group). */
export interface SeedSummary {
  mean: number;
  /** s/√K (null for K = 1) */
  stderr: number | null;
  /** mean ± t_{0.975, K−1}·stderr (null for K = 1) */
  ci95: [number, number] | null;
}

/**
 * The mean of K values, its standard error s/√K and the 95% Student-t interval mean ± t_{0.975, K−1}·s/√K (exact
 * for normal values, an approximation otherwise); one value has no interval. The one implementation of the seed
 * bands: src/experiments/neural-seeds.ts and src/sweep/groups.ts both call it.
 */
export function summarise(values: readonly number[]): SeedSummary {
  const k = values.length;
  if (k === 0) throw new Error('a summary of no values');
  const mean = values.reduce((a, b) => a + b, 0) / k;
  if (k === 1) return { mean, stderr: null, ci95: null };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (k - 1);
  const stderr = Math.sqrt(variance / k);
  const half = tQuantile975(k - 1) * stderr;
  return { mean, stderr, ci95: [mean - half, mean + half] };
}
