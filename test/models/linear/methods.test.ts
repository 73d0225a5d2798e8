/**
 * The method records (src/models/linear/methods.ts): exactly one selects any configuration, the one the old nested
 * choice picked, and the chunk widths they give are the widths runs had before the records (a checkpoint records
 * its chunk width, so a changed width would stop old runs from resuming). Pure arithmetic: no kernels run.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LINEAR_METHODS, methodFor } from '../../../src/models/linear/methods.js';
import { chunkTrials } from '../../../src/models/linear/monte-carlo.js';
import type { LinearRun } from '../../../src/models/linear/method.js';
import { parseStrategy, STRATEGIES } from '../../../src/strategies/index.js';

function run(strategy: string, method: 'full' | 'reduced', design: 'fixed' | 'random', dim: number, samples: number, iterations: number, trials: number, samples0?: number): LinearRun {
  return { strategy: parseStrategy(strategy), method, design, dim, samples, iterations, trials, samples0, noise: 1, seed: 0 };
}

test('the method names are distinct', () => {
  const names = LINEAR_METHODS.map((m) => m.name);
  assert.equal(new Set(names).size, names.length);
});

test('exactly one method selects every design × strategy fit × --method, the one the old nested choice ran', () => {
  const strategies = [...Object.keys(STRATEGIES), 'window:3', 'fresh:0.5', 'augment:1'];
  for (const name of strategies) {
    for (const method of ['full', 'reduced'] as const) {
      for (const design of ['fixed', 'random'] as const) {
        const r = run(name, method, design, 5, 20, 4, 100);
        const selected = LINEAR_METHODS.filter((m) => m.selects(r)).map((m) => m.name);
        // the order the driver chose in before the records: random design, then subsampling, then --method
        const expected = design === 'random' ? 'random-design' : r.strategy.fit === 'subsample' ? 'subsample' : method;
        assert.deepEqual(selected, [expected], `${name} --method ${method} --design ${design}`);
        assert.equal(methodFor(r).name, expected);
      }
    }
  }
});

test('chunk widths are those of the code before the method records (computed there)', () => {
  const cases: [LinearRun, number][] = [
    [run('replace', 'full', 'fixed', 1024, 2000, 30, 100000), 4],
    [run('replace', 'full', 'fixed', 5, 20, 4, 2000), 2000],
    [run('fresh:0.5', 'full', 'fixed', 64, 1000, 50, 100000), 130],
    [run('replace', 'reduced', 'fixed', 1024, 2000, 30, 100000), 2703],
    [run('window:3', 'reduced', 'fixed', 200, 5000, 10, 1000000), 1676],
    [run('window:3', 'reduced', 'fixed', 64, 1000, 50, 100000), 4000],
    [run('accumulate-subsample', 'full', 'fixed', 10, 100, 20, 10000), 3334],
    [run('accumulate-subsample', 'full', 'fixed', 64, 1000, 50, 100000), 130],
    [run('accumulate', 'full', 'random', 64, 1000, 50, 100000), 131],
    [run('accumulate', 'full', 'random', 64, 1000, 50, 100000, 3000), 43],
    [run('accumulate', 'full', 'random', 200, 5000, 10, 1000000, 15000), 2],
    [run('augment:1', 'reduced', 'random', 64, 1000, 50, 100000), 131],
    [run('augment:1', 'reduced', 'random', 10, 100, 20, 10000, 300), 2000],
  ];
  for (const [r, width] of cases) {
    assert.equal(chunkTrials(r), width, `${r.strategy.name} ${r.method} ${r.design} d=${r.dim} T=${r.samples} N=${r.iterations} T0=${r.samples0}`);
  }
  assert.equal(chunkTrials({ ...run('replace', 'full', 'fixed', 5, 20, 4, 2000), batch: 100 }), 100);
});
