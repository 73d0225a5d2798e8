/**
 * Statistical bands that do not lean on a normal tail: Chernoff's bound for the mean of K i.i.d. copies of a
 * statistic whose cumulant generating function Λ(t) = ln E e^{tS} is known exactly. For every t > 0,
 * P(mean − E S ≥ ε) ≤ exp(−K·(t(E S + ε) − Λ(t))), and likewise below with t < 0; the band is the smallest ε whose
 * bound (the best t, found by golden-section search: the exponent is concave in t) is at most `rate` on each side.
 * Used where the statistic is a sum of logs of Gamma variables (log-scale and log-det chains), whose Λ is a sum of
 * ln Γ terms.
 */

/** ln Γ(x) for x > 0: shifted to x ≥ 10 by ln Γ(x) = ln Γ(x + 1) − ln x, then Stirling's series (error < 1e-13). */
export function lnGamma(x: number): number {
  let shift = 0;
  while (x < 10) shift -= Math.log(x++);
  const z = 1 / (x * x);
  return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + (1 / x) * (1 / 12 - z * (1 / 360 - z * (1 / 1260 - z / 1680)));
}

/** ψ(x), the digamma function, for x > 0: recurrence to x ≥ 10, then its asymptotic series (error < 1e-12). */
export function digamma(x: number): number {
  let shift = 0;
  while (x < 10) shift -= 1 / x++;
  const z = 1 / (x * x);
  return shift + Math.log(x) - 0.5 / x - z * (1 / 12 - z * (1 / 120 - z * (1 / 252 - z / 240)));
}

/** max of a concave f on (lo, hi), by golden-section search. */
function maximise(f: (t: number) => number, lo: number, hi: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 200; i++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (f(a) < f(b)) lo = a;
    else hi = b;
  }
  return f((lo + hi) / 2);
}

/**
 * Half-widths below and above E S for the mean of `trials` copies of S, each side failing with probability at most
 * `rate`. `cgf` is Λ, finite on (tMin, tMax) with tMin < 0 < tMax.
 */
export function chernoffBand(mean: number, cgf: (t: number) => number, tMin: number, tMax: number, trials: number, rate: number): { below: number; above: number } {
  const need = Math.log(1 / rate) / trials;
  const width = (side: 1 | -1) => {
    const exponent = (eps: number) => (side === 1 ? maximise((t) => t * (mean + eps) - cgf(t), 0, tMax) : maximise((t) => t * (mean - eps) - cgf(t), tMin, 0));
    let lo = 0;
    let hi = 1;
    while (exponent(hi) < need) hi *= 2;
    for (let i = 0; i < 100; i++) {
      const eps = (lo + hi) / 2;
      if (exponent(eps) >= need) hi = eps;
      else lo = eps;
    }
    return hi;
  };
  return { below: width(-1), above: width(1) };
}

/**
 * S = Σ_j ln(G_j·scale) over independent G_j ~ Gamma(shapes[j], 1): E S = Σ_j [ψ(a_j) + ln scale] and
 * Λ(t) = Σ_j [ln Γ(a_j + t) − ln Γ(a_j) + t ln scale], t > −min a_j. Returns E S and the band of the mean of `trials`.
 */
export function logGammaSumBand(shapes: readonly number[], scale: number, trials: number, rate: number): { mean: number; below: number; above: number } {
  const mean = shapes.reduce((s, a) => s + digamma(a) + Math.log(scale), 0);
  const cgf = (t: number) => shapes.reduce((s, a) => s + lnGamma(a + t) - lnGamma(a) + t * Math.log(scale), 0);
  const smallest = Math.min(...shapes);
  return { mean, ...chernoffBand(mean, cgf, -smallest * (1 - 1e-9), 10 * smallest + 10, trials, rate) };
}
