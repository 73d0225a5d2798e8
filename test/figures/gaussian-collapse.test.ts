import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildGaussian, gaussianCaption, gaussianCsv, type GaussianFigureData } from '../../src/figures/gaussian-collapse.js';

function row(iteration: number, theory: number | null) {
  const metric = { mean: 0.9 ** iteration, stderr: 0.01, ci95: [0.8, 1] as [number, number], theory: null, z: null };
  return { iteration, mean: 0.95 ** iteration, stderr: 0.01, ci95: [0.9, 1] as [number, number], theory, z: null, zConditional: null, metrics: { medianVarianceRatio: metric } };
}

const data: GaussianFigureData = {
  settings: { dim: 1, samples: 20, iterations: 3, trials: 100 },
  curves: [
    { strategy: 'replace', estimator: 'mle', command: 'npx collapse gaussian --strategy replace', seconds: 1, iterations: [1, 2, 3].map((n) => row(n, 0.95 ** n)) },
    { strategy: 'accumulate-subsample', estimator: 'mle', command: 'npx collapse gaussian --strategy accumulate-subsample', seconds: 1, iterations: [1, 2, 3].map((n) => row(n, null)) },
  ],
};

test('gaussian-collapse: band + mean + median per curve, theory only where every iteration has one, then the key', () => {
  const figure = buildGaussian(data);
  assert.equal(figure.data.length, 4 + 3 + 3); // replace: band, mean, theory, median; subsample: band, mean, median; key
  // both rows stay within a factor 4 (0.86–1): linear y, zoomed
  assert.equal((figure.layout.yaxis as { type: string }).type, 'linear');
  assert.equal(figure.data.filter((t) => t.legendgroup !== 'line style' && String(t.name).endsWith('theory')).length, 1);
});

test('gaussian-collapse: CSV has one row per curve and iteration; the caption quotes each command and, with --quick, the wider bands', () => {
  assert.equal(gaussianCsv(data).trim().split('\n').length, 1 + 6);
  const caption = gaussianCaption(data, true);
  assert.match(caption, /npx collapse gaussian --strategy replace/);
  assert.match(caption, /--quick: .* bands are about .* as wide/);
});
