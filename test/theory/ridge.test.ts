/** P11: the ridge mean and noise polynomials, against an independent scalar recursion and against P2 at m = 1. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStrategy } from '../../src/strategies/index.js';
import { numericPlan } from '../../src/strategies/plan.js';
import { noiseFactorsNumeric } from '../../src/theory/pool-weights.js';
import { ridgeConditionalError, ridgeConditionalSpread, ridgePolynomials } from '../../src/theory/ridge.js';

const STRATEGIES = ['replace', 'accumulate', 'window:3', 'augment:1', 'fresh:0.5', 'weights:2^(i-n)'];
const N = 9;

const evaluate = (p: Float64Array, m: number) => p.reduce((sum, c, k) => sum + c * m ** k, 0);

/** The recursion of P10 run directly on numbers for one m: the mean factor and Σ_t c_{n,t}², n = 1 … N. */
function scalarRecursion(strategy: string, m: number): { mean: number[]; noise: number[] } {
  const { sources, weights } = numericPlan(parseStrategy(strategy), N);
  const mean = [1];
  const c: number[][] = [new Array(sources.length).fill(0)];
  for (let n = 1; n <= N; n++) {
    let p = 0;
    const row = new Array(sources.length).fill(0);
    weights[n - 1].forEach((w, s) => {
      if (w === 0) return;
      p += w * m * mean[sources[s]];
      row[s] += w;
      c[sources[s]].forEach((parent, t) => (row[t] += w * m * parent));
    });
    mean.push(p);
    c.push(row);
  }
  return { mean: mean.slice(1), noise: c.slice(1).map((row) => row.reduce((a, x) => a + x * x, 0)) };
}

for (const strategy of STRATEGIES) {
  test(`P11 ${strategy}: polynomials equal the scalar recursion at m ∈ {0, 0.3, 0.77, 1}, and P2 at m = 1`, () => {
    const polynomials = ridgePolynomials(parseStrategy(strategy), N);
    for (const m of [0, 0.3, 0.77, 1]) {
      const direct = scalarRecursion(strategy, m);
      for (let n = 0; n < N; n++) {
        assert.ok(Math.abs(evaluate(polynomials.mean[n], m) - direct.mean[n]) <= 1e-12, `${strategy} P_${n + 1}(${m})`);
        assert.ok(Math.abs(evaluate(polynomials.noise[n], m) - direct.noise[n]) <= 1e-12 * (1 + direct.noise[n]), `${strategy} Q_${n + 1}(${m})`);
      }
    }
    const factors = noiseFactorsNumeric(parseStrategy(strategy), N);
    polynomials.noise.forEach((q, n) => assert.ok(Math.abs(evaluate(q, 1) - factors[n]) <= 1e-12 * factors[n], `Q_${n + 1}(1) vs P2`));
    polynomials.mean.forEach((p, n) => assert.ok(Math.abs(evaluate(p, 1) - 1) <= 1e-12, `P_${n + 1}(1) = 1`));
    for (const p of [...polynomials.mean, ...polynomials.noise]) assert.ok(p.every((c) => c >= 0), 'nonnegative coefficients');
  });
}

test('P11: the conditional error adds bias and noise per coordinate; λ → 0 gives least squares given X', () => {
  const replace = ridgePolynomials(parseStrategy('replace'), 3);
  const out = new Float64Array(3);
  // one coordinate, μ = 3, λ = 1: m = 3/4, v = σ²·3/16; w̃* = 2
  ridgeConditionalError(replace, [3], [2], 1, 1, out);
  const m = 0.75;
  const v = 3 / 16;
  const expected = [1, 2, 3].map((n) => (m ** n - 1) ** 2 * 4 + v * Array.from({ length: n }, (_, k) => m ** (2 * k)).reduce((a, b) => a + b, 0));
  out.forEach((x, n) => assert.ok(Math.abs(x - expected[n]) < 1e-15, `n=${n + 1}: ${x} vs ${expected[n]}`));
  // λ → 0: σ²·Σ_j 1/μ_j·n for replace
  ridgeConditionalError(replace, [2, 5], [1, -1], 1e-12, 1.5, out);
  out.forEach((x, n) => assert.ok(Math.abs(x - 1.5 * (1 / 2 + 1 / 5) * (n + 1)) < 1e-9, `λ→0 n=${n + 1}: ${x}`));
});

test('P12: ridgeConditionalSpread — replace, n = 1 (P = m, Q = 1): Σ s⁴ = v², Σ μ²s² = (m − 1)²w̃²v per coordinate', () => {
  const polynomials = ridgePolynomials(parseStrategy('replace'), 2);
  const mu = [4, 0.5];
  const w = [0.3, -1.2];
  const lambda = 2;
  const sigma2 = 0.7;
  const chi4 = new Float64Array(2);
  const gauss = new Float64Array(2);
  ridgeConditionalSpread(polynomials, mu, w, lambda, sigma2, chi4, gauss);
  let c4 = 0;
  let g = 0;
  for (let j = 0; j < 2; j++) {
    const m = mu[j] / (mu[j] + lambda);
    const v = (sigma2 * mu[j]) / (mu[j] + lambda) ** 2;
    c4 += v * v;
    g += (m - 1) ** 2 * w[j] ** 2 * v;
  }
  assert.ok(Math.abs(chi4[0] - c4) < 1e-15 && Math.abs(gauss[0] - g) < 1e-15, `${chi4[0]} vs ${c4}, ${gauss[0]} vs ${g}`);
  // n = 2 (replace): P = m², Q = 1 + m²
  let c42 = 0;
  for (let j = 0; j < 2; j++) {
    const m = mu[j] / (mu[j] + lambda);
    const v = (sigma2 * mu[j]) / (mu[j] + lambda) ** 2;
    c42 += (v * (1 + m * m)) ** 2;
  }
  assert.ok(Math.abs(chi4[1] - c42) < 1e-15);
});
