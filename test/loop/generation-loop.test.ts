/**
 * The generation loop: which data sets it draws and from which model, how a pool's composition follows
 * poolWeights (exactly for weighted fits, in expectation for subsampled ones), and determinism under keys.
 * Statistical checks share a family false-failure budget of 1e-6 (C6): K checks, each at |z| < zStar(K).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fraction, type Fraction } from 'mathjs';
import { fractionToNumber } from '../../src/core/fraction.js';
import { foldIn, rootKey, type Key } from '../../src/core/rng.js';
import { zStar } from '../../src/core/stats.js';
import { formPool, LOOP_STREAM, loopPlan, runTrajectory, runTrials } from '../../src/loop/generation-loop.js';
import type { Metrics, ModelFamily, Pool } from '../../src/models/model.js';
import { gaussianFamily } from '../../src/models/gaussian/family.js';
import { dataPlan, parseStrategy, STRATEGY_EXAMPLES } from '../../src/strategies/index.js';
import type { PoolStrategy } from '../../src/strategies/strategy.js';

/** An item remembers the data set it was drawn for and its row; a model remembers its pool. */
interface Item {
  set: number;
  row: number;
}
interface Tracer {
  model: number;
  pool: Pool<Item[]>;
}

/**
 * A family that draws no numbers: data set s is [{ set: s, row }…] and every call is logged, so a test can compare
 * the loop's behaviour with the strategy's data plan and weights.
 */
function tracerFamily(plan: { sources: readonly number[] }) {
  const log: { kind: 'real' | 'sample'; model: number; n: number }[] = [];
  const fits: Tracer[] = [];
  let nextSet = 1;
  const family: ModelFamily<Tracer, Item[]> = {
    name: 'tracer',
    real: async (n) => {
      if (n === 0) return [];
      log.push({ kind: 'real', model: 0, n });
      const set = nextSet++;
      assert.equal(plan.sources[set - 1], 0, `set ${set} should come from model ${plan.sources[set - 1]}, the loop asked the real data`);
      return Array.from({ length: n }, (_, row) => ({ set, row }));
    },
    sample: async (params, n) => {
      log.push({ kind: 'sample', model: params.model, n });
      const set = nextSet++;
      assert.equal(plan.sources[set - 1], params.model, `set ${set} should come from model ${plan.sources[set - 1]}, the loop sampled model ${params.model}`);
      return Array.from({ length: n }, (_, row) => ({ set, row }));
    },
    fit: async (pool) => {
      const model = { model: fits.length + 1, pool };
      fits.push(model);
      return model;
    },
    evaluate: async (params): Promise<Metrics> => ({ model: params.model }),
    size: (data) => data.length,
    take: (data, rows) => rows.map((r) => data[r]),
  };
  return { family, log, fits };
}

const ITERATIONS = 7;
const M = 5;

for (const name of STRATEGY_EXAMPLES) {
  test(`loop: ${name} draws each data set from the source its data plan names, and weighted pools are exactly poolWeights`, async () => {
    const strategy = parseStrategy(name);
    const plan = dataPlan(strategy, ITERATIONS);
    const { family, log, fits } = tracerFamily(plan);
    const metrics = await runTrajectory(family, { strategy, iterations: ITERATIONS, samples: M, testSamples: 0 }, 42);
    assert.deepEqual(metrics.map((x) => x.model), Array.from({ length: ITERATIONS }, (_, i) => i + 1));
    assert.equal(log.length, plan.sources.length);
    assert.ok(log.every((call) => call.n === M));
    fits.forEach(({ pool }, index) => {
      const weights = strategy.poolWeights(index + 1).map(fractionToNumber);
      assert.ok(pool.every((part) => part.data.every((item) => item.set === part.set)), 'a part holds items of its own set only');
      if (strategy.fit === 'subsample') {
        assert.equal(pool.reduce((s, p) => s + p.data.length, 0), M, 'a subsample has the budget m');
        const rows = pool.flatMap((p) => p.data.map((item) => `${item.set}:${item.row}`));
        assert.equal(new Set(rows).size, M, 'uniform weights: drawn without replacement');
        assert.ok(pool.every((p) => weights[p.set - 1] > 0 && p.weight === p.data.length / M));
      } else {
        assert.deepEqual(pool.map((p) => p.set), weights.flatMap((w, s) => (w > 0 ? [s + 1] : [])), 'the pool is the sets of positive weight');
        for (const part of pool) {
          assert.equal(part.weight, weights[part.set - 1]);
          assert.equal(part.data.length, M, 'whole data sets');
        }
      }
    });
  });
}

test('loopPlan: data sets and models are kept exactly as long as a later step reads them', () => {
  const replacePlan = loopPlan(parseStrategy('replace'), 5);
  assert.deepEqual(replacePlan.lastSetUse, [1, 2, 3, 4, 5]);
  assert.deepEqual(replacePlan.lastModelUse, [1, 2, 3, 4, 5, 0]);
  const accumulatePlan = loopPlan(parseStrategy('accumulate'), 4);
  assert.deepEqual(accumulatePlan.lastSetUse, [4, 4, 4, 4]);
  const fresh = loopPlan(parseStrategy('fresh:0.5'), 3);
  assert.deepEqual(fresh.sources, [0, 0, 1, 0, 2]);
  assert.deepEqual(fresh.lastSetUse, [1, 2, 2, 3, 3]);
  assert.equal(fresh.fit, 'weighted');
  assert.equal(loopPlan(parseStrategy('accumulate-subsample'), 2).fit, 'subsample');
});

/** Subsampled fits with unequal weights: each of the m draws picks set s with probability a_s (with replacement). */
const unequalSubsample: PoolStrategy = {
  name: 'test-unequal-subsample',
  description: 'test only: weights ∝ s over the sets so far, subsampled',
  source: 'test/loop/generation-loop.test.ts',
  poolWeights(n: number): Fraction[] {
    return Array.from({ length: n }, (_, s) => fraction(2 * (s + 1), n * (n + 1)));
  },
  fit: 'subsample',
};

// composition checks: 4 sets of the uniform case + 4 of the unequal one
const K = 8;
const Z = zStar(K);

test(`formPool, subsample: the expected share of each data set in the budget is its pool weight (${K} checks at |z| < ${Z.toFixed(2)})`, () => {
  const { family } = tracerFamily({ sources: [0, 0, 0, 0] });
  const sets = [1, 2, 3, 4].map((set) => Array.from({ length: 10 }, (_, row) => ({ set, row })));
  const draws = 20_000;
  for (const [strategy, budget] of [
    [parseStrategy('accumulate-subsample'), 10],
    [unequalSubsample, 10],
  ] as const) {
    const weights = strategy.poolWeights(4).map(fractionToNumber);
    const counts = [0, 0, 0, 0];
    const squares = [0, 0, 0, 0];
    for (let r = 0; r < draws; r++) {
      const pool = formPool(family, weights, sets, 'subsample', budget, foldIn(7, r));
      assert.equal(pool.reduce((s, p) => s + p.data.length, 0), budget);
      const here = [0, 0, 0, 0];
      for (const part of pool) here[part.set - 1] += part.data.length;
      here.forEach((c, s) => {
        counts[s] += c;
        squares[s] += c * c;
      });
    }
    weights.forEach((a, s) => {
      const mean = counts[s] / draws;
      const variance = (squares[s] - draws * mean * mean) / (draws - 1);
      const z = (mean - budget * a) / Math.sqrt(variance / draws);
      assert.ok(Math.abs(z) < Z, `${strategy.name}: set ${s + 1} mean count ${mean}, expected ${budget * a} (weight ${a}), z ${z}`);
    });
  }
});

test('formPool: a weighted pool of zero-weight sets skips them; a pool that weights a dropped set throws', () => {
  const { family } = tracerFamily({ sources: [0, 0] });
  const sets = [[{ set: 1, row: 0 }], [{ set: 2, row: 0 }]];
  assert.deepEqual(formPool(family, [0, 1], sets, 'weighted', 1, 0).map((p) => p.set), [2]);
  assert.throws(() => formPool(family, [0.5, 0.5], [undefined, sets[1]], 'weighted', 1, 0), /dropped/);
});

test('determinism: the same key gives the same trajectory; runTrials trial t is runTrajectory with its key; a different seed differs', async () => {
  const strategy = parseStrategy('fresh:0.5');
  const config = { strategy, iterations: 5, samples: 6, testSamples: 0 };
  const family = gaussianFamily({ dim: 2, estimator: 'unbiased' });
  const a = await runTrajectory(family, config, 123);
  const b = await runTrajectory(gaussianFamily({ dim: 2, estimator: 'unbiased' }), config, 123);
  assert.deepEqual(a, b);
  const root = rootKey(9);
  const summary = await runTrials(() => family, config, 3, root, { keep: ['traceRatio'] });
  const trial2 = await runTrajectory(family, config, foldIn(foldIn(root, LOOP_STREAM.trial), 2));
  trial2.forEach((row, n) => assert.equal(summary.values.get('traceRatio')?.[n][2], row.traceRatio));
  const again = await runTrials(() => family, config, 3, root, { keep: ['traceRatio'] });
  assert.deepEqual([...again.moments.get('w2')!.map((m) => m.sum)], [...summary.moments.get('w2')!.map((m) => m.sum)]);
  const other = await runTrials(() => family, config, 3, rootKey(10));
  assert.notDeepEqual([...other.moments.get('w2')!.map((m) => m.sum)], [...summary.moments.get('w2')!.map((m) => m.sum)]);
});

test('runTrials: a non-finite metric is a NumericError naming the metric, generation and trial', async () => {
  const broken: ModelFamily<number, number[]> = {
    name: 'broken',
    real: async (n) => new Array<number>(n).fill(0),
    sample: async (_, n) => new Array<number>(n).fill(0),
    fit: async (_pool, key: Key) => key,
    evaluate: async () => ({ loss: NaN }),
    size: (d) => d.length,
    take: (d, rows) => rows.map((r) => d[r]),
  };
  await assert.rejects(
    runTrials(() => broken, { strategy: parseStrategy('replace'), iterations: 2, samples: 3, testSamples: 0 }, 2, 1),
    (error: Error) => error.name === 'NumericError' && /loss is NaN at generation 1 of trial 0 \(replace\)/.test(error.message),
  );
});

test('loop: drawnMetrics sees exactly the data sets step n drew, with their sources, merged after evaluate\'s metrics', async () => {
  for (const name of ['replace', 'accumulate', 'fresh:0.5', 'window:2']) {
    const strategy = parseStrategy(name);
    const plan = dataPlan(strategy, 4);
    const { family } = tracerFamily(plan);
    const seen: { sets: number[]; sources: number[] }[] = [];
    const withDrawn: ModelFamily<Tracer, Item[]> = {
      ...family,
      drawnMetrics: (drawn) => {
        seen.push({ sets: drawn.map((d) => d.data[0].set), sources: drawn.map((d) => d.source) });
        return { drawn: drawn.length, model: -1 };
      },
    };
    const metrics = await runTrajectory(withDrawn, { strategy, iterations: 4, samples: 3, testSamples: 0 }, rootKey(1));
    assert.deepEqual(seen.map((s) => s.sets), plan.added.map((sets) => [...sets]), name);
    assert.deepEqual(seen.map((s) => s.sources), plan.added.map((sets) => sets.map((s) => plan.sources[s - 1])), name);
    // drawnMetrics' names come after (and over) evaluate's
    assert.deepEqual(metrics, plan.added.map((sets) => ({ model: -1, drawn: sets.length })), name);
  }
});
