/**
 * The neural family registry (src/models/neural/index.ts): one entry per family, each with its own stream key, the
 * keys every stored neural result was drawn with; an unregistered name has no key (the old `?? 100` fallback would
 * have given every new family the same one). Nothing here loads tfjs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEURAL_FAMILIES, neuralFactory, neuralModelNames, neuralStreamKey, TOY_ENV } from '../../../src/models/neural/index.js';

test('names and stream keys are distinct, and the keys are the ones results were drawn with', () => {
  const names = NEURAL_FAMILIES.map((entry) => entry.name);
  const keys = NEURAL_FAMILIES.map((entry) => entry.streamKey);
  assert.equal(new Set(names).size, names.length, `names: ${names.join(', ')}`);
  assert.equal(new Set(keys).size, keys.length, `stream keys: ${keys.join(', ')}`);
  for (const key of keys) assert.ok(Number.isInteger(key) && key >= 0 && key < 2 ** 32, `a foldIn index: ${key}`);
  assert.deepEqual(Object.fromEntries(NEURAL_FAMILIES.map((e) => [e.name, e.streamKey])), { lm: 1, vae: 2, diffusion: 3, toy: 99 });
});

test('an unregistered family has no stream key: it is an error, not a shared fallback', () => {
  assert.throws(() => neuralStreamKey('gan'), /no neural family is named "gan"/);
  assert.equal(neuralStreamKey('toy'), 99); // the fixture's key whether it is offered or not
});

test('the fixture is offered only with its variable set, after the paper\'s families', async () => {
  const saved = process.env[TOY_ENV];
  try {
    delete process.env[TOY_ENV];
    assert.deepEqual(neuralModelNames(), ['lm', 'vae', 'diffusion']);
    assert.equal(await neuralFactory('toy'), undefined);
    assert.equal(await neuralFactory('gan'), undefined);
    process.env[TOY_ENV] = '1';
    assert.deepEqual(neuralModelNames(), ['lm', 'vae', 'diffusion', 'toy']);
    assert.equal(typeof (await neuralFactory('toy')), 'function');
  } finally {
    if (saved === undefined) delete process.env[TOY_ENV];
    else process.env[TOY_ENV] = saved;
  }
});
