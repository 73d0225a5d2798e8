/**
 * Closed forms for the categorical (token) family (`collapse categorical`), derived in proofs/categorical.md.
 *
 * Setting: a real distribution π over K outcomes; every data set is m i.i.d. draws from its source (π, or a fitted
 * model); model n is the weighted empirical frequency of its pool, p_n = Σ_s a_{n,s} f_s (f_s = counts of set s / m),
 * as the generation loop fits it (src/loop/generation-loop.ts). Under replace this is neutral Wright–Fisher
 * resampling.
 */
import { fraction, type Fraction } from '../core/fraction.js';
import { fractionToNumber } from '../core/fraction.js';
import { dataPlan, type PoolStrategy } from '../strategies/strategy.js';

/** The arithmetic the recursions need, so one implementation runs on exact rationals (tests) and on float64 (runs). */
export interface Arithmetic<T> {
  readonly zero: T;
  readonly one: T;
  /** a + b */
  add(a: T, b: T): T;
  /** a − b */
  sub(a: T, b: T): T;
  /** a · b */
  mul(a: T, b: T): T;
  /** a / b */
  div(a: T, b: T): T;
  /** a rational as this arithmetic's number */
  of(x: Fraction): T;
}

/** Exact arithmetic on rationals (fraction.js): the theory as proved, for tests and the `collapse theory` command. */
export const RATIONAL: Arithmetic<Fraction> = {
  zero: fraction(0),
  one: fraction(1),
  add: (a, b) => a.add(b),
  sub: (a, b) => a.sub(b),
  mul: (a, b) => a.mul(b),
  div: (a, b) => a.div(b),
  of: (x) => x,
};

/** float64 arithmetic: the same recursions, fast enough to run at every generation of a Monte Carlo. */
export const FLOAT: Arithmetic<number> = {
  zero: 0,
  one: 1,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  of: fractionToNumber,
};

/**
 * E Σ_i p_{n,i}² (the collision probability) for n = 1 … N under any weighted strategy, from S₀ = Σ π_i² and m.
 * Second moments G(x, y) = E⟨x, y⟩ of every model and data set close under the loop: a set f drawn from model r has
 * G(f, y) = G(p_r, y) for everything y drawn before it or beside it, and G(f, f) = (1 − 1/m) G(p_r, p_r) + 1/m;
 * a model is linear in its sets. Replace gives 1 − (1 − 1/m)ⁿ(1 − S₀) (K1). Null for subsampled fits.
 * @source Seddik et al. 2024, arXiv:2404.05090 (replace: the collision probability rises to 1); the general weighted recursion derived here
 * @proof proofs/categorical.md#K2
 * @example collisionProbabilities(replace, fraction(1, 2), 2, 1, RATIONAL)?.map(String) // returns ['0.75']
 */
export function collisionProbabilities<T>(strategy: PoolStrategy, s0: T, m: number, iterations: number, F: Arithmetic<T>): T[] | null {
  if (strategy.fit === 'subsample') return null;
  const { sources, added } = dataPlan(strategy, iterations);
  const share = F.of(fraction(1, m));
  const keep = F.sub(F.one, share);
  // G[i][j], j ≤ i, over objects in creation order: 0 = π (model 0), then each step's sets, then its model
  const G: T[][] = [[s0]];
  const get = (i: number, j: number) => (i >= j ? G[i][j] : G[j][i]);
  const modelAt: number[] = [0];
  const setAt: number[] = [];
  const out: T[] = [];
  for (let n = 1; n <= iterations; n++) {
    for (const s of added[n - 1]) {
      const parent = modelAt[sources[s - 1]];
      const i = G.length;
      const row: T[] = [];
      for (let j = 0; j < i; j++) row.push(get(parent, j));
      row.push(F.add(F.mul(keep, get(parent, parent)), share));
      G.push(row);
      setAt[s - 1] = i;
    }
    const weights = strategy.poolWeights(n);
    const i = G.length;
    const row: T[] = new Array<T>(i + 1).fill(F.zero);
    weights.forEach((w, s) => {
      if (Number(w.n) === 0) return;
      const a = F.of(w);
      for (let j = 0; j < i; j++) row[j] = F.add(row[j], F.mul(a, get(setAt[s], j)));
    });
    let self = F.zero;
    weights.forEach((w, s) => {
      if (Number(w.n) !== 0) self = F.add(self, F.mul(F.of(w), row[setAt[s]]));
    });
    row[i] = self;
    G.push(row);
    modelAt[n] = i;
    out.push(self);
  }
  return out;
}

/**
 * Replace: S_n = 1 − (1 − 1/m)ⁿ (1 − S₀).
 * @source Seddik et al. 2024, "How bad is training on synthetic data?", arXiv:2404.05090
 * @proof proofs/categorical.md#K1
 * @example replaceCollision(fraction(1, 2), 2, 2).toFraction() // returns '7/8'
 */
export function replaceCollision(s0: Fraction, m: number, n: number): Fraction {
  return fraction(1).sub(fraction(m - 1, m).pow(n).mul(fraction(1).sub(s0)));
}

/**
 * augment:r with q = r/(1 + r): D_n = E‖p_n − p_1‖² = D_∞(1 − ρ^{n−1}), ρ = q²(1 − 1/m), D_∞ = q²(1 − S₁)/(m(1 − ρ)),
 * S₁ = E‖p_1‖² = S₀ + (1 − S₀)/m: the chain stays within a fixed distance of the real estimate p_1 it mixes in.
 * @source derived here (proofs/categorical.md#K3); the mixing setting of Bertrand et al. 2023, arXiv:2310.00429, and Seddik et al. 2024, arXiv:2404.05090
 * @proof proofs/categorical.md#K3
 */
export function augmentDistanceToFirst(s0: Fraction, m: number, r: Fraction, n: number): Fraction {
  const q = r.div(fraction(1).add(r));
  const rho = q.mul(q).mul(fraction(m - 1, m));
  const s1 = s0.add(fraction(1).sub(s0).div(m));
  const limit = q.mul(q).mul(fraction(1).sub(s1)).div(fraction(1).sub(rho).mul(m));
  return limit.mul(fraction(1).sub(rho.pow(n - 1)));
}

/** log of the Binomial(m, p) pmf at 0 … m, in a reused array (log space: no underflow at large m). */
function binomialPmf(m: number, p: number, out: Float64Array): Float64Array {
  if (p <= 0 || p >= 1) {
    out.fill(0);
    out[p <= 0 ? 0 : m] = 1;
    return out;
  }
  let log = m * Math.log1p(-p);
  const odds = Math.log(p) - Math.log1p(-p);
  out[0] = Math.exp(log);
  for (let x = 0; x < m; x++) {
    log += Math.log((m - x) / (x + 1)) + odds;
    out[x + 1] = Math.exp(log);
  }
  return out;
}

/** Budget of float operations the exact survival sums may cost, else they are not computed (theory null). */
export const SURVIVAL_BUDGET = 2e8;

/**
 * Single-set chains (replace, window:1, fresh:0): an outcome's count along the chain is a Galton–Watson-like Markov
 * chain X_1 ~ Bin(m, π_i), X_{j+1} ~ Bin(m, X_j/m), and p_{n,i} = 0 iff X_k = 0 at the chain's depth k. Returns, per
 * depth k in `depths` (null entries skipped), E #{i: p_i > 0} = Σ_i (1 − P(X_k = 0)) and the real mass lost
 * Σ_i π_i P(X_k = 0); null when the sums would cost more than SURVIVAL_BUDGET operations.
 * @source Wright–Fisher absorption (Ewens, Mathematical Population Genetics, 2004, §3.1); Shumailov et al. 2024, Nature 631:755 (tails vanish first); computed exactly here
 * @proof proofs/categorical.md#K4
 */
export function singleSetSurvival(
  probabilities: Float64Array,
  m: number,
  depths: readonly (number | null)[],
): { surviving: (number | null)[]; tailMassLost: (number | null)[] } | null {
  const wanted = [...new Set(depths.filter((k): k is number => k !== null))];
  const deepest = Math.max(0, ...wanted);
  const K = probabilities.length;
  if (K * (m + 1) * wanted.length + Math.max(0, deepest - 1) * (m + 1) ** 2 > SURVIVAL_BUDGET) return null;
  // h[k − 1][x] = P(absorbed at 0 within k − 1 more steps | count x); transition rows recomputed, never stored
  // (an (m + 1)² matrix would cost gigabytes at large m)
  const h: Float64Array[] = [new Float64Array(m + 1)];
  h[0][0] = 1;
  const row = new Float64Array(m + 1);
  for (let k = 1; k < deepest; k++) {
    const previous = h[k - 1];
    const next = new Float64Array(m + 1);
    for (let x = 0; x <= m; x++) {
      binomialPmf(m, x / m, row);
      let sum = 0;
      for (let y = 0; y <= m; y++) sum += row[y] * previous[y];
      next[x] = sum;
    }
    h.push(next);
  }
  const surviving = new Map<number, number>();
  const lost = new Map<number, number>();
  for (const k of wanted) {
    surviving.set(k, 0);
    lost.set(k, 0);
  }
  const pmf = new Float64Array(m + 1);
  for (let i = 0; i < K; i++) {
    binomialPmf(m, probabilities[i], pmf);
    for (const k of wanted) {
      const absorbed = h[k - 1];
      let p0 = 0;
      for (let x = 0; x <= m; x++) p0 += pmf[x] * absorbed[x];
      surviving.set(k, (surviving.get(k) as number) + (1 - p0));
      lost.set(k, (lost.get(k) as number) + probabilities[i] * p0);
    }
  }
  return {
    surviving: depths.map((k) => (k === null ? null : (surviving.get(k) as number))),
    tailMassLost: depths.map((k) => (k === null ? null : (lost.get(k) as number))),
  };
}

/**
 * True when every pool weights data set 1 (the first real sample) and no other set is real: accumulate, augment:r,
 * weights: with a(n, 1) > 0. Then every model has exactly the support of set 1 (K5).
 * @source derived here (proofs/categorical.md#K5): synthetic data cannot create an outcome its source lacks
 * @proof proofs/categorical.md#K5
 */
export function anchoredToFirstSet(strategy: PoolStrategy, iterations: number): boolean {
  if (strategy.fit === 'subsample') return false;
  const { sources } = dataPlan(strategy, iterations);
  if (sources.some((source, s) => (source === 0) !== (s === 0))) return false;
  for (let n = 1; n <= iterations; n++) if (Number(strategy.poolWeights(n)[0].n) === 0) return false;
  return true;
}

/**
 * Strategies anchored to the first real set (anchoredToFirstSet): E #{i: p_{n,i} > 0} = Σ_i (1 − (1 − π_i)^m) and
 * the real mass lost Σ_i π_i (1 − π_i)^m, the same for every n.
 * @source derived here (proofs/categorical.md#K5); the support argument of Shumailov et al. 2024, Nature 631:755 (tails lost to sampling are never regained)
 * @proof proofs/categorical.md#K5
 * @example anchoredSurvival(Float64Array.of(0.5, 0.5), 1) // returns { surviving: 1, tailMassLost: 0.5 }
 */
export function anchoredSurvival(probabilities: Float64Array, m: number): { surviving: number; tailMassLost: number } {
  let surviving = 0;
  let tailMassLost = 0;
  for (const p of probabilities) {
    const missed = Math.exp(m * Math.log1p(-p)); // (1 − p)^m
    surviving += 1 - missed;
    tailMassLost += p * missed;
  }
  return { surviving, tailMassLost };
}

/**
 * An APPROXIMATION, printed as one: under replace, the expected number of generations until a single outcome is left,
 * by the diffusion approximation of Wright–Fisher resampling with m items, ≈ −2m Σ_i (1 − π_i) ln(1 − π_i); from
 * uniform over K it is 2m(K − 1) ln(K/(K − 1)). Not derived exactly here (the discrete chain's time differs by O(1)).
 * @source Kimura & Ohta 1969, Genetics 61:763 (two alleles, −2N[p ln p + (1 − p) ln(1 − p)] for N haploid genes); Littler 1975, Adv. Appl. Prob. 7:503 (K alleles)
 * @proof proofs/categorical.md#K6
 * @example fixationTimeApproximation(Float64Array.of(0.5, 0.5), 10) // returns 13.862943611198906
 */
export function fixationTimeApproximation(probabilities: Float64Array, m: number): number {
  let sum = 0;
  for (const p of probabilities) if (p < 1) sum += (1 - p) * Math.log1p(-p);
  return -2 * m * sum;
}
