/**
 * Monte Carlo checks of proofs/linear-fixed-design.md#P4, #P5 (the tridiagonal Wishart model) and #P6 (the design-conditional residual)
 * on the host-side design draws of src/models/linear/design.ts, plus exact per-trial identities of the reduced design
 * and, for T ≤ d, the full design's (XᵀX)⁺ (the minimum-norm refit) against the Moore–Penrose conditions.
 *
 * Sizing: K events share FAMILY_FALSE_FAILURE = 1e-6 (Bonferroni). The means of tr((XᵀX)⁻¹) (skewed: at d = 3,
 * T = 20 its tail is polynomial), of tr W and of the P6 residuals are judged by finite-sample bands (proofs P12), proven
 * whatever the skew; tr W² and the extreme eigenvalues by |z| < zStar(K), a normal approximation for light-tailed
 * statistics. All variances involved are finite because T = 20 > d + 3 (P4). The seed is fixed, so the outcome is
 * deterministic.
 */
import { test } from 'node:test';
import { EigenvalueDecomposition, Matrix, pseudoInverse } from 'ml-matrix';
import assert from 'node:assert/strict';
import { foldIn, normalStream, rootKey } from '../../../src/core/rng.js';
import { STREAM } from '../../../src/core/streams.js';
import { hostTrialNormals } from '../../../src/kernels/linear.js';
import { Moments, zStar } from '../../../src/core/stats.js';
import { chiSquareSumBand, traceMeanBand, type Band } from '../../../src/verify/bounds.js';
import { drawReducedDesign, fullDesignFromNormals, type FullDesign, type ReducedDesign } from '../../../src/models/linear/design.js';
import { accumulate } from '../../../src/strategies/accumulate.js';
import { replace } from '../../../src/strategies/replace.js';
import { sourceOf, type PoolStrategy } from '../../../src/strategies/strategy.js';
import { noiseFactorsNumeric } from '../../../src/theory/pool-weights.js';

const d = 3;
const T = 20;
const TRIALS = 20_000;
const SEED = 20240401;
const MEAN_TRACE = d / (T - d - 1); // P4: 3/16

/**
 * The statistical events below, counted by hand: 2 trace means (finite-sample bands, P12), tr W (its exact χ² law,
 * Laurent–Massart), tr W² and the 2 extreme eigenvalues (z, normal approximation — light-tailed here: tr W² is a
 * degree-4 Gaussian polynomial and 0 < λ ≤ tr W — but not proven), 6 P6 residuals (Laurent–Massart given the designs).
 * The full-vs-reduced trace comparison and the E‖e_3‖² checks follow from those bands and cost no events.
 * Each event has probability ≤ 1e-6/K of failing a correct implementation (the normal ones by approximation).
 */
const K = 12;
const Z = zStar(K);
const DELTA = 1e-6 / K;
let checksMade = 0;

/** One band check: expected − below < value < expected + above. `event` false: implied by counted events. */
function bandCheck(label: string, value: number, expected: number, band: Band, event = true): void {
  if (event) checksMade += 1;
  assert.ok(value > expected - band.below && value < expected + band.above, `${label}: ${value} vs ${expected}, band (−${band.below}, +${band.above})`);
}
const traceBand = () => traceMeanBand(d, T, TRIALS, DELTA);

/** One two-sided check of the family: |mean − expected| / stderr < zStar(K). */
function zCheck(label: string, moments: Moments, expected: number): void {
  checksMade += 1;
  const z = (moments.mean - expected) / moments.stderr;
  assert.ok(Number.isFinite(z) && Math.abs(z) < Z, `${label}: mean ${moments.mean} vs ${expected}, z = ${z}, |z| must be < zStar(${K}) = ${Z.toFixed(3)}`);
}

function moments(values: ArrayLike<number>): Moments {
  const m = new Moments();
  for (let i = 0; i < values.length; i++) m.add(values[i]);
  return m;
}

const root = rootKey(SEED);
let fullCache: FullDesign | undefined;
let reducedCache: ReducedDesign | undefined;
// the cpu backend's design: keyed host draws per trial (the same design code the Monte Carlo runs on every backend)
const full = (): FullDesign => (fullCache ??= fullDesignFromNormals(hostTrialNormals(T * d + d, TRIALS, foldIn(root, STREAM.design), 0), 0, TRIALS, T, d));
const reduced = (): ReducedDesign => (reducedCache ??= drawReducedDesign(foldIn(root, STREAM.wishart), 0, TRIALS, T, d));

/** The eigenvalues λ_j of XᵀX of trial `tr`, from the layout noiseScale[j·B + trial] = λ_j^{-1/2}. */
function eigenvalues(design: ReducedDesign, tr: number): number[] {
  return Array.from({ length: d }, (_, j) => design.noiseScale[j * design.B + tr] ** -2);
}

/** The eigenvalues of the full design's XᵀX, from its float64 (XᵀX)⁻¹ (ml-matrix as an independent solver). */
function fullEigenvalues(design: FullDesign, tr: number): number[] {
  const inverse = new Matrix(Array.from({ length: d }, (_, j) => Array.from(design.gramInverse.subarray(tr * d * d + j * d, tr * d * d + j * d + d))));
  return new EigenvalueDecomposition(inverse).realEigenvalues.map((v) => 1 / v);
}

test('P5: per trial, every eigenvalue is positive and Σ_j 1/λ_j = traceGramInverse (1e-12 rel.)', () => {
  const r = reduced();
  assert.equal(r.B, TRIALS);
  assert.equal(r.noiseScale.length, TRIALS * d);
  for (let tr = 0; tr < TRIALS; tr++) {
    const lambda = eigenvalues(r, tr);
    if (!lambda.every((l) => l > 0 && Number.isFinite(l))) assert.fail(`trial ${tr}: eigenvalues ${lambda}`);
    const trace = lambda.reduce((sum, l) => sum + 1 / l, 0);
    if (!(Math.abs(trace - r.traceGramInverse[tr]) <= 1e-12 * trace)) assert.fail(`trial ${tr}: Σ1/λ = ${trace} vs tr = ${r.traceGramInverse[tr]}`);
  }
});

test('P4 + P5 + P12: reduced (tridiagonal model) mean of tr((XᵀX)⁻¹) = d/(T−d−1) = 3/16 within its finite-sample band', () => {
  bandCheck('reduced E tr((XᵀX)⁻¹)', moments(reduced().traceGramInverse).mean, MEAN_TRACE, traceBand());
});

test('P4 + P12: full-design mean of tr((XᵀX)⁻¹) = d/(T−d−1) = 3/16 within its finite-sample band', () => {
  const f = full();
  assert.equal(f.traceGramInverse.length, TRIALS);
  bandCheck('full E tr((XᵀX)⁻¹)', moments(f.traceGramInverse).mean, MEAN_TRACE, traceBand());
});

test('P5: full and reduced means of tr((XᵀX)⁻¹) agree within the sum of their bands (implied by the two checks above)', () => {
  const a = moments(full().traceGramInverse).mean;
  const b = moments(reduced().traceGramInverse).mean;
  const band = traceBand();
  bandCheck('full − reduced', a - b, 0, { below: band.below + band.above, above: band.above + band.below }, false);
});

test('P5: the tridiagonal model has the Wishart moments E tr W = T·d and E tr W² = T·d·(T + d + 1)', () => {
  const r = reduced();
  const trace = new Moments();
  const traceSquare = new Moments();
  for (let tr = 0; tr < TRIALS; tr++) {
    const lambda = eigenvalues(r, tr);
    trace.add(lambda.reduce((a, l) => a + l, 0));
    traceSquare.add(lambda.reduce((a, l) => a + l * l, 0));
  }
  // tr W ~ χ²_{Td} exactly, so Σ_trials (tr W − Td) is a sum of N·T·d centred χ²_1: Laurent–Massart, no approximation
  const w = chiSquareSumBand(Math.sqrt(TRIALS * T * d), 1, DELTA);
  bandCheck('E tr W', trace.mean, T * d, { below: w.below / TRIALS, above: w.above / TRIALS });
  zCheck('E tr W²', traceSquare, T * d * (T + d + 1));
});

test('P5: smallest and largest eigenvalues have the same means under the tridiagonal model and the real design', () => {
  const r = reduced();
  const f = full();
  for (const [label, pick] of [['λ_min', Math.min], ['λ_max', Math.max]] as const) {
    const a = new Moments();
    const b = new Moments();
    for (let tr = 0; tr < TRIALS; tr++) {
      a.add(pick(...eigenvalues(r, tr)));
      b.add(pick(...fullEigenvalues(f, tr)));
    }
    checksMade += 1;
    const z = (a.mean - b.mean) / Math.hypot(a.stderr, b.stderr);
    assert.ok(Math.abs(z) < Z, `${label}: reduced ${a.mean} vs full ${b.mean}: z = ${z}, |z| must be < ${Z.toFixed(3)}`);
  }
});

/**
 * P6 on real refits: for each trial, draw labels y_g = X ŵ_{s(g)} + σε_g on the full design (X as the kernels see it,
 * float32 values in float64 arithmetic), fit ŵ_n = (XᵀX)⁻¹ Σ_g a_{n,g} Xᵀy_g, and record
 * R_n = ‖ŵ_n − w*‖² − σ²·tr((XᵀX)⁻¹)·Σb² (mean exactly 0) and the error itself (mean σ²·d/(T−d−1)·Σb², P4).
 */
function refits(strategy: PoolStrategy, generations: number, sigma2: number): { residual: Moments[]; error: Moments[]; squares: { sum: number; max: number } } {
  const f = full();
  const B = f.B;
  const sigma = Math.sqrt(sigma2);
  const factors = noiseFactorsNumeric(strategy, generations);
  const weights = Array.from({ length: generations }, (_, n) => strategy.poolWeights(n + 1).map((w) => Number(w.valueOf())));
  const residual = Array.from({ length: generations }, () => new Moments());
  const error = Array.from({ length: generations }, () => new Moments());
  const noiseKey = foldIn(root, STREAM.noise);
  const models: Float64Array[] = Array.from({ length: generations + 1 }, () => new Float64Array(d));
  const xty: Float64Array[] = Array.from({ length: generations + 1 }, () => new Float64Array(d));
  const pooled = new Float64Array(d);
  const y = new Float64Array(T);
  for (let tr = 0; tr < B; tr++) {
    const epsilon = normalStream(foldIn(noiseKey, tr));
    const x = (t: number, k: number): number => f.trialMajor[tr * (T * d + d) + t * d + k];
    for (let k = 0; k < d; k++) models[0][k] = f.wStar32[k * B + tr]; // ŵ_0 = w*
    for (let n = 1; n <= generations; n++) {
      // generation n, labelled by model s(n)
      const source = models[sourceOf(strategy, n)];
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += x(t, k) * source[k];
        y[t] = s + sigma * epsilon();
      }
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += x(t, k) * y[t];
        xty[n][k] = s;
      }
      // model n: weighted least squares on generations 1..n
      pooled.fill(0);
      for (let g = 1; g <= n; g++) for (let k = 0; k < d; k++) pooled[k] += weights[n - 1][g - 1] * xty[g][k];
      let squared = 0;
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += f.gramInverse[tr * d * d + j * d + k] * pooled[k];
        models[n][j] = s;
        squared += (s - models[0][j]) ** 2;
      }
      error[n - 1].add(squared);
      residual[n - 1].add(squared - sigma2 * f.traceGramInverse[tr] * factors[n - 1]);
    }
  }
  // tr(A⁻²) per trial (the Frobenius norm² of the float64 inverse): the Laurent–Massart weights of P12
  const squares = { sum: 0, max: 0 };
  for (let tr = 0; tr < B; tr++) {
    let q = 0;
    for (let i = 0; i < d * d; i++) q += f.gramInverse[tr * d * d + i] ** 2;
    squares.sum += q;
    squares.max = Math.max(squares.max, q);
  }
  return { residual, error, squares };
}

for (const strategy of [replace, accumulate]) {
  test(`P6 + P1: ${strategy.name} refits on the full design: E[‖e_n‖² − σ²·tr((XᵀX)⁻¹)·Σb²] = 0 (n = 1..3) and E‖e_3‖² = σ²·d/(T−d−1)·Σb² (P4)`, () => {
    const sigma2 = 0.25;
    const generations = 3;
    const { residual, error, squares } = refits(strategy, generations, sigma2);
    const factors = noiseFactorsNumeric(strategy, generations);
    const bands = factors.map((factor) => {
      const c = sigma2 * factor; // given X the residual is Σ c/λ_j (ζ_j² − 1): Laurent–Massart (P12)
      const sum = chiSquareSumBand(c * Math.sqrt(squares.sum), c * Math.sqrt(squares.max), DELTA);
      return { below: sum.below / TRIALS, above: sum.above / TRIALS };
    });
    for (let n = 0; n < generations; n++) bandCheck(`${strategy.name} R_${n + 1}`, residual[n].mean, 0, bands[n]);
    const factor3 = factors[generations - 1];
    const trace = traceBand();
    const c3 = sigma2 * factor3;
    // mean error − theory = R̄ + c(t̄ − E t): inside the R_3 band plus c times the trace band (both counted above)
    bandCheck(`${strategy.name} E‖e_3‖²`, error[generations - 1].mean, sigma2 * MEAN_TRACE * factor3, { below: bands[2].below + c3 * trace.below, above: bands[2].above + c3 * trace.above }, false);
    // P6: the conditional residual is sharper than the raw error (design variance removed)
    assert.ok(residual[generations - 1].variance < error[generations - 1].variance);
  });
}

test('P4–P6: this file made exactly K statistical events (the Bonferroni count behind zStar(K) and DELTA)', () => {
  assert.equal(checksMade, K);
});

// T ≤ d: (XᵀX)⁺ matches ml-matrix's SVD pseudo-inverse, whether it came from the T×T route (XXᵀ Cholesky) or the
// eigendecomposition (exact identities, no statistical events)
for (const [T, d] of [[5, 30], [29, 30], [12, 12]] as const) {
  test(`(XᵀX)⁺ at T = ${T}, d = ${d}: Moore–Penrose conditions and ml-matrix's SVD pseudo-inverse`, () => {
    const B = 4;
    const z = hostTrialNormals(T * d + d, B, rootKey(T * 1000 + d), 0);
    const rows = Float32Array.from(z); // the design scales z in place
    const design = fullDesignFromNormals(z, 0, B, T, d);
    for (let tr = 0; tr < B; tr++) {
      const x = new Matrix(Array.from({ length: T }, (_, t) => Array.from(rows.subarray(tr * (T * d + d) + t * d, tr * (T * d + d) + t * d + d))));
      const a = x.transpose().mmul(x);
      const p = new Matrix(Array.from({ length: d }, (_, j) => Array.from(design.gramInverse.subarray(tr * d * d + j * d, tr * d * d + j * d + d))));
      const scale = a.norm('frobenius');
      const relative = (m: Matrix, want: Matrix, size: number) => m.clone().sub(want).norm('frobenius') / size;
      assert.ok(relative(a.mmul(p).mmul(a), a, scale) < 1e-8, 'A·P·A = A');
      assert.ok(relative(p.mmul(a).mmul(p), p, p.norm('frobenius')) < 1e-8, 'P·A·P = P');
      assert.ok(relative(p, p.transpose(), p.norm('frobenius')) < 1e-12, 'P symmetric');
      assert.ok(relative(p, pseudoInverse(a), p.norm('frobenius')) < 1e-6, 'P = pinv(A) by SVD');
      let trace = 0;
      for (let j = 0; j < d; j++) trace += p.get(j, j);
      assert.ok(Math.abs(design.traceGramInverse[tr] - trace) <= 1e-12 * Math.abs(trace), 'tr(P)');
    }
  });
}

// The full method's products read only the lower triangle of XᵀX and (XᵀX)⁻¹ (linalg symmetricMatVec): every route
// to them must give both triangles the very same numbers (Cholesky inverse, ridge, spectrum, T ≤ d through XXᵀ, and
// the eigendecomposition that takes over when XXᵀ is singular: two equal rows here)
for (const [T, d, ridge, spectrum, equalRows] of [[20, 3, 0, false, false], [41, 13, 0.5, true, false], [5, 30, 0, false, false], [12, 12, 0, false, true]] as const) {
  test(`XᵀX and its inverse are exactly symmetric (T = ${T}, d = ${d}, ridge ${ridge}${spectrum ? ', spectrum' : ''}${equalRows ? ', two equal rows' : ''})`, () => {
    const B = 3;
    const z = hostTrialNormals(T * d + d, B, rootKey(77 * T + d), 0);
    if (equalRows) for (let tr = 0; tr < B; tr++) z.copyWithin(tr * (T * d + d) + d, tr * (T * d + d), tr * (T * d + d) + d);
    const s = spectrum ? Float64Array.from({ length: d }, (_, i) => (d * (i + 1) ** -1) / Array.from({ length: d }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b)) : undefined;
    const design = fullDesignFromNormals(z, 0, B, T, d, s, ridge);
    for (const [name, m] of [['XᵀX', design.gram], ['inverse', design.gramInverse]] as const) {
      for (let tr = 0, at = 0; tr < B; tr++, at += d * d) {
        for (let j = 0; j < d; j++) {
          for (let k = 0; k < j; k++) assert.ok(Object.is(m[at + j * d + k], m[at + k * d + j]), `${name} trial ${tr} (${j}, ${k})`);
        }
      }
    }
  });
}
