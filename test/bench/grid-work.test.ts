/** bench/grid-work.ts: the paper grid's analytic work (bench:grid prints it), checked against enumeration and hand counts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cellWork, expectedDistinctRows, undrawnProbability } from '../../bench/grid-work.js';

/** Every T-subset of the m·T pooled rows (copy c of design row t is index c·T + t): the fraction leaving row 0 out. */
function undrawnByEnumeration(m: number, T: number): number {
  let subsets = 0;
  let missing = 0;
  const walk = (next: number, left: number, hit: boolean): void => {
    if (left === 0) {
      subsets++;
      if (!hit) missing++;
      return;
    }
    for (let i = next; i <= m * T - left; i++) walk(i + 1, left - 1, hit || i % T === 0);
  };
  walk(0, T, false);
  return missing / subsets;
}

test('P(a design row is not drawn) equals the enumeration of every subsample', () => {
  for (const [m, T] of [[1, 3], [2, 3], [3, 2], [2, 4], [4, 3], [3, 1]]) {
    assert.ok(Math.abs(undrawnProbability(m, T) - undrawnByEnumeration(m, T)) < 1e-12, `m=${m} T=${T}`);
  }
  // m = 2: C(2T − 2, T)/C(2T, T) = (T − 1)/(2(2T − 1)) exactly
  assert.ok(Math.abs(undrawnProbability(2, 1000) - 999 / 3998) < 1e-12);
  assert.equal(expectedDistinctRows(1, 50), 50);
});

test('cellWork: replace counted by hand (design, Xᵀε, moments, refits, draws)', () => {
  // d = 2, T = 5, 3 trials, 4 iterations: 4 data sets. Per trial: XᵀX 5·2·3 = 30, d³ = 8 host flops; per data set
  // 2·5·2 = 20 kernel and 2·4 = 8 host flops; per iteration 2·4 = 8 host flops; 5·2 + 2 + 4·5 = 32 normal draws.
  const w = cellWork({ strategy: 'replace', dim: 2, samples: 5, trials: 3, iterations: 4 });
  assert.deepEqual(w, { kernelFlops: 3 * 4 * 20, hostFlops: 3 * (30 + 8 + 4 * 8 + 4 * 8), gramFlops: 0, normalDraws: 3 * 32, uniformDraws: 0 });
});

test('cellWork: accumulate-subsample sums the Gram of E[r_n] rows over the generations, T uniform draws each', () => {
  const T = 20;
  const d = 3;
  const w = cellWork({ strategy: 'accumulate-subsample', dim: d, samples: T, trials: 2, iterations: 3 });
  const rows = [T, T * (1 - ((T * (T - 1)) / (2 * T * (2 * T - 1)))), expectedDistinctRows(3, T)];
  const gram = rows.reduce((s, r) => s + r * d * (d + 1), 0);
  assert.ok(Math.abs(w.gramFlops - 2 * gram) < 1e-6);
  assert.ok(Math.abs(w.kernelFlops - 2 * (gram + 3 * 2 * T * d + 3 * 2 * T * d)) < 1e-6); // + labels and Xᵀu per generation
  assert.equal(w.uniformDraws, 2 * 3 * T);
  assert.equal(w.normalDraws, 2 * (T * d + d + 3 * T));
  // T ≤ d: minimum-norm fits on the host, no Gram on the kernels
  const wide = cellWork({ strategy: 'accumulate-subsample', dim: 10, samples: 10, trials: 1, iterations: 2 });
  assert.equal(wide.gramFlops, 0);
  assert.equal(wide.kernelFlops, 2 * 2 * 10 * 10);
});
