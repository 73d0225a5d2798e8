/**
 * The strong-collapse figure (proofs/strong-collapse.md S2–S3): registered, log–log, an exact line and Monte Carlo
 * markers per share, a floor per share > 0 that the exact curve approaches from above; the CSV and the caption.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIGURES } from '../../src/figures/index.js';
import { buildStrong, computeStrong, strongCaption, strongCsv } from '../../src/figures/strong-collapse.js';

test('strong-collapse: log–log, exact lines above their floors p₂²‖Δ‖², Monte Carlo beside them; CSV and caption', async () => {
  assert.ok(FIGURES.some((f) => f.id === 'strong-collapse'));
  const settings = { dim: 3, noise: 1, shift: 1, shares: [0, 0.2], maxSamples: 2000, monteCarloSizes: [10, 100], trials: 60 };
  const data = await computeStrong(settings, { seed: 1 });
  const figure = buildStrong(data);
  const layout = figure.layout as { xaxis: { type: string }; yaxis: { type: string } };
  assert.equal(layout.xaxis.type, 'log');
  assert.equal(layout.yaxis.type, 'log');
  const [clean, shifted] = data.curves;
  assert.equal(clean.floor, null);
  assert.ok(Math.abs((shifted.floor as number) - 0.04) < 1e-15);
  // S3: above the floor at every n, within 10% of it at n = 2000, while clean data keep falling far below it
  assert.ok(shifted.exact.every(([, e]) => e > 0.04));
  assert.ok(shifted.exact[shifted.exact.length - 1][1] < 0.044);
  assert.ok(clean.exact[clean.exact.length - 1][1] < 0.002);
  assert.equal(shifted.monteCarlo.length, 2);
  assert.ok(shifted.monteCarlo.every((r) => r.theory !== null && Number.isFinite(r.mean))); // the Monte Carlo is judged in test/theory/strong-collapse.test.ts
  assert.equal(strongCsv(data).trim().split('\n').length, 1 + 2 * (clean.exact.length + 2));
  assert.match(strongCaption(data, true), /--quick/);
  assert.ok(figure.data.filter((t) => String(t.name).endsWith('floor')).length === 1);
});
