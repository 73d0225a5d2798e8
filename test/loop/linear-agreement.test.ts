/**
 * The general path and the fast path agree on linear regression (issue 3): the generation loop with the linear
 * family (test/helpers/linear-family.ts, host float64, one trial at a time) against the batched gpu.js Monte Carlo
 * (src/models/linear/run.ts, method full), both against the exact theory σ²·d/(T−d−1)·Σ_j b_{n,j}² (proofs
 * linear-fixed-design.md P1, P2, P4) and against each other. The two paths draw from different streams, so they
 * agree in distribution, which the checks test: K checks at |z| < zStar(K), family false-failure rate below 1e-6.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rootKey } from '../../src/core/rng.js';
import { zStar } from '../../src/core/stats.js';
import { runTrials } from '../../src/loop/generation-loop.js';
import { linearFamily } from '../helpers/linear-family.js';
import { runLinear } from '../../src/models/linear/run.js';
import { parseStrategy } from '../../src/strategies/index.js';
import { expectedTestError } from '../../src/theory/linear-fixed-design.js';
import { sharedBackend } from '../helpers/backend.js';

const SETTING = { dim: 3, samples: 12, noise: 1 };
const ITERATIONS = 4;
const TRIALS = 10_000;
const WITH_THEORY = ['replace', 'accumulate', 'fresh:0.5', 'augment:1'];
// with theory: loop vs theory, fast vs theory, loop vs fast; accumulate-subsample: loop vs fast only
const K = WITH_THEORY.length * ITERATIONS * 3 + ITERATIONS;
const Z = zStar(K);

const backend = sharedBackend();

async function bothPaths(strategyName: string) {
  const strategy = parseStrategy(strategyName);
  const config = { strategy, iterations: ITERATIONS, samples: SETTING.samples, testSamples: 0 };
  const loop = await runTrials((_, key) => linearFamily(SETTING, key), config, TRIALS, rootKey(21));
  const fast = await runLinear(
    { strategy: strategyName, ...SETTING, iterations: ITERATIONS, trials: TRIALS, seed: 22, method: 'full', backend: 'auto' },
    { backend: backend() },
  );
  return { loop: loop.moments.get('error')!, fast: fast.iterations };
}

for (const name of WITH_THEORY) {
  test(`P1 P2 P4, ${name}: the loop with LinearFamily and the fast kernels agree with the closed form and each other (|z| < ${Z.toFixed(2)})`, async () => {
    const { loop, fast } = await bothPaths(name);
    const theory = expectedTestError(parseStrategy(name), { sigma2: SETTING.noise, dim: SETTING.dim, samples: SETTING.samples }, ITERATIONS);
    for (let n = 0; n < ITERATIONS; n++) {
      const zLoop = (loop[n].mean - theory[n]) / loop[n].stderr;
      const zFast = (fast[n].mean - theory[n]) / fast[n].stderr;
      const zBoth = (loop[n].mean - fast[n].mean) / Math.hypot(loop[n].stderr, fast[n].stderr);
      const where = `n=${n + 1}: loop ${loop[n].mean} ± ${loop[n].stderr}, fast ${fast[n].mean} ± ${fast[n].stderr}, theory ${theory[n]}`;
      assert.ok(Math.abs(zLoop) < Z, `${where}, z(loop) ${zLoop}`);
      assert.ok(Math.abs(zFast) < Z, `${where}, z(fast) ${zFast}`);
      assert.ok(Math.abs(zBoth) < Z, `${where}, z(loop − fast) ${zBoth}`);
    }
  });
}

test('accumulate-subsample (no closed form): the loop and the fast kernels agree with each other', async () => {
  const { loop, fast } = await bothPaths('accumulate-subsample');
  for (let n = 0; n < ITERATIONS; n++) {
    const z = (loop[n].mean - fast[n].mean) / Math.hypot(loop[n].stderr, fast[n].stderr);
    assert.ok(Math.abs(z) < Z, `n=${n + 1}: loop ${loop[n].mean} ± ${loop[n].stderr}, fast ${fast[n].mean} ± ${fast[n].stderr}, z ${z}`);
  }
});
