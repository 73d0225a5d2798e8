/**
 * The 'lm' family at tiny sizes (d = 16, T = 16, wasm): the family contract, learning, determinism, KV-cache
 * decoding against the full forward pass, causality, tensor hygiene, option checks, and the host sampler's
 * distribution (C6: the sampler's checks share a false-failure budget of 1e-6 through zStar).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { foldIn, KeyedGenerator, rootKey } from '../../../src/core/rng.js';
import { zStar } from '../../../src/core/stats.js';
import { ALPHABET, corpusOf, decodeTokens, encodeText, SEPARATOR, wordnetCorpus } from '../../../src/models/neural/lm/corpus.js';
import { createLm, previewText, type LmData } from '../../../src/models/neural/lm/index.js';
import { drawToken } from '../../../src/models/neural/lm/sampler.js';
import { isSlot, STORY, storyGrammar, windowEntropy, type Piece } from '../../../src/models/neural/lm/stories.js';
import { learningRateAt, RowPicker, stepsFor } from '../../../src/models/neural/lm/train.js';
import { forward, initTransformer, KvDecoder, parameterCount, parameterCountOf, type TransformerConfig } from '../../../src/models/neural/lm/transformer.js';
import { disposeWeights, loadTf } from '../../../src/models/neural/tf.js';

const TINY = { context: 16, dModel: 16, layers: 2, heads: 4, batch: 16, samples: 64, testSamples: 32, samplingBatch: 24, evalBatch: 20, learningRate: 1e-2 };
const CONFIG: TransformerConfig = { vocab: ALPHABET.length, context: 16, dModel: 16, layers: 2, heads: 4, mlpRatio: 4, activation: 'relu' };

/** a tiny, very regular corpus: a model learns it within tens of steps */
const NURSERY = corpusOf(
  'nursery',
  Array.from({ length: 200 }, (_, i) => `the ${['cat', 'dog', 'hen', 'fox'][i % 4]} sat on the ${['mat', 'rug', 'log'][i % 3]}.`),
);

const tiny = (steps: number, extra: Record<string, unknown> = {}) =>
  createLm({ quick: true, schedule: { kind: 'steps', amount: steps }, ...extra }, { sizes: TINY, corpus: NURSERY });

test('corpus: WordNet glosses split 9:1 by synset, lower-cased into a 51-symbol alphabet', () => {
  const corpus = wordnetCorpus();
  const { trainDocuments, testDocuments, trainChars, testChars } = corpus.counts;
  assert.equal(trainDocuments + testDocuments, 117_791);
  assert.equal(testDocuments, Math.floor(117_791 / 10));
  assert.ok(trainChars + testChars > 8.8e6 && trainChars + testChars < 8.9e6, `${trainChars + testChars} characters`);
  assert.equal(corpus.alphabet.length, 51);
  assert.equal(decodeTokens(encodeText('A Queue; é`')), "a queue; #'");
  // every window opens with the separator, and separators sit exactly at the recorded starts
  for (const stream of [corpus.train, corpus.test]) {
    assert.equal(stream.tokens[0], SEPARATOR);
    for (let j = 0; j < 1000; j++) assert.equal(stream.tokens[stream.starts[j]], SEPARATOR);
  }
});

test('contract: real and heldOut come from disjoint documents; size, take, encode/decode; finite loss near log V at init', async () => {
  const family = await tiny(1);
  const key = rootKey(3);
  const real = await family.real(300, foldIn(key, 1));
  const held = await family.heldOut!(100, foldIn(key, 2));
  assert.equal(family.size(real), 300);
  assert.equal(real.length, 17);
  const text = (d: LmData, i: number) => decodeTokens(d.tokens.subarray(i * 17, (i + 1) * 17));
  // documents with unique names: a window's first document says which split it came from
  const unique = await createLm({ quick: true }, { sizes: TINY, corpus: corpusOf('unique', Array.from({ length: 300 }, (_, i) => `doc ${i} here`)) });
  const firstDocument = (d: LmData) => new Set(Array.from({ length: d.items }, (_, i) => Number(/^\ndoc (\d+) /.exec(text(d, i))?.[1])));
  const trainIds = firstDocument(await unique.real(2000, foldIn(key, 4)));
  const heldIds = firstDocument(await unique.heldOut!(500, foldIn(key, 5)));
  // 270 training documents, less the last whose window would run past the stream's end
  assert.equal(trainIds.size, 269, 'every usable training document is drawn (2000 draws of 269)');
  assert.equal(heldIds.size, 29);
  for (const id of heldIds) assert.ok(id % 10 === 9 && !trainIds.has(id), `held-out document ${id}`);
  assert.deepEqual(previewText(real, 2), [text(real, 0).slice(1), text(real, 1).slice(1)]);
  const taken = family.take(real, [5, 5, 0]);
  assert.equal(family.size(taken), 3);
  assert.equal(text(taken, 0), text(real, 5));
  assert.equal(text(taken, 2), text(real, 0));
  const back = family.decodeData(family.encodeData(real));
  assert.deepEqual(back, real);
  for (const bad of [new Uint8Array(3), family.encodeData(real).subarray(0, 20), Uint8Array.from([1, 0, 0, 0, 17, 0, 0, 0, ...new Array(17).fill(99)])]) {
    assert.throws(() => family.decodeData(bad), UsageError);
  }
  const model = await family.fit([{ data: real, weight: 1, set: 1 }], foldIn(key, 3));
  const metrics = await family.evaluate(model, held);
  family.dispose(model);
  // N(0, 0.02²) weights give logits ≈ 0, CE ≈ log 51 = 3.93; one Adam step at 1e-2 moves it a little below
  assert.ok(metrics.loss > 3.3 && metrics.loss < Math.log(51) + 0.05, `loss ${metrics.loss}`);
  assert.equal(metrics.bitsPerChar, metrics.loss / Math.LN2);
  assert.equal(metrics.steps, 1);
});

test('training lowers the held-out loss on a tiny corpus, and the same key gives the same bits and samples', async () => {
  const family = await tiny(80);
  const key = rootKey(11);
  const real = await family.real(64, foldIn(key, 1));
  const held = await family.heldOut!(32, foldIn(key, 2));
  const model = await family.fit([{ data: real, weight: 1, set: 1 }], foldIn(key, 3));
  const again = await family.fit([{ data: real, weight: 1, set: 1 }], foldIn(key, 3));
  const [a, b] = [await family.evaluate(model, held), await family.evaluate(again, held)];
  // an untrained model is at log 51 = 3.93 nats/char; the nursery's own entropy is below 0.1 (4 × 3 choices)
  assert.ok(a.loss < 0.6, `held-out CE after 80 steps: ${a.loss}`);
  assert.ok(a.trainLoss < 0.6, `training CE ${a.trainLoss}`);
  assert.equal(a.loss, b.loss);
  const s1 = await family.sample(model, 30, foldIn(key, 4));
  const s2 = await family.sample(again, 30, foldIn(key, 4));
  const s3 = await family.sample(model, 30, foldIn(key, 5));
  assert.deepEqual(s1.tokens, s2.tokens);
  assert.notDeepEqual(s1.tokens, s3.tokens);
  assert.equal(s1.items, 30);
  for (let i = 0; i < 30; i++) assert.equal(s1.tokens[i * 17], SEPARATOR);
  // a trained model writes the nursery's words
  assert.match(decodeTokens(s1.tokens), /the (cat|dog|hen|fox) sat on/);
  family.dispose(model);
  family.dispose(again);
});

test('KV-cache decoding gives the full forward pass logits at every position, and greedy samples equal a no-cache decoder', async () => {
  const tf = await loadTf('wasm');
  const weights = initTransformer(tf, { ...CONFIG }, rootKey(5));
  // larger weights than the init so that attention is far from uniform
  for (const v of Object.values(weights)) v.assign(tf.tidy(() => v.mul(20)));
  const B = 3;
  const T = CONFIG.context;
  const tokens = new Int32Array(B * T);
  const generator = new KeyedGenerator(rootKey(6));
  for (let i = 0; i < tokens.length; i++) tokens[i] = Math.floor(generator.uniform() * CONFIG.vocab) % CONFIG.vocab;
  const full = tf.tidy(() => forward(tf, weights, tf.tensor2d(tokens, [B, T], 'int32'), CONFIG)).arraySync() as number[][]; // [B·T, V]
  const decoder = new KvDecoder(tf, weights, CONFIG, B);
  let worst = 0;
  for (let t = 0; t < T; t++) {
    const logits = decoder.step(Int32Array.from({ length: B }, (_, b) => tokens[b * T + t]));
    const rows = logits.arraySync() as number[][];
    logits.dispose();
    for (let b = 0; b < B; b++) for (let j = 0; j < CONFIG.vocab; j++) worst = Math.max(worst, Math.abs(rows[b][j] - full[b * T + t][j]) / (1 + Math.abs(full[b * T + t][j])));
  }
  decoder.dispose();
  assert.ok(worst < 1e-4, `largest relative logit difference ${worst}`);

  // greedy decoding without a cache: recompute the whole prefix for every token
  const family = await tiny(1, { temperature: 0 });
  const model = { weights };
  const cached = await family.sample(model, B, rootKey(7));
  const reference: number[][] = Array.from({ length: B }, () => [SEPARATOR]);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const row = reference[b];
      const logits = tf.tidy(() => forward(tf, weights, tf.tensor2d(row, [1, row.length], 'int32'), CONFIG).slice([row.length - 1, 0], [1, -1]));
      const values = logits.dataSync() as Float32Array;
      logits.dispose();
      row.push(drawToken(values, 0, CONFIG.vocab, 0, generator, new Float64Array(CONFIG.vocab)));
    }
  }
  for (let b = 0; b < B; b++) assert.deepEqual(Array.from(cached.tokens.subarray(b * 17, (b + 1) * 17)), reference[b]);
  disposeWeights(weights);
});

test('causality: changing token j changes no logit before position j, and changes position j', async () => {
  const tf = await loadTf('wasm');
  const weights = initTransformer(tf, CONFIG, rootKey(8));
  for (const v of Object.values(weights)) v.assign(tf.tidy(() => v.mul(20)));
  const T = CONFIG.context;
  const base = Int32Array.from({ length: T }, (_, i) => (i * 7 + 3) % CONFIG.vocab);
  const logitsOf = (tokens: Int32Array) => tf.tidy(() => forward(tf, weights, tf.tensor2d(tokens, [1, T], 'int32'), CONFIG)).arraySync() as number[][];
  const before = logitsOf(base);
  for (const j of [1, 7, T - 1]) {
    const changed = base.slice();
    changed[j] = (changed[j] + 5) % CONFIG.vocab;
    const after = logitsOf(changed);
    for (let t = 0; t < j; t++) assert.deepEqual(after[t], before[t], `position ${t} moved when token ${j} changed`);
    assert.ok(after[j].some((x, k) => Math.abs(x - before[j][k]) > 1e-3), `position ${j} ignored its own token`);
  }
  disposeWeights(weights);
});

test('no tensor outlives a generation: numTensors is the same after two fit/sample/evaluate/dispose rounds', async () => {
  const tf = await loadTf('wasm');
  const family = await tiny(3);
  const key = rootKey(9);
  const real = await family.real(40, foldIn(key, 1));
  const held = await family.heldOut!(10, foldIn(key, 2));
  const round = async (n: number) => {
    const model = await family.fit([{ data: real, weight: 0.5, set: 1 }, { data: family.take(real, [1, 2, 3]), weight: 0.5, set: 2 }], foldIn(key, 10 + n));
    await family.sample(model, 30, foldIn(key, 20 + n));
    await family.evaluate(model, held);
    family.dispose(model);
  };
  await round(0);
  const count = tf.memory().numTensors;
  await round(1);
  await round(2);
  assert.equal(tf.memory().numTensors, count);
});

test('options are checked at the boundary with one-line UsageErrors', async () => {
  for (const temperature of [-1, NaN, Infinity, 11, '5', null, [], {}]) {
    await assert.rejects(createLm({ quick: true, temperature: temperature as number }, { corpus: NURSERY }), (e: Error) => e instanceof UsageError && /--temperature/.test(e.message) && !e.message.includes('\n'));
  }
  for (const samples of [-1, 0, 2.5, NaN, Infinity, '5', null, [], {}]) {
    await assert.rejects(createLm({ quick: true, samples: samples as number }, { corpus: NURSERY }), (e: Error) => e instanceof UsageError && /--samples/.test(e.message));
  }
  for (const schedule of [{ kind: 'steps', amount: 2.5 }, { kind: 'epochs', amount: 0 }, { kind: 'epochs', amount: NaN }, { kind: 'laps', amount: 1 }]) {
    await assert.rejects(createLm({ quick: true, schedule: schedule as never }, { corpus: NURSERY }), UsageError);
  }
});

test('the host sampler draws softmax(logits/τ): counts within zStar bands, τ = 0 is argmax', () => {
  const logits = Float32Array.from([0, Math.log(2), Math.log(4), -1]);
  const checks = [1, 0.5].flatMap((tau) => {
    const weights = Array.from(logits, (l) => Math.exp(l / tau));
    const total = weights.reduce((a, b) => a + b, 0);
    return weights.map((w) => ({ tau, p: w / total }));
  });
  const z = zStar(checks.length);
  const draws = 40_000;
  for (const tau of [1, 0.5]) {
    const generator = new KeyedGenerator(foldIn(rootKey(12), tau * 10));
    const counts = [0, 0, 0, 0];
    const scratch = new Float64Array(4);
    for (let i = 0; i < draws; i++) counts[drawToken(logits, 0, 4, tau, generator, scratch)]++;
    checks
      .filter((c) => c.tau === tau)
      .forEach(({ p }, j) => {
        const score = (counts[j] - draws * p) / Math.sqrt(draws * p * (1 - p));
        assert.ok(Math.abs(score) < z, `τ=${tau} token ${j}: ${counts[j]} draws, expected ${draws * p}, z=${score}, bound ${z}`);
      });
  }
  assert.equal(drawToken(logits, 0, 4, 0, new KeyedGenerator(1), new Float64Array(4)), 2);
});

test('schedules and sizes: steps per epoch, warm-up and cosine learning rate, parameter count', async () => {
  assert.equal(stepsFor({ kind: 'steps', amount: 7 }, 1000, 32), 7);
  assert.equal(stepsFor({ kind: 'epochs', amount: 2 }, 1000, 32), 63);
  assert.equal(learningRateAt(0, 1000, 1), 1 / 100);
  assert.equal(learningRateAt(99, 1000, 1), 1);
  assert.ok(Math.abs(learningRateAt(999, 1000, 1) - 0.1) < 1e-4);
  const tf = await loadTf('wasm');
  const weights = initTransformer(tf, CONFIG, rootKey(1));
  assert.equal(parameterCount(weights), parameterCountOf(CONFIG));
  disposeWeights(weights);
});

test('story grammar: windowEntropy equals the entropy of the exactly enumerated window distribution', () => {
  // enumerate every story pair with its probability, cut to the window, group equal windows: an independent count
  const enumerate = (length: number): number => {
    const windows = new Map<string, number>();
    const walk = (pieces: readonly Piece[], at: number, text: string, p: number, chosen: string[]) => {
      if (text.length >= length - 1 || at === pieces.length) {
        const window = text.slice(0, length - 1);
        windows.set(window, (windows.get(window) ?? 0) + p);
        return;
      }
      const piece = pieces[at];
      const offset = at >= STORY.length + 1 ? STORY.length + 1 : 0; // copies refer within their own story
      if (typeof piece === 'string') return walk(pieces, at + 1, text + piece, p, [...chosen, piece]);
      if (isSlot(piece)) return piece.options.forEach((word, i) => walk(pieces, at + 1, text + word, p * piece.p[i], [...chosen, word]));
      const word = chosen[offset + piece.copy];
      return walk(pieces, at + 1, text + word, p, [...chosen, word]);
    };
    walk([...STORY, '\n', ...STORY], 0, '', 1, []);
    let h = 0;
    for (const p of windows.values()) h -= p * Math.log(p);
    return h;
  };
  for (const length of [2, 5, 17, 33, 52, 60]) {
    const exact = enumerate(length);
    assert.ok(Math.abs(windowEntropy(length) - exact) <= 1e-12 * (1 + exact), `length ${length}: ${windowEntropy(length)} vs enumerated ${exact}`);
  }
  assert.equal(windowEntropy(1), 0);
  // every drawn window is a prefix of a stream of grammatical stories
  const grammatical = /^\n((tom|sue|ann|bob|max|amy|jim|kim) had a [a-z]{3} ([a-z]{3})\. the \3 was [a-z]{5}\. \2 [a-z]{5} it\.\n)*/;
  const drawn = storyGrammar.real(50, 200, rootKey(4));
  for (let i = 0; i < 50; i++) {
    const text = decodeTokens(drawn.subarray(i * 200, (i + 1) * 200));
    assert.ok(grammatical.exec(text)![0].length >= 200 - 52, JSON.stringify(text));
  }
});

test('on the story grammar the family reports the entropy floor and the loss above it', async () => {
  const family = await createLm({ quick: true, schedule: { kind: 'steps', amount: 2 } }, { sizes: TINY, corpus: 'stories' });
  const floor = windowEntropy(17) / 16;
  assert.equal(family.settings.entropyFloor, floor);
  const key = rootKey(13);
  const model = await family.fit([{ data: await family.real(32, foldIn(key, 1)), weight: 1, set: 1 }], foldIn(key, 2));
  const metrics = await family.evaluate(model, await family.heldOut!(32, foldIn(key, 3)));
  family.dispose(model);
  assert.equal(metrics.entropyFloor, floor);
  assert.equal(metrics.excessLoss, metrics.loss - floor);
  assert.ok(floor > 0.2 && floor < 1, `floor ${floor} nats/char`);
});

test('minibatch rows follow the pool: a plain union is one shuffled pass per epoch, unequal weights are probabilities', () => {
  const part = (items: number) => ({ items, length: 17, tokens: new Uint8Array(items * 17) });
  // accumulate-like union of sets of 5 and 7 items, equal weight per row: each epoch of 12 picks is a permutation
  const union = new RowPicker([{ data: part(5), weight: 5 / 12, set: 1 }, { data: part(7), weight: 7 / 12, set: 2 }], rootKey(21));
  for (let epoch = 0; epoch < 3; epoch++) {
    const seen = new Set(Array.from({ length: 12 }, () => union.pick().join(':')));
    assert.equal(seen.size, 12, `epoch ${epoch} repeats a row`);
  }
  // augment-like weights 1/4 and 3/4 on sets of 10 and 1000 items: the share of part 0 is 1/4 (|z| < zStar(1))
  const weighted = new RowPicker([{ data: part(10), weight: 0.25, set: 1 }, { data: part(1000), weight: 0.75, set: 2 }], rootKey(22));
  const draws = 20_000;
  let first = 0;
  for (let i = 0; i < draws; i++) {
    const [p, row] = weighted.pick();
    assert.ok(row >= 0 && row < (p === 0 ? 10 : 1000));
    if (p === 0) first++;
  }
  const z = (first - draws * 0.25) / Math.sqrt(draws * 0.25 * 0.75);
  assert.ok(Math.abs(z) < zStar(1), `part 0 drawn ${first} of ${draws} times, expected ${draws / 4}, z=${z}`);
});
