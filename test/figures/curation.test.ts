/**
 * The curation figure (proofs/curation.md V3, V5, V7): registered; three panels; exact theory dashed where it exists
 * (curated Gaussian replace, projecting verifier), Monte Carlo only elsewhere; the verifier's own error as a reference
 * level; a key to the line styles; CSV rows for every point.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCuration, computeCuration, curationCaption, curationCsv } from '../../src/figures/curation.js';
import { FIGURES } from '../../src/figures/index.js';
import { KEY_GROUP } from '../../src/figures/plotly.js';

test('curation figure: three panels, theory where V3 and V5 give it, b² as the reference level, the curated variance below the uncurated', async () => {
  assert.ok(FIGURES.some((f) => f.id === 'curation'));
  const data = await computeCuration({ iterations: 3, trials: 60 }, { seed: 1 });
  const { data: traces, layout } = buildCuration(data);
  assert.deepEqual(traces.filter((t) => t.legendgroup === KEY_GROUP).map((t) => t.name), ['Monte Carlo mean (shaded: 95% band)', 'exact theory', 'reference level']);
  for (const axis of ['yaxis', 'yaxis2', 'yaxis3']) assert.ok(axis in layout, axis);
  const theory = traces.filter((t) => t.legendgroup !== KEY_GROUP && / theory$/.test(String(t.name))).map((t) => String(t.name));
  assert.deepEqual(theory, ['Gaussian: no verifier theory', 'Gaussian: threshold:-1.35 theory', 'Gaussian: top:0.5 theory', 'categorical: no verifier theory', 'linear: project λ=0.5 theory']); // uncurated categorical: K4
  const reference = traces.find((t) => String(t.name).startsWith("verifier's own error"));
  assert.deepEqual(reference?.y, [0.25, 0.25]);
  const gaussian = data.curves.filter((c) => c.panel === 0);
  assert.ok((gaussian[1].iterations[2].theory as number) < (gaussian[0].iterations[2].theory as number), 'κ < 1 lowers the variance');
  assert.equal(curationCsv(data).trim().split('\n').length, 1 + data.curves.length * 3);
  assert.match(curationCaption(data, true), /--quick/);
});
