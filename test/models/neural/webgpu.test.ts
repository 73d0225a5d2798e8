/**
 * The webgpu tfjs backend (src/models/neural/backend.ts, tf.ts) against wasm, family by family: the same fit (same
 * key, same data, 10 Adam steps at tiny sizes), scored on the same held-out data, must give the same losses within
 * TOLERANCE, and samples drawn from the two models must agree but for a rare flipped draw.
 *
 * Where it runs: wherever Dawn finds a WebGPU adapter — in CI, Mesa's lavapipe (a software Vulkan, see .ci/run);
 * without one every test here skips with the reason (never a silent pass).
 *
 * TOLERANCE, relative, on every loss after 10 steps: 1e-4. Measured on lavapipe (this project's CI driver), the two
 * backends differ by at most 8.5e-7 relative on every metric of every family, after 30 steps and through a second
 * generation trained on the first one's samples (`collapse neural --backend webgpu` against wasm, 12 curves). Both
 * compute in float32 (ε = 1.2e-7) and differ only in the order of their sums (matmul tiling, reductions), so a loss
 * differs by a few ε·√n per op; Adam's normalised steps carry that into the weights without blowing it up over a few
 * steps. 1e-4 leaves two orders of magnitude for GPUs that tile and fuse (FMA) differently, and is still over 10×
 * below what another fit key (another initialisation and batch order) changes each loss: 0.3–0.9% when written
 * (checked below: the comparison can fail).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { foldIn, rootKey } from '../../../src/core/rng.js';
import { resolveNeuralBackend, type NeuralBackend } from '../../../src/models/neural/backend.js';
import { createDiffusion } from '../../../src/models/neural/diffusion/index.js';
import type { NeuralFamily, NeuralModel } from '../../../src/models/neural/family.js';
import { corpusOf } from '../../../src/models/neural/lm/corpus.js';
import { createLm, type LmData } from '../../../src/models/neural/lm/index.js';
import { loadTf } from '../../../src/models/neural/tf.js';
import { vaeFamily, VAE_QUICK, type ImageSet } from '../../../src/models/neural/vae/index.js';

const TOLERANCE = 1e-4;
const STEPS = 10;
const schedule = { kind: 'steps' as const, amount: STEPS };

/** The adapter, or null after marking the test skipped with the reason (no adapter: no WebGPU here). */
async function webgpuOrSkip(t: TestContext): Promise<string | null> {
  try {
    return (await resolveNeuralBackend('webgpu')).reason;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    t.skip(error.message);
    return null;
  }
}

const NURSERY = corpusOf('nursery', Array.from({ length: 200 }, (_, i) => `the ${['cat', 'dog', 'hen', 'fox'][i % 4]} sat on the ${['mat', 'rug', 'log'][i % 3]}.`));

/** Each family at tiny sizes, built on the backend loadTf set. */
const FAMILIES: Record<string, (backend: NeuralBackend) => Promise<NeuralFamily<unknown>>> = {
  lm: async () =>
    (await createLm({ quick: true, schedule }, { sizes: { context: 16, dModel: 16, layers: 1, heads: 2, batch: 16, samples: 64, testSamples: 16, samplingBatch: 24, evalBatch: 32, learningRate: 1e-2 }, corpus: NURSERY })) as NeuralFamily<unknown>,
  vae: async (backend) => vaeFamily({ ...VAE_QUICK, hidden: 32, latent: 4, batch: 32, schedule, samples: 128, testSamples: 64 }, backend) as NeuralFamily<unknown>,
  diffusion: async () =>
    (await createDiffusion({ dim: 57, hidden: 32, layers: 2, timeFeatures: 8, levels: 20, learningRate: 2e-3, batch: 32, samples: 128, testSamples: 64, evalLevels: 4, bondSamples: 16, jitter: 0.05 }, schedule)) as NeuralFamily<unknown>,
};

interface Outcome {
  backend: string;
  metrics: Record<string, number>;
  /** the loss of a fit from another key (another initialisation and batch order) */
  other: number;
  samples: unknown;
}

/** Fits of `name` on `backend`: the metrics after STEPS steps and 24 samples of that model, and another key's loss. */
async function outcome(name: string, backend: NeuralBackend): Promise<Outcome> {
  const tf = await loadTf(backend);
  const family = await FAMILIES[name](backend);
  const key = rootKey(31);
  const data = await family.real(Number(family.settings.samples), foldIn(key, 1));
  const held = await (family.heldOut ?? family.real)(Number(family.settings.testSamples), foldIn(key, 2));
  const fit = async (fitKey: number, sample: boolean) => {
    const model = (await family.fit([{ data, weight: 1, set: 1 }], foldIn(key, fitKey))) as NeuralModel;
    const metrics = await family.evaluate(model, held);
    const samples = sample ? await family.sample(model, 24, foldIn(key, 4)) : undefined;
    family.dispose(model);
    return { metrics, samples };
  };
  const trained = await fit(3, true);
  const other = await fit(5, false);
  return { backend: tf.getBackend(), metrics: trained.metrics, other: other.metrics.loss, samples: trained.samples };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

for (const name of Object.keys(FAMILIES)) {
  test(`${name}: ${STEPS} Adam steps on webgpu give wasm's losses within ${TOLERANCE} relative; samples agree`, { timeout: 120_000 }, async (t) => {
    if (!(await webgpuOrSkip(t))) return;
    const wasm = await outcome(name, 'wasm');
    const gpu = await outcome(name, 'webgpu');
    assert.equal(wasm.backend, 'wasm');
    assert.equal(gpu.backend, 'webgpu');
    for (const [metric, value] of Object.entries(wasm.metrics)) {
      assert.ok(relative(gpu.metrics[metric], value) <= TOLERANCE, `${name} ${metric}: webgpu ${gpu.metrics[metric]} vs wasm ${value}`);
    }
    assert.ok(relative(gpu.other, wasm.other) <= TOLERANCE, `${name}, another fit key: webgpu ${gpu.other} vs wasm ${wasm.other}`);
    // the tolerance can tell fits apart: another fit key moves the loss by far more than it
    assert.ok(relative(wasm.other, wasm.metrics.loss) > 10 * TOLERANCE, `${name}: keys 3 and 5 give ${wasm.metrics.loss} and ${wasm.other}`);
    if (name === 'lm') {
      // a draw flips only where a uniform falls within ~1e-6 of a softmax boundary, and a flip changes the rest of
      // its sequence: with 24 × 16 draws, two flipped sequences have probability ~1e-7
      const [a, b] = [wasm.samples, gpu.samples] as LmData[];
      const same = Array.from({ length: a.items }, (_, i) => a.tokens.subarray(i * a.length, (i + 1) * a.length).every((v, j) => v === b.tokens[i * a.length + j])).filter(Boolean).length;
      assert.ok(same >= a.items - 1, `${same} of ${a.items} sequences identical`);
    } else if (name === 'vae') {
      // Bernoulli pixels: a pixel flips where its uniform is within ~1e-6 of its probability (24 × 784 pixels)
      const [a, b] = [wasm.samples, gpu.samples] as ImageSet[];
      const differ = a.pixels.reduce((n, v, i) => n + (v !== b.pixels[i] ? 1 : 0), 0);
      assert.ok(differ <= 5, `${differ} of ${a.pixels.length} sampled pixels differ`);
    } else {
      const [a, b] = [wasm.samples, gpu.samples] as Float32Array[];
      const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      assert.ok(worst < 1e-3, `largest difference of sampled coordinates ${worst} Å`);
    }
  });
}
