/**
 * P6 as stated: the design-conditional residual R_n = ‖e_n‖² − σ²β_n²·tr(A⁻¹) of the reduced Monte Carlo has
 *   (i)  E[R_n² | X] = 2σ⁴β_n⁴·tr(A⁻²), hence Var R_n = 2σ⁴β_n⁴·E tr(A⁻²), and
 *   (ii) Var‖e_n‖² = Var R_n + σ⁴β_n⁴·Var tr(A⁻¹) — the reduction is exactly that, because Cov(R_n, tr A⁻¹) = 0.
 * Both are tested given the designs (recomputed from the run's own seed), on the run's float64 moments.
 *
 * Sizing (no normal tail): G = 30 independent runs. Given its designs a run's statistic u has mean 0 and variance 1
 * exactly (the conditional variances below are computed from the designs), so P(|u| ≥ 3) ≤ 1/9 (Chebyshev). A check
 * fails only if at least half the runs have |u| ≥ 3: P ≤ P(Binomial(30, 1/9) ≥ 15) < 2e-7 each, two checks per n and
 * two iterations: < 1e-6 for the file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldIn, rootKey } from '../../../src/core/rng.js';
import { STREAM } from '../../../src/core/streams.js';
import { drawReducedDesign } from '../../../src/models/linear/design.js';
import { simulateLinear, type MonteCarloMoments } from '../../../src/models/linear/monte-carlo.js';
import { parseStrategy } from '../../../src/strategies/index.js';
import { noiseFactorsNumeric } from '../../../src/theory/pool-weights.js';
import type { Moments } from '../../../src/core/stats.js';
import { sharedBackend } from '../../helpers/backend.js';

const backend = sharedBackend();
const G = 30;
const d = 3;
const T = 14;
const sigma2 = 1.5;
const N = 2;
const trials = 20000;
const strategy = parseStrategy('accumulate');
const factors = noiseFactorsNumeric(strategy, N); // β_n²

/** P(Binomial(n, p) ≥ k), exactly. */
function binomialTail(n: number, p: number, k: number): number {
  let total = 0;
  for (let j = k; j <= n; j++) {
    let c = 1;
    for (let i = 0; i < j; i++) c = (c * (n - i)) / (i + 1);
    total += c * p ** j * (1 - p) ** (n - j);
  }
  return total;
}

/** Sample variance from float64 moments. */
const sampleVariance = (m: Moments) => (m.sumSq - (m.sum * m.sum) / m.n) / (m.n - 1);

interface Group {
  moments: MonteCarloMoments;
  /** per trial: 1/λ_j (j = 0 … d−1) */
  inverse: Float64Array;
  trace: Float64Array;
}

let groups: Group[] | undefined;
async function runs(): Promise<Group[]> {
  if (groups) return groups;
  groups = [];
  for (let g = 0; g < G; g++) {
    const seed = 500 + g;
    const moments = await simulateLinear({ strategy, dim: d, samples: T, noise: sigma2, iterations: N, trials, seed, method: 'reduced', noiseFactors: factors }, backend());
    const design = drawReducedDesign(foldIn(rootKey(seed), STREAM.wishart), 0, trials, T, d);
    const inverse = new Float64Array(trials * d);
    for (let i = 0; i < trials; i++) for (let j = 0; j < d; j++) inverse[i * d + j] = design.noiseScale[j * trials + i] ** 2;
    // the recomputed designs are the run's: the same traces, the same Σ tr(A⁻²)
    let q = 0;
    for (const x of inverse) q += x * x;
    assert.ok(Math.abs(design.traceGramInverse.reduce((a, b) => a + b, 0) / moments.traceGramInverse.sum - 1) < 1e-12);
    assert.ok(Math.abs(q / (moments.gramInverseSquares as { sum: number }).sum - 1) < 1e-12);
    groups.push({ moments, inverse, trace: design.traceGramInverse });
  }
  return groups;
}

const BAD_RUNS = G / 2;
test('the sizing: P(Binomial(30, 1/9) ≥ 15) < 2e-7', () => {
  assert.ok(binomialTail(G, 1 / 9, BAD_RUNS) < 2e-7, String(binomialTail(G, 1 / 9, BAD_RUNS)));
});

/** Standardised E[R²|X] statistic of each run: (Σ R_i² − factor·c²·Σ q_i) / √(Σ Var(R_i²|X)). */
function identityOne(group: Group, n: number, factor: number): number {
  const c = sigma2 * factors[n];
  const residual = (group.moments.conditionalResidual as Moments[])[n];
  let q = 0;
  let variance = 0;
  for (let i = 0; i < trials; i++) {
    let a2 = 0;
    let a4 = 0;
    for (let j = 0; j < d; j++) {
      const w = c * group.inverse[i * d + j];
      a2 += w * w;
      a4 += w ** 4;
    }
    q += a2;
    // R = Σ a_j(ζ_j² − 1): κ2 = 2Σa², κ4 = 48Σa⁴, so Var R² = E R⁴ − (E R²)² = 48Σa⁴ + 8(Σa²)²
    variance += 48 * a4 + 8 * a2 * a2;
  }
  return (residual.sumSq - factor * q) / Math.sqrt(variance);
}

for (let n = 0; n < N; n++) {
  test(`P6 (i): E[R_${n + 1}² | X] = 2σ⁴β⁴·tr(A⁻²) in ≥ 16 of 30 runs within 3 conditional sd (and a factor 1 fails)`, async () => {
    const u = (await runs()).map((g) => identityOne(g, n, 2));
    assert.ok(u.filter((x) => Math.abs(x) >= 3).length < BAD_RUNS, u.map((x) => x.toFixed(2)).join(' '));
    const wrong = (await runs()).map((g) => identityOne(g, n, 1));
    assert.ok(wrong.filter((x) => Math.abs(x) >= 3).length >= BAD_RUNS, `the check has power: ${wrong.map((x) => x.toFixed(1)).join(' ')}`);
  });

  test(`P6 (ii): Var‖e_${n + 1}‖² − Var R = σ⁴β⁴·Var tr(A⁻¹) in ≥ 16 of 30 runs (the cross term within 3 conditional sd; half the reduction fails)`, async () => {
    const c = sigma2 * factors[n];
    const all = await runs();
    const statistic = (reduction: number) => all.map((g) => {
      // sample identity: sVar(e) = sVar(R) + c²·sVar(t) + 2c·sCov(R, t); the test is that the rest, 2c·sCov, is noise
      const rest = sampleVariance(g.moments.error[n]) - sampleVariance((g.moments.conditionalResidual as Moments[])[n]) - reduction * c * c * sampleVariance(g.moments.traceGramInverse);
      const mean = g.moments.traceGramInverse.mean;
      // given X, (N−1)·sCov = Σ_i R_i (t_i − t̄) = Σ_ij w_ij (ζ² − 1), w_ij = c (t_i − t̄)/λ_ij: variance 2Σw²
      let w2 = 0;
      for (let i = 0; i < trials; i++) for (let j = 0; j < d; j++) w2 += (c * (g.trace[i] - mean) * g.inverse[i * d + j]) ** 2;
      return ((rest * (trials - 1)) / (2 * c)) / Math.sqrt(2 * w2);
    });
    const u = statistic(1);
    assert.ok(u.filter((x) => Math.abs(x) >= 3).length < BAD_RUNS, u.map((x) => x.toFixed(2)).join(' '));
    const wrong = statistic(0.5); // half the stated reduction
    assert.ok(wrong.filter((x) => Math.abs(x) >= 3).length >= BAD_RUNS, `the check has power: ${wrong.map((x) => x.toFixed(1)).join(' ')}`);
  });
}
