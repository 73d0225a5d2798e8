/**
 * proofs/strong-collapse.md S1–S6: the bias factor on exact rationals and its limit, each step of S2 by Monte Carlo
 * within proven bands (bounded statistics: empirical Bernstein; an unbounded one: median of means with its exact
 * variance), the chain's polynomials against closed forms and against an exact rational simulation of the chain,
 * the conditional error against a direct matrix computation, and the Monte Carlo within verify's S6 band.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { fraction, type Fraction } from '../../src/core/fraction.js';
import { KeyedGenerator } from '../../src/core/rng.js';
import { zStar } from '../../src/core/stats.js';
import { runStrong } from '../../src/experiments/strong.js';
import { errorCoefficients } from '../../src/theory/pool-weights.js';
import { FLOAT, RATIONAL } from '../../src/theory/categorical.js';
import { inverseWishartTraceMoments } from '../../src/theory/linear-fixed-design.js';
import {
  evaluatePolynomial, strongBiasFactor, strongChainApproximation, strongChainConditional, strongChainExpectation, strongChainPolynomials, strongCollapseAsymptotic,
  strongCollapseError,
} from '../../src/theory/strong-collapse.js';
import { parseStrategy } from '../../src/strategies/index.js';
import { empiricalBernsteinBand } from '../../src/experiments/verify-bernstein.js';
import { judgeStrong } from '../../src/experiments/verify-strong.js';

const DELTA = 1e-7; // per statistical check below: the file's false-failure probability stays under 1e-6

/** |mean − expected| within the empirical Bernstein band of values in [0, range] (Maurer & Pontil 2009, Thm 4). */
function assertBernstein(values: number[], expected: number, range: number, what: string) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const band = empiricalBernsteinBand(Math.sqrt(variance / n), n, range, DELTA);
  assert.ok(Math.abs(mean - expected) <= band, `${what}: |${mean} − ${expected}| > ${band}`);
  return band;
}

/** X (n×d, rows N(0, I)), A = XᵀX and A₂ = Gram of the first n₂ rows, as ml-matrix matrices. */
function design(g: KeyedGenerator, n: number, d: number, n2: number) {
  const X = Matrix.zeros(n, d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) X.set(i, k, g.normal());
  const A = X.transpose().mmul(X);
  const X2 = X.subMatrix(0, n2 - 1, 0, d - 1);
  return { X, A, A2: X2.transpose().mmul(X2) };
}

/** A^{−1/2} by the symmetric eigendecomposition. */
function inverseRoot(A: Matrix): Matrix {
  const e = new EigenvalueDecomposition(A, { assumeSymmetric: true });
  const V = e.eigenvectorMatrix;
  return V.mmul(Matrix.diag(e.realEigenvalues.map((x) => 1 / Math.sqrt(x)))).mmul(V.transpose());
}

test('S2: the bias factor on exact rationals: 62/189, the ends n₂ = 0 and n₂ = n, d = 1 is E Beta(n₂/2, n₁/2)²', () => {
  assert.equal(strongBiasFactor(10, 5, 2).toFraction(), '62/189');
  assert.equal(strongBiasFactor(50, 0, 7).toFraction(), '0');
  assert.equal(strongBiasFactor(50, 50, 7).toFraction(), '1');
  assert.equal(strongBiasFactor(6, 2, 1).toFraction(), '1/6'); // a(a+1)/(s(s+1)) with a = 1, s = 3
  assert.equal(strongCollapseError({ sigma2: 1, dim: 2, samples: 10, teacher: 5, shift2: 1 }).total, 116 / 189);
  assert.throws(() => strongBiasFactor(5, 1, 4), /dim \+ 2/);
});

test('S2 step "collecting": α + β(nd − 2)/(n − d − 1) is the printed factor, exactly, over a grid', () => {
  for (const [n, d] of [[8, 3], [20, 5], [200, 20]]) {
    for (const n2 of [0, 1, 3, Math.floor(n / 2), n - 1, n]) {
      const n1 = n - n2;
      const beta = fraction(n1 * n2, (n - 1) * n * (n + 2));
      const alpha = fraction(n2 * (n2 + 2), n * (n + 2)).sub(beta);
      const collected = alpha.add(beta.mul(fraction(n * d - 2, n - d - 1)));
      assert.equal(collected.toFraction(), strongBiasFactor(n, n2, d).toFraction(), `n=${n} n₂=${n2} d=${d}`);
    }
  }
});

test('S2 and S3: against the literature at d = 20, p₂ = 0.1, n = 200 (0.132177 vs 0.121732) and the floor p₂² as n → ∞', () => {
  const exact = strongCollapseError({ sigma2: 1, dim: 20, samples: 200, teacher: 20, shift2: 1 });
  assert.ok(Math.abs(exact.total - 0.1321771) < 1e-6, String(exact.total));
  assert.ok(Math.abs(strongCollapseAsymptotic({ sigma2: 1, dim: 20, samples: 200, share: 0.1, shift2: 1 }) - 0.1217318) < 1e-6);
  // S3: the bias factor minus p₂² is p₂(1 − p₂)(d + 1)/n + O(1/n²), and tends to 0 while the floor p₂² stays
  for (const n of [1e3, 1e4, 1e5, 1e6]) {
    const excess = strongBiasFactor(n, n / 10, 20).valueOf() - 0.01;
    assert.ok(Math.abs((excess * n) / (0.1 * 0.9 * 21) - 1) < 40 / n, `n=${n}: ${excess}`);
  }
});

test('S2 at d = 1: the Monte Carlo of the bias (G² ∈ [0, 1]) within an empirical Bernstein band of 1/6', () => {
  const g = new KeyedGenerator(11);
  const values: number[] = [];
  for (let t = 0; t < 20_000; t++) {
    const { A, A2 } = design(g, 6, 1, 2);
    values.push((A2.get(0, 0) / A.get(0, 0)) ** 2);
  }
  assertBernstein(values, 1 / 6, 1, 'E G²');
});

test('S2 step 4: E G₁₁² = n₂(n₂+2)/(n(n+2)) and E G₂₁² = n₁n₂/((n−1)n(n+2)) for G = A^{−1/2}A₂A^{−1/2} (bounded: Bernstein)', () => {
  const [n, d, n2] = [8, 3, 3];
  const g = new KeyedGenerator(12);
  const g11: number[] = [];
  const g21: number[] = [];
  for (let t = 0; t < 20_000; t++) {
    const { A, A2 } = design(g, n, d, n2);
    const R = inverseRoot(A);
    const G = R.mmul(A2).mmul(R);
    g11.push(G.get(0, 0) ** 2);
    g21.push(G.get(1, 0) ** 2);
  }
  assertBernstein(g11, (n2 * (n2 + 2)) / (n * (n + 2)), 1, 'E G₁₁²');
  const band = assertBernstein(g21, ((n - n2) * n2) / ((n - 1) * n * (n + 2)), 0.25, 'E G₂₁²');
  assert.ok(band < 0.2 * (((n - n2) * n2) / ((n - 1) * n * (n + 2))), 'the band is tight enough to tell β from 0');
});

test('S2 step 3: given A, E_G‖A⁻¹A₂Δ‖² = α‖Δ‖² + β tr(A⁻¹) ΔᵀAΔ (G uniform, independent of A; bounded given A)', () => {
  const [n, d, n2] = [7, 2, 3];
  const g = new KeyedGenerator(13);
  const A = Matrix.from1DArray(2, 2, [5, 1.5, 1.5, 2]); // any fixed positive definite A
  const delta = [0.6, -0.8];
  const root = new EigenvalueDecomposition(A, { assumeSymmetric: true });
  const Aroot = root.eigenvectorMatrix.mmul(Matrix.diag(root.realEigenvalues.map(Math.sqrt))).mmul(root.eigenvectorMatrix.transpose());
  const Ainv = A.clone();
  const det = 5 * 2 - 1.5 * 1.5;
  Ainv.set(0, 0, 2 / det).set(1, 1, 5 / det).set(0, 1, -1.5 / det).set(1, 0, -1.5 / det);
  const values: number[] = [];
  const D = Matrix.columnVector(delta);
  for (let t = 0; t < 20_000; t++) {
    const sample = design(g, n, d, n2);
    const R = inverseRoot(sample.A);
    const G = R.mmul(sample.A2).mmul(R); // the law of G, independent of the fixed A
    const v = Ainv.mmul(Aroot).mmul(G).mmul(Aroot).mmul(D); // A⁻¹·(A^{1/2}GA^{1/2})·Δ
    values.push(v.get(0, 0) ** 2 + v.get(1, 0) ** 2);
  }
  const beta = ((n - n2) * n2) / ((n - 1) * n * (n + 2));
  const alpha = (n2 * (n2 + 2)) / (n * (n + 2)) - beta;
  const trInv = Ainv.get(0, 0) + Ainv.get(1, 1);
  const quad = D.transpose().mmul(A).mmul(D).get(0, 0);
  // ‖v‖² ≤ ΔᵀAΔ·λ_max(A⁻¹) since 0 ≼ G ≼ I: the values' range
  const range = quad * Math.max(...new EigenvalueDecomposition(Ainv, { assumeSymmetric: true }).realEigenvalues);
  const expected = alpha + beta * trInv * quad;
  const band = assertBernstein(values, expected, range, 'E_G‖MΔ‖² given A');
  assert.ok(band < 0.5 * beta * trInv * quad, 'the band is tight enough to see the β term');
});

test('S2 step 5: E tr(Ã⁻¹) = (nd − 2)·d/(n − d − 1) for Ã = A/tr A, by median of means with its exact variance', () => {
  const [n, d] = [12, 3];
  const { mean, variance } = inverseWishartTraceMoments(d, n);
  const k = n * d;
  const expected = (k - 2) * mean;
  const exactVariance = (variance + mean * mean) * (k - 2) * (k - 4) - expected * expected; // r ⊥ Ã, E r⁻² = 1/((k−2)(k−4))
  // each block mean is within 2σ/√b with probability ≥ 3/4 (Chebyshev); the median fails only if half the blocks do,
  // which has probability ≤ e^{−K/8} (Hoeffding): K = 136 blocks give ≤ 4e-8
  const blocks = 136;
  const size = 150;
  const g = new KeyedGenerator(14);
  const means: number[] = [];
  for (let b = 0; b < blocks; b++) {
    let sum = 0;
    for (let t = 0; t < size; t++) {
      const { A } = design(g, n, d, 1);
      const inv = A.clone();
      const e = new EigenvalueDecomposition(inv, { assumeSymmetric: true });
      const trA = e.realEigenvalues.reduce((a, x) => a + x, 0);
      sum += e.realEigenvalues.reduce((a, x) => a + 1 / x, 0) * trA;
    }
    means.push(sum / size);
  }
  means.sort((a, b) => a - b);
  const median = (means[blocks / 2 - 1] + means[blocks / 2]) / 2;
  const band = 2 * Math.sqrt(exactVariance / size);
  assert.ok(Math.abs(median - expected) <= band, `|${median} − ${expected}| > ${band}`);
  assert.ok(band < 0.05 * expected);
});

test('S4: the chain polynomials on exact rationals — mixed replace xⁿ, mixed accumulate (x/n)∏(1 + x/k), pure chains b_{n,1}·x', () => {
  const x = fraction(1, 3);
  const at = (p: Fraction[]) => evaluatePolynomial(p, x, RATIONAL);
  const replace = strongChainPolynomials(parseStrategy('replace'), 5, 'mixed', RATIONAL);
  replace.shift.forEach((c, i) => assert.equal(at(c).toFraction(), x.pow(i + 1).toFraction()));
  replace.noise.forEach((q, i) => {
    let sum = fraction(0);
    for (let j = 0; j <= i; j++) sum = sum.add(x.pow(2 * j));
    assert.equal(at(q).toFraction(), sum.toFraction(), `replace q_${i + 1}`);
  });
  const accumulate = strongChainPolynomials(parseStrategy('accumulate'), 6, 'mixed', RATIONAL);
  let product = fraction(1);
  accumulate.shift.forEach((c, i) => {
    const n = i + 1;
    assert.equal(at(c).toFraction(), x.div(n).mul(product).toFraction(), `accumulate c_${n}`);
    product = product.mul(fraction(1).add(x.div(n)));
  });
  for (const name of ['replace', 'accumulate', 'window:3', 'weights:2^(i-n)']) {
    const strategy = parseStrategy(name);
    const pure = strongChainPolynomials(strategy, 6, 'pure', RATIONAL);
    const b = errorCoefficients(strategy, 6);
    pure.shift.forEach((c, i) => {
      assert.deepEqual(c.map((v, k) => (k === 1 ? v.toFraction() : v.valueOf())), c.map((_, k) => (k === 1 ? b[i][0].toFraction() : 0)), `${name} c_${i + 1}`);
      const q = b[i].reduce((s, v) => s.add(v.mul(v)), fraction(0));
      assert.equal(at(pure.noise[i]).toFraction(), q.toFraction(), `${name} q_${i + 1} is P2's factor`);
    });
  }
  // accumulate pure: the shift does not shrink (b_{n,1} = 1)
  assert.ok(strongChainPolynomials(parseStrategy('accumulate'), 8, 'pure', RATIONAL).shift.every((c) => c[1].toFraction() === '1'));
});

type Q = Fraction;
const mat = (rows: number[][]): Q[][] => rows.map((r) => r.map((v) => fraction(v)));
const mul = (a: Q[][], b: Q[][]): Q[][] => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s.add(v.mul(b[k][j])), fraction(0))));
const mulv = (a: Q[][], v: Q[]): Q[] => a.map((row) => row.reduce((s, x, k) => s.add(x.mul(v[k])), fraction(0)));
const transpose = (a: Q[][]): Q[][] => a[0].map((_, j) => a.map((row) => row[j]));
function inverse2(a: Q[][]): Q[][] {
  const det = a[0][0].mul(a[1][1]).sub(a[0][1].mul(a[1][0]));
  return [[a[1][1].div(det), a[0][1].neg().div(det)], [a[1][0].neg().div(det), a[0][0].div(det)]];
}

test('S4: the polynomials equal an exact rational simulation of the chain (zero noise: c_n(M)Δ; one noise vector: b_{n,j}(M)z_j)', () => {
  const X = mat([[1, 2], [0, 1], [3, -1], [1, 1], [-2, 1]]); // 5 rows, the first 2 are the teacher rows
  const n2 = 2;
  const wStar = [fraction(1, 2), fraction(-1)];
  const delta = [fraction(2), fraction(1, 3)];
  const A = mul(transpose(X), X);
  const Ainv = inverse2(A);
  const A2 = mul(transpose(X.slice(0, n2)), X.slice(0, n2));
  const M = mul(Ainv, A2);
  const polyAt = (p: Q[], v: Q[]) => {
    let out = v.map(() => fraction(0));
    let power = v;
    for (const c of p) {
      out = out.map((o, k) => o.add(c.mul(power[k])));
      power = mulv(M, power);
    }
    return out;
  };
  const noise = [fraction(1), fraction(-2), fraction(1, 2), fraction(0), fraction(3)]; // ε of one data set
  for (const name of ['replace', 'accumulate', 'window:2']) {
    for (const chain of ['mixed', 'pure'] as const) {
      const strategy = parseStrategy(name);
      const N = 4;
      const polys = strongChainPolynomials(strategy, N, chain, RATIONAL);
      for (const noisy of [0, 2]) { // 0: no noise anywhere; 2: ε in data set 2 only
        const models: Q[][] = [wStar.map((w, k) => w.add(delta[k]))];
        const xty: Q[][] = [];
        const weights = Array.from({ length: N }, (_, i) => strategy.poolWeights(i + 1));
        let set = 0;
        for (let n = 1; n <= N; n++) {
          // every step of these strategies adds one data set labelled by model n − 1
          set++;
          const source = n - 1;
          const y = X.map((row, i) => {
            const w = i < n2 || (chain === 'pure' && source > 0) ? models[source] : wStar;
            return row.reduce((s, v, k) => s.add(v.mul(w[k])), fraction(0)).add(set === noisy ? noise[i] : fraction(0));
          });
          xty.push(mulv(transpose(X), y));
          let pooled = [fraction(0), fraction(0)];
          weights[n - 1].forEach((a, g) => (pooled = pooled.map((p, k) => p.add(a.mul(xty[g][k])))));
          const fit = mulv(Ainv, pooled);
          models.push(fit);
          const error = fit.map((f, k) => f.sub(wStar[k]));
          const expected = polyAt(polys.shift[n - 1], delta);
          if (noisy) {
            const z = mulv(Ainv, mulv(transpose(X), noise));
            const b = polys.coefficients[n - 1][noisy - 1] ?? [fraction(0)];
            polyAt(b, z).forEach((v, k) => (expected[k] = expected[k].add(v)));
          }
          assert.deepEqual(error.map((e) => e.toFraction()), expected.map((e) => e.toFraction()), `${name} ${chain} model ${n} noise in set ${noisy}`);
        }
      }
    }
  }
});

test('S4.3: the eigenbasis form of E[error | X], tr S² and μᵀSμ equal a direct matrix computation', () => {
  const g = new KeyedGenerator(21);
  const [n, d, n2] = [12, 3, 4];
  const { A, A2 } = design(g, n, d, n2);
  const delta = [0.3, -1.1, 0.7];
  const sigma2 = 0.8;
  for (const [name, chain] of [['accumulate', 'mixed'], ['replace', 'pure'], ['window:2', 'mixed']] as const) {
    const polys = strongChainPolynomials(parseStrategy(name), 5, chain, FLOAT);
    const got = strongChainConditional(polys, Float64Array.from(A.to1DArray()), Float64Array.from(A2.to1DArray()), delta, sigma2, d, FLOAT);
    const Ainv = A.clone();
    const inv = new EigenvalueDecomposition(A, { assumeSymmetric: true });
    Ainv.setSubMatrix(inv.eigenvectorMatrix.mmul(Matrix.diag(inv.realEigenvalues.map((x) => 1 / x))).mmul(inv.eigenvectorMatrix.transpose()), 0, 0);
    const M = Ainv.mmul(A2);
    const poly = (p: number[]) => {
      let out = Matrix.zeros(d, d);
      let power = Matrix.eye(d);
      for (const c of p) {
        out = out.add(power.clone().mul(c));
        power = power.mmul(M);
      }
      return out;
    };
    polys.shift.forEach((c, i) => {
      const mu = poly(c).mmul(Matrix.columnVector(delta));
      let S = Matrix.zeros(d, d);
      for (const b of polys.coefficients[i]) {
        const B = poly(b);
        S = S.add(B.mmul(Ainv).mmul(B.transpose()).mul(sigma2));
      }
      const bias = mu.transpose().mmul(mu).get(0, 0);
      const variance = S.trace();
      const chi4 = S.mmul(S).trace();
      const gauss = mu.transpose().mmul(S).mmul(mu).get(0, 0);
      for (const [key, want] of [['bias', bias], ['variance', variance], ['chi4', chi4], ['gauss', gauss]] as const) {
        const value = got[i][key];
        assert.ok(Math.abs(value - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${name} ${chain} model ${i + 1} ${key}: ${value} vs ${want}`);
      }
    });
  }
});

test('S4 corollary: the exact expectation over the design for pure chains (replace: bias + n·variance), none for mixed n ≥ 2', () => {
  const setting = { sigma2: 1, dim: 3, samples: 20, teacher: 5, shift2: 4 };
  const { bias, variance } = strongCollapseError(setting);
  const pure = strongChainExpectation(strongChainPolynomials(parseStrategy('replace'), 3, 'pure', FLOAT), setting);
  pure.forEach((v, i) => assert.ok(Math.abs((v as number) - (bias + (i + 1) * variance)) < 1e-12));
  const mixed = strongChainExpectation(strongChainPolynomials(parseStrategy('accumulate'), 3, 'mixed', FLOAT), setting);
  assert.ok(Math.abs((mixed[0] as number) - (bias + variance)) < 1e-12);
  assert.deepEqual(mixed.slice(1), [null, null]);
});

test('S5: the isotropic approximation is S3\'s asymptotic form at model 1, p₂²ⁿ‖Δ‖² + σ²d/(n−d−1)Σp₂^{2(n−j)} under mixed replace, and not S2', () => {
  const setting = { sigma2: 0.5, dim: 4, samples: 30, share: 0.25, shift2: 4 };
  const polys = strongChainPolynomials(parseStrategy('replace'), 4, 'mixed', FLOAT);
  const approx = strongChainApproximation(polys, setting, FLOAT);
  const perTrace = (0.5 * 4) / (30 - 4 - 1);
  approx.forEach((v, i) => {
    const n = i + 1;
    let q = 0;
    for (let j = 1; j <= n; j++) q += 0.25 ** (2 * (n - j));
    assert.ok(Math.abs(v - (0.25 ** (2 * n) * 4 + perTrace * q)) < 1e-15, `model ${n}`);
  });
  assert.ok(Math.abs(approx[0] - strongCollapseAsymptotic(setting)) < 1e-15);
  const exact = strongCollapseError({ sigma2: 0.5, dim: 4, samples: 30, teacher: 8, shift2: 4 }).total; // round(0.25·30) = 8 rows, share 8/30
  assert.ok(Math.abs(strongChainApproximation(polys, { ...setting, share: 8 / 30 }, FLOAT)[0] / exact - 1) > 0.05, 'an approximation, not S2');
});

test('S6: the Monte Carlo sits in verify\'s band at every row, and the band rejects a theory that forgets the bias', async () => {
  const config = { strategy: 'accumulate', chain: 'mixed' as const, dim: 3, noise: 1, shift: 1, 'teacher-share': 0.3, samples: 30, sizes: [10, 60], iterations: 4, trials: 3000, seed: 5 };
  const report = await runStrong(config);
  const bound = zStar(6 * 10); // 6 rows, δ per row = 1e-6/60 (below the file's other checks' 1e-7)
  const verdict = judgeStrong('strong', report, bound);
  assert.equal(verdict.pass, true, verdict.failures.join('; '));
  // the residual against variance alone (bias dropped) must fail: that shifts each mean residual by the mean bias
  const wrong = structuredClone(report);
  const rows = [...report.scaling, ...report.iterations];
  wrong.bandInputs.residualSums = report.bandInputs.residualSums.map((s, r) => s + rows[r].bias * report.bandInputs.trials);
  assert.equal(judgeStrong('wrong', wrong, bound).pass, false);
  // model 1 of the chain: exact over the design (S2), and the realised share is round(0.3·30)/30
  assert.equal(report.iterations[0].theory, strongCollapseError({ sigma2: 1, dim: 3, samples: 30, teacher: 9, shift2: 1 }).total);
  assert.deepEqual(report.iterations.slice(1).map((r) => r.theory), [null, null, null]);
});
