/**
 * The example external families (examples/external: Python with numpy, plain Node) through the generation loop under
 * replace and accumulate, as `collapse loop --family external` runs them: a 40-dimensional Gaussian fit by maximum
 * likelihood to m = 60 items, N = 2 generations.
 *
 * - replace, the closed form: E log(det Σ̂_n/det Σ₀) = n·Σ_{i≤d} [ψ((m − i)/2) + ln(2/m)] (replaceLogDetRatio, proofs
 *   G4). Each step multiplies det Σ̂ by det(W)/m^d with W ~ Wishart(m − 1, I) independent of the past, and by
 *   Bartlett det W = Π_i χ²_{m−i}: the statistic is a sum of independent ln(Gamma((m − i)/2)·2/m), so the band is
 *   Chernoff's from its exact cumulants (test/helpers/chernoff.ts), not a normal tail; all checks share 1e-6.
 * - accumulate, the trend, exactly: with the same seed both strategies fit model 1 on the same real set and draw
 *   set 2 from it with the same key, so replace's model 2 is the MLE of set 2 alone. Accumulate's model 2 pools both
 *   sets with weight ½: Σ̂ = ½A + ½B with A ⪰ Σ̂_1 and B ⪰ Σ̂_set2 (scatter about any centre exceeds scatter about the
 *   set's own mean), and log det is concave, so per seed log det Σ̂_2(acc) ≥ ½(log det Σ̂_1 + log det Σ̂_2(rep)).
 *   The loop, the pool weights and the program must all be right for this to hold.
 * - resume: the Node family killed (SIGKILL) after its first checkpoint and resumed gives the same numbers, bit for bit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { replaceLogDetRatio } from '../../../src/theory/gaussian.js';
import { collapseAsync, collapseSync, waitFor } from '../../cli/helpers.js';
import { logGammaSumBand } from '../../helpers/chernoff.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/external/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'collapse-external-'));
after(() => rmSync(work, { recursive: true, force: true }));

const D = 40;
const M = 60;
const N = 2;

/** A spec running `program` (its words before the operation) at dimension D, written as JSON. */
function writeSpec(name: string, program: string[]): string {
  const file = join(work, `${name}.json`);
  const words = (op: string, args: string[]) => [...program, String(D), op, ...args];
  writeFileSync(file, JSON.stringify({
    name,
    timeout: 120,
    real: words('real', ['{n}', '{seed}', '{out}']),
    fit: words('fit', ['{pool}', '{seed}', '{model}']),
    sample: words('sample', ['{model}', '{n}', '{seed}', '{out}']),
    evaluate: words('evaluate', ['{model}', '{test}', '{out}']),
  }));
  return file;
}

interface Results {
  strategies: { strategy: string; iterations: { iteration: number; metrics: Record<string, { mean: number; values: number[] }> }[] }[];
}

const loopArgs = (spec: string, seeds: number) => ['loop', '--family', 'external', '--spec', spec, '--strategy', 'replace,accumulate', '--iterations', String(N), '--samples', String(M), '--test-samples', '50', '--seeds', String(seeds), '--quiet'];

function runFamily(name: string, program: string[], seeds: number): Results {
  const out = join(work, `${name}-run`);
  const result = collapseSync([...loopArgs(writeSpec(name, program), seeds), '--out', out, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
  assert.deepEqual(JSON.parse(result.stdout).strategies, results.strategies);
  return results;
}

function checkGaussian(results: Results, seeds: number): void {
  const [replace, accumulate] = results.strategies;
  assert.deepEqual([replace.strategy, accumulate.strategy], ['replace', 'accumulate']);
  const logDet = (s: Results['strategies'][number], n: number) => s.iterations[n - 1].metrics.logDetRatio.values;
  for (let n = 1; n <= N; n++) {
    const shapes = Array.from({ length: n * D }, (_, j) => (M - 1 - (j % D)) / 2);
    const band = logGammaSumBand(shapes, 2 / M, seeds, 1e-6 / (2 * N));
    const theory = replaceLogDetRatio(D, M, n, 'mle');
    assert.ok(Math.abs(band.mean - theory) < 1e-9 * Math.abs(theory), `the band's centre ${band.mean} is the closed form ${theory}`);
    const mean = replace.iterations[n - 1].metrics.logDetRatio.mean;
    assert.ok(mean > theory - band.below && mean < theory + band.above, `replace n = ${n}: mean log det ratio ${mean} outside ${theory} −${band.below} +${band.above}`);
  }
  // model 1 is fit on the same real data under both strategies
  assert.deepEqual(logDet(accumulate, 1), logDet(replace, 1));
  for (let k = 0; k < seeds; k++) {
    const floor = (logDet(replace, 1)[k] + logDet(replace, 2)[k]) / 2;
    assert.ok(logDet(accumulate, 2)[k] >= floor - 1e-9 * Math.abs(floor), `seed ${k}: accumulate ${logDet(accumulate, 2)[k]} below ½(model 1 + replace model 2) = ${floor}`);
  }
  // the collapse itself: replace loses ≈ 13 nats of log det per generation, accumulate keeps near model 1
  assert.ok(accumulate.iterations[1].metrics.logDetRatio.mean > replace.iterations[1].metrics.logDetRatio.mean);
}

const node = [process.execPath, join(EXAMPLES, 'node', 'gaussian.mjs')];

test('the Node example family: replace follows its closed form, accumulate pools; killed and resumed it is bit-identical', { timeout: 300_000 }, async () => {
  const seeds = 2;
  const results = runFamily('gaussian-node', node, seeds);
  checkGaussian(results, seeds);

  // one seed, killed as soon as its first generation is checkpointed, then resumed: seed 0's numbers, bit for bit
  const dir = join(work, 'node-killed');
  const spec = writeSpec('gaussian-node-resume', node);
  const first = collapseAsync([...loopArgs(spec, 1), '--out', dir]);
  await waitFor(() => existsSync(join(dir, 'checkpoint.json')), 'the first checkpoint', 120_000);
  first.child.kill('SIGKILL');
  await first.done;
  const resumed = collapseSync(['loop', '--resume', dir, '--quiet', '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const again = JSON.parse(resumed.stdout) as Results;
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { status: string; segments: unknown[] };
  assert.equal(manifest.status, 'complete');
  assert.equal(manifest.segments.length, 2);
  results.strategies.forEach((s, i) =>
    s.iterations.forEach((row, n) => {
      for (const [name, metric] of Object.entries(row.metrics)) assert.equal(again.strategies[i].iterations[n].metrics[name].values[0], metric.values[0], `${s.strategy} n = ${n + 1} ${name}`);
    }),
  );
});

const numpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' });
const noNumpy = numpy.status === 0 ? false : `python3 with numpy is not installed (${(numpy.error?.message ?? numpy.stderr.trim().split('\n').pop()) || 'import numpy failed'}); .ci/run installs python3-numpy`;

test('the Python (numpy) example family: replace follows its closed form, accumulate pools', { skip: noNumpy, timeout: 300_000 }, () => {
  // one seed: each call imports numpy (~0.5 s of CPU); Chernoff's band holds for any number of trials
  const seeds = 1;
  checkGaussian(runFamily('gaussian-numpy', ['python3', join(EXAMPLES, 'python', 'gaussian.py')], seeds), seeds);
});
