/**
 * The explorer's state, theory, downloads and commands, without a browser (src/site/model.ts). Exact checks only:
 * the theory is the library's own numbers, the commands run through the real CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { parseStrategy } from '../../src/strategies/index.js';
import { ACCUMULATE_BOUND } from '../../src/theory/harmonic.js';
import { expectedTestError } from '../../src/theory/linear-fixed-design.js';
import { categoricalTheory, realDistribution, validateCategoricalConfig } from '../../src/experiments/categorical.js';
import { command, compute, decodeState, DEFAULT_STATE, encodeState, toCsv, toJson, type ExplorerState, type McResult } from '../../src/site/model.js';

const root = join(import.meta.dirname, '../..');
const state = (over: Partial<ExplorerState>): ExplorerState => ({ ...DEFAULT_STATE, strategies: [...DEFAULT_STATE.strategies], ...over });

test('a state survives the URL fragment, strategies with commas, spaces, & and # included', () => {
  const s = state({ family: 'gaussian', strategies: ['accumulate', 'weights:max(0, i - n + 3)', 'weights:n&i#x', 'fresh:0.618'], dim: '7', samples: '50', noise: '0.25', trials: '123', seed: '9', method: 'reduced', estimator: 'unbiased', backend: 'webgl' });
  assert.deepEqual(decodeState(`#${encodeState(s)}`), s);
  assert.deepEqual(decodeState(''), state({}));
  assert.equal(decodeState('family=poisson&d=3').family, 'linear', 'an unknown family falls back to the default');
  assert.equal(decodeState('family=poisson&d=3').dim, '3');
  const k = state({ family: 'categorical', strategies: ['replace', 'window:2'], categories: '37', zipf: '0.75', samples: '12', iterations: '4', trials: '50', seed: '11' });
  assert.deepEqual(decodeState(`#${encodeState(k)}`), k);
  assert.match(encodeState(k), /(^|&)K=37&beta=0\.75(&|$)/);
});

test('the theory is the library\'s, the bound π²/6·σ²·d/(T−d−1), strategies without a closed form say so', () => {
  const c = compute(state({ strategies: ['replace', 'window:3', 'accumulate-subsample'], dim: '4', samples: '20', noise: '2.5', iterations: '5' }));
  assert.deepEqual(c.series[0].theory, expectedTestError(parseStrategy('replace'), { sigma2: 2.5, dim: 4, samples: 20 }, 5));
  assert.deepEqual(c.series[1].theory, expectedTestError(parseStrategy('window:3'), { sigma2: 2.5, dim: 4, samples: 20 }, 5));
  assert.equal(c.series[2].theory, null);
  assert.match(c.series[2].noTheory ?? '', /Monte Carlo only/);
  assert.equal(c.bound, ACCUMULATE_BOUND * 2.5 * (4 / 15));
});

test('bad input is a one-line UsageError, the CLI\'s own message', () => {
  const cases: [Partial<ExplorerState>, RegExp][] = [
    [{ dim: '10', samples: '11' }, /--samples must be ≥ dim \+ 2 \(= 12\)/],
    [{ strategies: ['weights:(i +'] }, /weights:<expr> needs an expression in n and i that mathjs can parse/],
    [{ strategies: ['window:0'] }, /--strategy window/],
    [{ strategies: [] }, /at least one strategy/],
    [{ trials: '1' }, /--trials must be an integer/],
    [{ noise: '-1' }, /--noise must be a number/],
    [{ iterations: '2.5' }, /--iterations must be an integer/],
    [{ family: 'gaussian', dim: '5', samples: '5' }, /--samples must be ≥ dim \+ 1/],
    [{ family: 'categorical', categories: '1' }, /--categories/],
    [{ family: 'categorical', zipf: '-0.5' }, /--zipf/],
    [{ family: 'categorical', zipf: 'abc' }, /--zipf/],
    [{ family: 'categorical', samples: '0' }, /--samples/],
  ];
  for (const [over, message] of cases) {
    assert.throws(() => compute(state(over)), (error: unknown) => error instanceof UsageError && message.test(error.message) && !error.message.includes('\n'), JSON.stringify(over));
  }
});

test('CSV and JSON carry theory and Monte Carlo; the command quotes for the shell and runs in the CLI', () => {
  const s = state({ strategies: ['accumulate', 'weights:max(0, i - n + 3)'], dim: '3', samples: '12', iterations: '3', trials: '20', seed: '4' });
  const c = compute(s);
  const mc: McResult = { strategy: 'accumulate', backend: 'webgl2', backendReason: 'requested', seconds: 1, rows: [1, 2, 3].map((n) => ({ iteration: n, mean: n, stderr: 0.1, ci95: [n - 0.2, n + 0.2], theory: c.series[0].theory![n - 1], z: 0 })) };
  const csv = toCsv(c, [mc]).trim().split('\n');
  assert.equal(csv[0], 'strategy,iteration,theory,mean,stderr,ci95_low,ci95_high,z');
  assert.equal(csv.length, 1 + 2 * 3);
  assert.equal(csv[1], `accumulate,1,${c.series[0].theory![0]},1,0.1,0.8,1.2,0`);
  assert.ok(csv[4].startsWith(`"weights:max(0, i - n + 3)",1,${c.series[1].theory![0]},,`), csv[4]);
  const json = JSON.parse(toJson(s, c, [mc]));
  assert.equal(json.series[0].monteCarlo.backend, 'webgl2');
  assert.match(json.series[0].command, /--backend cpu --json$/);
  const line = command(c.series[1].spec, 'cpu');
  assert.equal(line, "npx collapse linear --strategy 'weights:max(0, i - n + 3)' --dim 3 --samples 12 --noise 1 --iterations 3 --trials 20 --seed 4 --method full --backend cpu --json");
  // the shell reads it back as the CLI's arguments (bin/collapse.js runs dist/, as in every CLI test: npm run build first)
  const out = execFileSync('bash', ['-c', line.replace(/^npx collapse/, `node ${join(root, 'bin/collapse.js')}`)], { encoding: 'utf8' });
  assert.equal(JSON.parse(out).config.strategy, 'weights:max(0, i - n + 3)');
  assert.equal(command(compute(state({ family: 'gaussian', strategies: ['replace'] })).series[0].spec), 'npx collapse gaussian --strategy replace --dim 10 --samples 100 --estimator mle --iterations 20 --trials 500 --seed 0 --json');
});

test('categorical: the theory is the collision probability runCategorical reports, and the command reproduces it in the CLI', () => {
  const s = state({ family: 'categorical', strategies: ['replace', 'accumulate', 'fresh:0.618', 'weights:2^(i-n)', 'accumulate-subsample'], categories: '50', zipf: '1.2', samples: '20', iterations: '5', trials: '2', seed: '1' });
  const c = compute(s);
  assert.equal(c.bound, null);
  for (const series of c.series.slice(0, 4)) {
    const config = validateCategoricalConfig({ strategy: series.strategy, categories: 50, zipf: 1.2, samples: 20, iterations: 5, trials: 2, seed: 1 });
    const expected = categoricalTheory(config, realDistribution(config)).collision as number[];
    assert.equal(series.theory?.length, 5, series.strategy);
    series.theory!.forEach((t, i) => assert.ok(Math.abs(t - expected[i]) <= 1e-9 * expected[i], `${series.strategy} n=${i + 1}: ${t} vs ${expected[i]}`));
  }
  // replace's closed form (K1): 1 − (1 − 1/m)ⁿ (1 − S₀)
  const s0 = realDistribution({ categories: 50, zipf: 1.2, counts: null }).s0;
  c.series[0].theory!.forEach((t, i) => assert.ok(Math.abs(t - (1 - (1 - 1 / 20) ** (i + 1) * (1 - s0))) < 1e-12));
  assert.equal(c.series[4].theory, null);
  assert.match(c.series[4].noTheory ?? '', /Monte Carlo only/);
  const line = command(c.series[3].spec);
  assert.equal(line, "npx collapse categorical --strategy 'weights:2^(i-n)' --categories 50 --zipf 1.2 --samples 20 --iterations 5 --trials 2 --seed 1 --json");
  const out = JSON.parse(execFileSync('bash', ['-c', line.replace(/^npx collapse/, `node ${join(root, 'bin/collapse.js')}`)], { encoding: 'utf8' }));
  assert.equal(out.config.strategy, 'weights:2^(i-n)');
  assert.deepEqual(out.iterations.map((r: { theory: number }) => r.theory), c.series[3].theory);
  const csv = toCsv(c, []).trim().split('\n');
  assert.equal(csv.length, 1 + 4 * 5, 'theory rows for the four strategies with a closed form');
  assert.equal(JSON.parse(toJson(s, c, [])).series[0].command, command(c.series[0].spec));
});
