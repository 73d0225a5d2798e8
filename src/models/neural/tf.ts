/**
 * TensorFlow.js for the neural families: one loader, one backend choice, one matMul patch, seeds from keys.
 *
 * Why tfjs 4.22 on wasm: it is the only npm framework that trains in Node here without downloading native
 * binaries (docs/neural.md, implementation notes); the cpu backend is 5–20× slower and is a test fallback only.
 * Pinned exactly in package.json because the patch below re-registers one of its kernels.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { UsageError } from '../../core/errors.js';
import { foldIn, KeyedGenerator, type Key } from '../../core/rng.js';
import { installNavigatorGpu } from '../../kernels/webgpu-adapter.js';
import { defaultNeuralBackend, NEURAL_BACKENDS, type NeuralBackend } from './backend.js';

export type Tf = typeof tf;
export { NEURAL_BACKENDS, type NeuralBackend };

let patched = false;
let originalMatMul: tf.KernelConfig | undefined;

/**
 * tfjs-wasm's BatchMatMul takes a slow non-XNNPACK path when transposeA/transposeB is set, which every matMul
 * gradient uses; transposing first and calling the plain kernel is bit-identical and 2.5–4.4× faster for training
 * (neural-stack.md §1.3). test/models/neural/tf.test.ts checks the two agree.
 */
export function patchWasmMatMul(): void {
  if (patched) return;
  const original = (originalMatMul ??= tf.getKernel('BatchMatMul', 'wasm'));
  const transpose = tf.getKernel('Transpose', 'wasm')?.kernelFunc;
  if (original === undefined || transpose === undefined) throw new Error('tfjs-wasm has no BatchMatMul/Transpose kernel to patch');
  const swapLast = (shape: number[]) => {
    const perm = shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 1], perm[r - 2]] = [perm[r - 2], perm[r - 1]];
    return perm;
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: ({ inputs, backend, attrs }) => {
      let { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const temporaries: tf.TensorInfo[] = [];
      const withAttrs = attrs as { transposeA?: boolean; transposeB?: boolean };
      if (withAttrs.transposeA) {
        a = transpose({ inputs: { x: a }, backend, attrs: { perm: swapLast(a.shape) } }) as tf.TensorInfo;
        temporaries.push(a);
      }
      if (withAttrs.transposeB) {
        b = transpose({ inputs: { x: b }, backend, attrs: { perm: swapLast(b.shape) } }) as tf.TensorInfo;
        temporaries.push(b);
      }
      const out = original.kernelFunc({
        inputs: { ...inputs, a, b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
      for (const t of temporaries) (backend as { disposeData(id: object): void }).disposeData(t.dataId);
      return out;
    },
  });
  patched = true;
}

/** Whether the matMul patch is installed. */
export const isMatMulPatched = () => patched;

/** Puts tfjs's own BatchMatMul back (tests compare the two kernels; nothing else should need it). */
export function unpatchWasmMatMul(): void {
  if (!patched || originalMatMul === undefined) return;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel(originalMatMul);
  patched = false;
}

/** The backend the last loadTf set: what a family that loads tfjs without naming one (src/experiments/neural.ts chose it) gets. */
let current: NeuralBackend | undefined;

/**
 * tfjs-backend-webgpu registers itself on import only where navigator.gpu exists, so Dawn's navigator.gpu goes in
 * first (the same code gpu.js's webgpu backend uses). The adapter is asked here too: tfjs's own factory would fail on
 * a null adapter with a warning of many lines.
 */
async function registerWebGpu(): Promise<void> {
  if (tf.findBackendFactory('webgpu')) return;
  await installNavigatorGpu();
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (!(await gpu?.requestAdapter().catch(() => null))) throw new UsageError('neural backend webgpu cannot run here: no WebGPU adapter answered');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) throw new UsageError('neural backend webgpu cannot run here: tfjs-backend-webgpu found no navigator.gpu');
}

/**
 * tfjs on `backend`, patched and ready: by default the backend already loaded here, else COLLAPSE_NEURAL_BACKEND,
 * else wasm. Idempotent; a backend that fails to initialise is a UsageError naming it. On webgpu every readback must
 * be asynchronous (`await t.data()`): dataSync needs an OffscreenCanvas, which Node lacks.
 */
export async function loadTf(backend: NeuralBackend = current ?? (defaultNeuralBackend() as NeuralBackend)): Promise<Tf> {
  if (!NEURAL_BACKENDS.includes(backend)) {
    throw new UsageError(`neural backend must be one of ${NEURAL_BACKENDS.join(', ')}; got ${JSON.stringify(backend)}`);
  }
  if (backend === 'webgpu') await registerWebGpu();
  if (tf.getBackend() !== backend) {
    // production mode silences tfjs's development warnings, among them the cpu backend's "install tfjs-node" banner
    // on its first tensor (tfjs-node cannot install here; the banner is not news to our users)
    tf.env().set('PROD', true);
    if (!(await tf.setBackend(backend))) throw new UsageError(`neural backend ${backend} failed to initialise`);
    await tf.ready();
  }
  if (backend === 'wasm') patchWasmMatMul();
  current = backend;
  return tf;
}

/**
 * A 31-bit seed for one tfjs random op, derived from a key (C7: randomness is a value). tfjs seeds are JS numbers
 * fed to seedrandom; distinct keys give distinct seeds with overwhelming probability.
 */
export function seedOf(key: Key, index = 0): number {
  return new KeyedGenerator(foldIn(key, index)).nextUint32() >>> 1;
}

/** A tensor's values, read back asynchronously (as every readback of the neural path is), then the tensor freed. */
export async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Named trainable tensors of one model: the parameters P of every neural family. */
export type Weights = Record<string, tf.Variable>;

/** A model's weights as plain arrays (checkpoints), with their shapes. */
export interface WeightArrays {
  [name: string]: { shape: number[]; values: Float32Array };
}

/** Read back asynchronously (webgpu cannot read synchronously in Node); the same values dataSync would give. */
export async function weightsToArrays(weights: Weights): Promise<WeightArrays> {
  const out: WeightArrays = {};
  for (const [name, v] of Object.entries(weights)) out[name] = { shape: [...v.shape], values: (await v.data()) as Float32Array };
  return out;
}

/**
 * Checkpoint codecs are synchronous (src/loop/checkpoint.ts) but a readback on webgpu is not: `prepare` reads the
 * weights of the models a checkpoint will hold back to the host (each model once), then the codec `take`s them.
 */
export class WeightReadback {
  private readonly read = new WeakMap<object, WeightArrays>();

  async prepare(models: Iterable<{ weights: Weights }>): Promise<void> {
    for (const model of models) if (!this.read.has(model)) this.read.set(model, await weightsToArrays(model.weights));
  }

  take(model: { weights: Weights }): WeightArrays {
    const arrays = this.read.get(model);
    if (!arrays) throw new Error('a model was checkpointed before its weights were read back (WeightReadback.prepare)');
    return arrays;
  }
}

export function arraysToWeights(arrays: WeightArrays): Weights {
  return tf.tidy(() => {
    const out: Weights = {};
    for (const [name, { shape, values }] of Object.entries(arrays)) out[name] = tf.variable(tf.tensor(values, shape), true, undefined);
    return out;
  });
}

export function disposeWeights(weights: Weights): void {
  for (const v of Object.values(weights)) v.dispose();
}
