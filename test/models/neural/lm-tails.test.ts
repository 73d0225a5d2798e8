/**
 * The LM's tail statistic (src/models/neural/lm/tails.ts): the real text's rare bigram set and rareMass, exact on
 * hand-made token streams, and the family's drawnMetrics (the synthetic sets of a generation, or its real set at
 * n = 1).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { corpusOf, encodeText } from '../../../src/models/neural/lm/corpus.js';
import { createLm, type LmData } from '../../../src/models/neural/lm/index.js';
import { rareBigrams, rareMass } from '../../../src/models/neural/lm/tails.js';

// ids 0, 1, 2; bigrams 01 11 11 11 12 22 21 10: C = 8, counts 11 → 3, 01 12 22 21 10 → 1 each
const REAL = Uint8Array.from([0, 1, 1, 1, 1, 2, 2, 1, 0]);
const windows = (rows: number[][]): LmData => ({ items: rows.length, length: rows[0].length, tokens: Uint8Array.from(rows.flat()) });

test('rare set: a threshold on real counts, whole count classes only, its real mass at most the quantile', () => {
  // q = 0.7: count 1 holds 5/8 ≤ 0.7, count 3 would make 8/8: R = the five singletons, mass 5/8
  const r = rareBigrams(REAL, 3, 0.7);
  assert.deepEqual([r.size, r.realMass, r.quantile], [5, 5 / 8, 0.7]);
  assert.deepEqual([...r.rare], [0, 1, 0, 1, 0, 1, 0, 1, 1]); // 01, 10, 12, 21, 22 (row-major a·3 + b)
  // q = 0.5: the singletons' 5/8 exceed 0.5·8 = 4 and ties are never split: R empty
  assert.deepEqual([rareBigrams(REAL, 3, 0.5).size, rareBigrams(REAL, 3, 0.5).realMass], [0, 0]);
  // q = 1: every real bigram; 00, 02, 20 never occur in the real text and stay out
  assert.deepEqual([...rareBigrams(REAL, 3, 1).rare], [0, 1, 0, 1, 1, 1, 0, 1, 1]);
});

test('rareMass: the share of the bigrams inside the windows that are in R, pooled over data sets', () => {
  const r = rareBigrams(REAL, 3, 0.7);
  // [0,1,2,1]: 01 12 21 all rare (3); [0,1,1,1]: 01 (1), 11 11 common; [0,2,0,0]: 02 20 00 unseen in real text (0)
  const a = windows([[0, 1, 2, 1], [0, 1, 1, 1]]);
  const c = windows([[0, 2, 0, 0]]);
  assert.equal(rareMass([a], r), 4 / 6);
  assert.equal(rareMass([c], r), 0);
  assert.equal(rareMass([a, c], r), 4 / 9);
  // the pair across two windows (1 then 0 at the next window's start) is not a bigram of the data: 2 of 6 as two
  // windows of 4, 3 of 7 (01 11 11 10 01 11 11) as one window of 8
  assert.equal(rareMass([windows([[0, 1, 1, 1], [0, 1, 1, 1]])], r), 2 / 6);
  assert.equal(rareMass([windows([[0, 1, 1, 1, 0, 1, 1, 1]])], r), 3 / 7);
});

test('lm drawnMetrics: the synthetic sets of a generation when it drew any, else its real set; the rare set in settings', async () => {
  const docs = Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? 'zq xj' : 'the cat sat'));
  const corpus = corpusOf('tails', docs);
  const family = await createLm({ quick: true, schedule: { kind: 'steps', amount: 1 } }, { sizes: { context: 4, dModel: 8, heads: 2, layers: 1, samples: 4, testSamples: 2 }, corpus, backend: 'cpu' });
  const r = rareBigrams(corpus.train.tokens, corpus.alphabet.length);
  assert.ok(r.size > 0 && r.realMass <= 0.1);
  assert.deepEqual([family.settings.rareQuantile, family.settings.rareBigrams, family.settings.rareRealMass], [0.1, r.size, r.realMass]);
  const text = (s: string) => windows([[0, ...encodeText(s)]]);
  const real = text('the c');
  const synthetic = text('zq xj');
  const expected = rareMass([synthetic], r);
  assert.ok(expected > 0, 'the odd document is in the tail');
  assert.deepEqual(family.drawnMetrics?.([{ data: real, source: 0 }, { data: synthetic, source: 1 }]), { rareMass: expected });
  assert.deepEqual(family.drawnMetrics?.([{ data: real, source: 0 }]), { rareMass: rareMass([real], r) });
});
