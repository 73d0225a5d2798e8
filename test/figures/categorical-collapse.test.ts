/**
 * The categorical-collapse figure: registered; two panels (collision probability on log y, surviving share); band,
 * Monte Carlo and theory traces where the theory exists (K1, K2 everywhere; K4/K5 survival except fresh:0.5).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCategorical, categoricalCaption, categoricalCsv, computeCategorical } from '../../src/figures/categorical-collapse.js';
import { FIGURES } from '../../src/figures/index.js';
import { KEY_GROUP } from '../../src/figures/plotly.js';

test('categorical-collapse: two panels, dashed exact theory (K1 K2 K4 K5) except where none is derived', async () => {
  assert.ok(FIGURES.some((f) => f.id === 'categorical-collapse'));
  const data = await computeCategorical({ categories: 10, zipf: 1, samples: 10, iterations: 4, trials: 20 }, { seed: 2 });
  const { data: all, layout } = buildCategorical(data);
  const traces = all.filter((t) => t.legendgroup !== KEY_GROUP);
  assert.equal(all.length - traces.length, 2, 'a key: solid Monte Carlo, dashed theory');
  assert.equal((layout.yaxis as { type: string }).type, 'log');
  // panel 1: 4 × (band, MC, theory); panel 2: the same less fresh:0.5's theory
  assert.equal(traces.length, 12 + 11);
  assert.equal(traces.filter((t) => t.xaxis === 'x2').length, 11);
  assert.equal(traces.filter((t) => (t.line as { dash?: string } | undefined)?.dash === 'dash').length, 7);
  assert.equal(categoricalCsv(data).trim().split('\n').length, 1 + 4 * 4);
  assert.match(categoricalCaption(data, false), /npx collapse categorical --strategy replace/);
});
