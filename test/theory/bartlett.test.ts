/**
 * Monte Carlo checks of proofs/linear-fixed-design.md#P4, #P5 (Bartlett) and #P6 (the design-conditional residual)
 * on the host-side design draws of src/models/linear/design.ts, plus exact per-trial identities of the reduced factor.
 *
 * Sizing: every statistical check is a two-sided z test with |z| < zStar(K), K = the number of such checks in this
 * file, so the file fails by chance with probability < FAMILY_FALSE_FAILURE = 1e-6 (Bonferroni, normal approximation).
 * All variances involved are finite because T = 20 > d + 3 (P4). The seed is fixed, so the outcome is deterministic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldIn, normalStream, rootKey, STREAM } from '../../src/core/rng.js';
import { Moments, zStar } from '../../src/core/stats.js';
import { drawFullDesign, drawReducedDesign, type FullDesign, type ReducedDesign } from '../../src/models/linear/design.js';
import { accumulate } from '../../src/strategies/accumulate.js';
import { replace } from '../../src/strategies/replace.js';
import { sourceOf, type PoolStrategy } from '../../src/strategies/strategy.js';
import { noiseFactorsNumeric } from '../../src/theory/pool-weights.js';

const d = 3;
const T = 20;
const TRIALS = 20_000;
const SEED = 20240401;
const MEAN_TRACE = d / (T - d - 1); // P4: 3/16

/** The statistical checks below, counted by hand: 3 trace means + 6 E[MMᵀ] entries + 3 χ² diagonals + 8 P6. */
const K = 20;
const Z = zStar(K);
let checksMade = 0;

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
const full = (): FullDesign => (fullCache ??= drawFullDesign(foldIn(root, STREAM.design), 0, TRIALS, T, d));
const reduced = (): ReducedDesign => (reducedCache ??= drawReducedDesign(foldIn(root, STREAM.wishart), 0, TRIALS, T, d));

/** M[j][k] of trial `tr` from the kernel layout [(j·d + k)·B + trial]. */
function factor(design: ReducedDesign, tr: number, j: number, k: number): number {
  return design.noiseFactor[(j * d + k) * design.B + tr];
}

test('P5: per trial, M = L⁻ᵀ is upper triangular and ‖M‖_F² = Σ_j Σ_k M[j][k]² = traceGramInverse (1e-5 rel.)', () => {
  const r = reduced();
  assert.equal(r.B, TRIALS);
  assert.equal(r.noiseFactor.length, TRIALS * d * d);
  for (let tr = 0; tr < TRIALS; tr++) {
    let frobenius = 0;
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < d; k++) {
        const m = factor(r, tr, j, k);
        if (k < j && m !== 0) assert.fail(`trial ${tr}: M[${j}][${k}] = ${m} below the diagonal`);
        frobenius += m * m;
      }
      if (!(factor(r, tr, j, j) > 0)) assert.fail(`trial ${tr}: M[${j}][${j}] = ${factor(r, tr, j, j)} must be > 0`);
    }
    const trace = r.traceGramInverse[tr];
    if (!(Math.abs(frobenius - trace) <= 1e-5 * trace)) assert.fail(`trial ${tr}: ‖M‖_F² = ${frobenius} vs tr = ${trace}`);
  }
});

test('P4 + P5: reduced (Bartlett) mean of tr((XᵀX)⁻¹) = d/(T−d−1) = 3/16 within zStar(K)·stderr', () => {
  zCheck('reduced E tr((XᵀX)⁻¹)', moments(reduced().traceGramInverse), MEAN_TRACE);
});

test('P4: full-design mean of tr((XᵀX)⁻¹) = d/(T−d−1) = 3/16 within zStar(K)·stderr', () => {
  const f = full();
  assert.equal(f.traceGramInverse.length, TRIALS);
  zCheck('full E tr((XᵀX)⁻¹)', moments(f.traceGramInverse), MEAN_TRACE);
});

test('P5: full and reduced means of tr((XᵀX)⁻¹) agree (two-sample z test)', () => {
  const a = moments(full().traceGramInverse);
  const b = moments(reduced().traceGramInverse);
  checksMade += 1; // independent samples (different key paths): stderr of the difference is √(se_a² + se_b²)
  const z = (a.mean - b.mean) / Math.hypot(a.stderr, b.stderr);
  assert.ok(Math.abs(z) < Z, `full ${a.mean} vs reduced ${b.mean}: z = ${z}, |z| must be < ${Z.toFixed(3)}`);
});

test('P4 + P5: E[M Mᵀ] = E (XᵀX)⁻¹ = I/(T−d−1) entrywise (6 entries j ≤ k)', () => {
  const r = reduced();
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      const entry = new Moments();
      for (let tr = 0; tr < TRIALS; tr++) {
        let s = 0;
        for (let l = 0; l < d; l++) s += factor(r, tr, j, l) * factor(r, tr, k, l);
        entry.add(s);
      }
      zCheck(`E[(MMᵀ)_${j}${k}]`, entry, j === k ? 1 / (T - d - 1) : 0);
    }
  }
});

test('P5: Bartlett diagonals 1/M_ii² = L_ii² have mean T − i + 1 (1-based), i.e. χ²_{T−i+1}', () => {
  const r = reduced();
  for (let i = 0; i < d; i++) {
    const diagonal = new Moments();
    for (let tr = 0; tr < TRIALS; tr++) diagonal.add(1 / factor(r, tr, i, i) ** 2);
    zCheck(`E[L_${i + 1}${i + 1}²]`, diagonal, T - i); // 0-based i: χ²_{T−i}
  }
});

/**
 * P6 on real refits: for each trial, draw labels y_g = X ŵ_{s(g)} + σε_g on the full design (X as the kernels see it,
 * float32 values in float64 arithmetic), fit ŵ_n = (XᵀX)⁻¹ Σ_g a_{n,g} Xᵀy_g, and record
 * R_n = ‖ŵ_n − w*‖² − σ²·tr((XᵀX)⁻¹)·Σb² (mean exactly 0) and the error itself (mean σ²·d/(T−d−1)·Σb², P4).
 */
function refits(strategy: PoolStrategy, generations: number, sigma2: number): { residual: Moments[]; error: Moments[] } {
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
    const x = (t: number, k: number): number => f.X[(t * d + k) * B + tr];
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
  return { residual, error };
}

for (const strategy of [replace, accumulate]) {
  test(`P6 + P1: ${strategy.name} refits on the full design: E[‖e_n‖² − σ²·tr((XᵀX)⁻¹)·Σb²] = 0 (n = 1..3) and E‖e_3‖² = σ²·d/(T−d−1)·Σb² (P4)`, () => {
    const sigma2 = 0.25;
    const generations = 3;
    const { residual, error } = refits(strategy, generations, sigma2);
    for (let n = 0; n < generations; n++) zCheck(`${strategy.name} R_${n + 1}`, residual[n], 0);
    const factor3 = noiseFactorsNumeric(strategy, generations)[generations - 1];
    zCheck(`${strategy.name} E‖e_3‖²`, error[generations - 1], sigma2 * MEAN_TRACE * factor3);
    // P6: the conditional residual is sharper than the raw error (design variance removed)
    assert.ok(residual[generations - 1].variance < error[generations - 1].variance);
  });
}

test('P4–P6: this file made exactly K statistical checks (the Bonferroni count behind zStar(K))', () => {
  assert.equal(checksMade, K);
});
