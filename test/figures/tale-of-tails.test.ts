/**
 * The tale-of-tails figure (proofs/tails.md H1–H3): registered, log–log, one line + Monte Carlo markers per curve and a
 * plateau for each cut; the exact curves show the plateau and the recovery; CSV rows for every point.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIGURES } from '../../src/figures/index.js';
import { KEY_GROUP } from '../../src/figures/plotly.js';
import { buildTails, computeTails, tailsCaption, tailsCsv } from '../../src/figures/tale-of-tails.js';

test('tale-of-tails: log–log, exact lines with Monte Carlo markers, a plateau per cut; H2 plateau and H3 recovery in the data', () => {
  assert.ok(FIGURES.some((f) => f.id === 'tale-of-tails'));
  const data = computeTails({ contexts: 5000, zipf: 2, maxSamples: 1e6, monteCarloSizes: [10, 100], trials: 50 }, { seed: 1 });
  const { data: all, layout } = buildTails(data);
  const traces = all.filter((t) => t.legendgroup !== KEY_GROUP);
  assert.equal(all.length - traces.length, 3, 'a key: circles Monte Carlo, dashed exact, dash-dot plateau');
  assert.equal((layout.xaxis as { type: string }).type, 'log');
  assert.equal((layout.yaxis as { type: string }).type, 'log');
  assert.equal(traces.length, 7 * 2 + 2); // five sources and two chains × (line, markers) + two cut plateaus
  const byLabel = Object.fromEntries(data.curves.map((c) => [c.label, c]));
  const last = (label: string) => byLabel[label].exact[byLabel[label].exact.length - 1][1];
  const plateau = byLabel['cut k=100'].plateau as number;
  assert.ok(Math.abs(last('cut k=100') - plateau) < 1e-6 * plateau, 'the cut curve sits on its plateau at T = 10⁶');
  assert.ok(last('clean') < plateau / 10 && last('mix k=100 π=0.1') < plateau / 2, 'clean data and the mix fall below it');
  assert.equal(tailsCsv(data).trim().split('\n').length, 1 + data.curves.reduce((n, c) => n + c.exact.length + c.monteCarlo.length, 0));
  // H4: chained generations lose contexts for good: at every T the deeper chain errs more, and g = 4 more than clean
  const at = (label: string, T: number) => byLabel[label].exact.find((e) => e[0] === T)?.[1] as number;
  const chainT = byLabel['chain g=4'].exact.map((e) => e[0]);
  assert.ok(chainT.length >= 5 && Math.max(...chainT) === 1000);
  for (const T of chainT) assert.ok(at('chain g=40', T) > at('chain g=4', T) && at('chain g=4', T) > at('clean', T), `T=${T}`);
  assert.deepEqual(byLabel['chain g=40'].monteCarlo.map((r) => r.samples), [10, 100]);
  assert.match(tailsCaption(data, false), /chain g=4, g=40.*\(H4\)/);
  assert.match(tailsCaption(data, true), /--quick/);
});
