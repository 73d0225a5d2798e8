/**
 * The statistics of --seeds (src/experiments/neural-seeds.ts): the t quantile against a numerical integration of the
 * Student-t density, the summary and the paired difference on hand-computed numbers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairedDifference, summarise, tQuantile975 } from '../../src/experiments/neural-seeds.js';
import type { NeuralPartReport } from '../../src/experiments/neural.js';

/** P(0 < T < t) for Student t with ν df, by Simpson's rule on 20,000 panels (error ≪ 1e-9 here). */
function tMass(t: number, nu: number): number {
  const logC = lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * Math.log(nu * Math.PI);
  const f = (x: number) => Math.exp(logC - ((nu + 1) / 2) * Math.log1p((x * x) / nu));
  const n = 20_000;
  const h = t / n;
  let sum = f(0) + f(t);
  for (let i = 1; i < n; i++) sum += (i % 2 ? 4 : 2) * f(i * h);
  return (sum * h) / 3;
}

/** ln Γ by the Lanczos approximation (g = 7, 9 terms; relative error ~1e-15). */
function lgamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61503916999185, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

test('t₀.₉₇₅,ν: the tabled values (ν ≤ 30) and the Cornish–Fisher ones (ν > 30) put 0.475 between 0 and t', () => {
  for (const nu of [1, 2, 3, 5, 9, 10, 29, 30, 31, 40, 60, 99]) {
    const mass = tMass(tQuantile975(nu), nu);
    // the table has 6 decimals (density ≤ 0.4: mass error ≤ 2e-7); Cornish–Fisher at ν ≥ 31 is within 1e-5 in t
    assert.ok(Math.abs(mass - 0.475) < (nu <= 30 ? 5e-7 : 5e-6), `ν = ${nu}: mass ${mass}`);
  }
  assert.throws(() => tQuantile975(0), /df ≥ 1/);
});

test('summarise: mean, s/√K, mean ± t·s/√K; one value has no interval', () => {
  const s = summarise([1, 2, 4]);
  assert.equal(s.mean, 7 / 3);
  const sd = Math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2);
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) <= 1e-14 * Math.abs(b), `${a} vs ${b}`);
  close(s.stderr as number, sd / Math.sqrt(3));
  close((s.ci95 as number[])[0], 7 / 3 - 4.302653 * (sd / Math.sqrt(3)));
  close((s.ci95 as number[])[1], 7 / 3 + 4.302653 * (sd / Math.sqrt(3)));
  assert.deepEqual(summarise([5]), { mean: 5, stderr: null, ci95: null });
});

test('pairedDifference: seed by seed, so a shared offset cancels', () => {
  const report = (trajectory: number, losses: number[]) => ({ config: { trajectory }, iterations: losses.map((mean, i) => ({ iteration: i + 1, mean })) }) as unknown as NeuralPartReport;
  const replace = [report(0, [1, 3]), report(1, [11, 14]), report(2, [21, 22.5])];
  const accumulate = [report(0, [1, 2]), report(1, [11, 12]), report(2, [21, 21])];
  const d = pairedDifference(replace, accumulate, 'accumulate');
  assert.deepEqual(d.iterations[0], { iteration: 1, mean: 0, stderr: 0, ci95: [0, 0] });
  assert.equal(d.iterations[1].mean, 1.5);
  assert.ok(Math.abs((d.iterations[1].stderr as number) - Math.sqrt(0.25 / 3)) < 1e-15);
  assert.throws(() => pairedDifference(replace, accumulate.slice(1), 'accumulate'), /paired difference of 3 and 2/);
});
