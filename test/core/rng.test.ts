/**
 * Keyed host streams (C7): same key same stream, neighbouring keys unrelated, and the distributions right.
 * Kolmogorov–Smirnov: P(√n·D > x) ≤ 2·exp(−2x²), so x = √(ln(2K/α)/2) bounds K tests' family rate by α; KS and the
 * moment checks (zStar) get α = 5e-7 each, 1e-6 for the file. (The in-kernel generators are tested in test/kernels/.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillNormal, foldIn, KeyedGenerator, normalStream, rootKey } from '../../src/core/rng.js';
import { erfc, zStar } from '../../src/core/stats.js';

const KS_TESTS = 3;
// the file's 1e-6 budget split in halves: 3 KS tests and 6 z checks
const KS_BOUND = Math.sqrt(Math.log((2 * KS_TESTS) / 5e-7) / 2);
const Z = zStar(6, 5e-7);
const phi = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

function ksStatistic(sample: number[], cdf: (x: number) => number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs((i + 1) / sorted.length - f));
  });
  return d * Math.sqrt(sorted.length);
}

test('keys: derivation is deterministic, and siblings differ', () => {
  const root = rootKey(7);
  assert.equal(foldIn(root, 3), foldIn(rootKey(7), 3));
  const children = new Set(Array.from({ length: 10000 }, (_, i) => foldIn(root, i)));
  assert.equal(children.size, 10000);
  assert.throws(() => rootKey(-1));
  assert.throws(() => rootKey(2 ** 32));
  assert.throws(() => rootKey(1.5));
});

test('KeyedGenerator: same key same stream; uniform in (0, 1]; N(0, 1) passes KS; neighbouring keys uncorrelated', () => {
  const a = normalStream(123);
  const b = normalStream(123);
  const first = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(first, Array.from({ length: 1000 }, () => b()));
  const g = new KeyedGenerator(5);
  for (let i = 0; i < 100000; i++) {
    const u = g.uniform();
    assert.ok(u > 0 && u <= 1);
  }
  const normals = Array.from({ length: 100000 }, normalStream(9));
  assert.ok(ksStatistic(normals, phi) < KS_BOUND, 'normal KS');
  // one draw from each of 20,000 neighbouring keys: the per-trial design streams
  const root = rootKey(1);
  const firstDraws = Array.from({ length: 20000 }, (_, i) => new KeyedGenerator(foldIn(root, i)).normal());
  assert.ok(ksStatistic(firstDraws, phi) < KS_BOUND, 'first draws across keys KS');
  let lag = 0;
  for (let i = 1; i < firstDraws.length; i++) lag += firstDraws[i] * firstDraws[i - 1];
  assert.ok(Math.abs(lag / Math.sqrt(firstDraws.length - 1)) < Z, `lag-1 correlation across keys: ${lag}`);
});

test('KeyedGenerator.chisquare(k): mean k and variance 2k (k = 3, 50), and χ²(3) passes KS', () => {
  for (const k of [3, 50]) {
    const g = new KeyedGenerator(k);
    const n = 50000;
    const xs = Array.from({ length: n }, () => g.chisquare(k));
    const mean = xs.reduce((s, x) => s + x, 0) / n;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
    assert.ok(Math.abs((mean - k) / Math.sqrt((2 * k) / n)) < Z, `χ²(${k}) mean ${mean}`);
    // Var(s²) ≈ (μ4 − σ⁴)/n with μ4 = 12k(k + 4) + (2k)²·… for χ²: μ4 = 12k² + 48k, σ⁴ = 4k²
    assert.ok(Math.abs((variance - 2 * k) / Math.sqrt((12 * k * k + 48 * k - 4 * k * k) / n)) < Z, `χ²(${k}) variance ${variance}`);
    if (k === 3) {
      // χ²(3) CDF: erf(√(x/2)) − √(2x/π)·e^(−x/2)
      const cdf = (x: number) => (x <= 0 ? 0 : 1 - erfc(Math.sqrt(x / 2)) - Math.sqrt((2 * x) / Math.PI) * Math.exp(-x / 2));
      assert.ok(ksStatistic(xs, cdf) < KS_BOUND, 'χ²(3) KS');
    }
  }
});

test('fillNormal (long @stdlib streams): same key same values, moments of N(0, 1)', () => {
  const a = new Float64Array(100000);
  const b = new Float64Array(100000);
  fillNormal(a, 77);
  fillNormal(b, 77);
  assert.deepEqual(a, b);
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  assert.ok(Math.abs(mean * Math.sqrt(a.length)) < Z, `mean ${mean}`);
});
