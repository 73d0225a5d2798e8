/**
 * Stored verdicts (src/experiments/verify-stored.ts): every kind of verdict verify gives passes the range check a resume applies
 * to its checkpoint, and edits no run could give are refused, whatever the seal says.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { implausibleVerdict } from '../../src/experiments/verify-stored.js';
import { builtInCases, runVerify } from '../../src/experiments/verify.js';
import { sharedBackend } from '../helpers/backend.js';

const backend = sharedBackend();
// one case of every kind: least squares, Gaussian with constant metrics (stderr 0, z 0), ridge (judged by z|X),
// Gaussian, categorical and Hutter's tails (Bernstein), strong collapse (its S6 band)
const NAMES = ['replace reduced d=10 T=100 σ²=1', 'gaussian accumulate mle known-variance', 'accumulate reduced ridge λ=5 d=10 T=100 σ²=1', 'gaussian replace mle d=1 m=50', 'categorical replace zipf(1) K=20 m=50', 'tails hutter', 'strong mixed accumulate'];

test('real verdicts of every kind are plausible; edited ones are not', async () => {
  const all = builtInCases();
  const cases = NAMES.map((name) => all.find((c) => c.name.startsWith(name)) ?? assert.fail(`no case ${name}`));
  const report = await runVerify({ trials: { full: 100, reduced: 300 }, seed: 2, backend: backend(), cases });
  for (const [i, v] of report.cases.entries()) assert.equal(implausibleVerdict(structuredClone(v), cases[i]), null, v.name);
  const [linear, known, , gaussian, categorical] = report.cases;
  const edit = (v: object, change: (x: any) => void) => {
    const copy = structuredClone(v) as any;
    change(copy);
    return copy;
  };
  const refused: [string, object, number][] = [
    ['a mean of 5e303', edit(linear, (v) => (v.report.iterations[0].mean = 5e303)), 0],
    ['an infinite standard error', edit(gaussian, (v) => (v.report.iterations[0].metrics.logDetRatio.stderr = Infinity)), 3],
    ['a z that does not follow from the mean', edit(categorical, (v) => (v.report.iterations[0].z = 0.5 + (v.report.iterations[0].z ?? 0))), 4],
    ['an interval that misses the mean', edit(gaussian, (v) => (v.report.iterations[1].ci95 = [5, 6])), 3],
    ['a NaN-like string', edit(linear, (v) => (v.worstBandRatio = 'NaN')), 0],
    ['a negative |z|', edit(gaussian, (v) => (v.maxAbsZ = -1)), 3],
    ['a PASS outside its band', edit(linear, (v) => ((v.worstBandRatio = 3), (v.pass = true), (v.failures = []))), 0],
    ['another kind', edit(categorical, (v) => (v.kind = 'linear')), 4],
    ['a z of 3 where the standard error is 0', edit(known, (v) => {
      const constant = v.report.iterations.flatMap((r: any) => [r, ...Object.values(r.metrics)]).find((m: any) => m.stderr === 0 && m.z !== null) ?? assert.fail('no constant metric');
      constant.z = 3;
    }), 1],
    ['other iterations', edit(linear, (v) => v.report.iterations.pop()), 0],
  ];
  for (const [what, v, i] of refused) assert.notEqual(implausibleVerdict(v, cases[i]), null, what);
});
