/**
 * The reduced chunk's one-pass step (push, pool and ‖e‖² fused; ξ drawn one data set ahead) against the procedure it
 * replaced, written out plainly here: every prefix P_s = P_{s−1} + v_s kept, the pool formed from them afterwards
 * ((P_last − P_{first−1})·a for a contiguous equal-weight range, else Σ_s a_s·(P_s − P_{s−1}) onto 0), then each trial's
 * ‖e‖² summed j = 0, 1, … onto 0. The recorded errors must be the same float64 numbers, bit for bit, for strategies
 * whose pools are ranges ending at the newest data set (fused), ranges of two new data sets (fresh), and weights
 * that are no range (weights:, augment: the unfused path), with and without ridge, over five chunks (the last
 * padded; the Wishart spectra of chunks after the first drawn on their own thread), on webasm and cpu.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foldIn, rootKey } from '../../../src/core/rng.js';
import { Scratch } from '../../../src/core/scratch.js';
import { STREAM } from '../../../src/core/streams.js';
import { createLinearKernels, type LinearKernels } from '../../../src/kernels/linear.js';
import { noiseSeed } from '../../../src/models/linear/chunk.js';
import { drawReducedDesign } from '../../../src/models/linear/design.js';
import type { ChunkContext, LinearRun } from '../../../src/models/linear/method.js';
import { poolPlan, type PoolPlan } from '../../../src/models/linear/pool-store.js';
import { reducedChunk } from '../../../src/models/linear/reduced.js';
import { spectraFromThread, useSpectrumThread } from '../../../src/models/linear/wishart-thread.js';

useSpectrumThread.minChunks = 3; // the runs here have five chunks (eight or more use the thread by default)

import { StepArena } from '../../../src/models/linear/reduced-wasm.js';
import { parseStrategy } from '../../../src/strategies/index.js';
import { backendOrSkip } from '../../helpers/backend.js';

const d = 3;
const T = 9;
const N = 6;
const B = 64;
const trials = 306; // five chunks, the last with 50 live trials and 14 padded; from the second on their spectra come from the thread

/** The errors the chunk records, [n − 1][trial], its buffers in `scratch` (a chunk slot's, reused). */
async function chunkErrors(run: LinearRun, kernels: LinearKernels, plan: PoolPlan, chunk: number, scratch: Scratch): Promise<number[][]> {
  const error = Array.from({ length: N }, () => [] as number[]);
  const first = chunk * B;
  const context: ChunkContext = {
    run, kernels, root: rootKey(run.seed), chunk, first, live: Math.min(B, trials - first), plan, scratch,
    result: { error: error.map((values) => ({ add: (x: number) => values.push(x) })), conditionalResidual: null, traceGramInverse: { add: () => undefined }, gramInverseSquares: null, ridgeSpread: null },
  };
  for await (const n of reducedChunk(context)) void n;
  return error;
}

/** The same errors by the stored-prefix procedure, one trial at a time. */
async function referenceErrors(run: LinearRun, kernels: LinearKernels, plan: PoolPlan, chunk: number): Promise<number[][]> {
  const root = rootKey(run.seed);
  const first = chunk * B;
  const live = Math.min(B, trials - first);
  const ridge = run.ridge ?? 0;
  const design = drawReducedDesign(foldIn(root, STREAM.wishart), first, B, T, d, ridge);
  const sigma = Math.sqrt(run.noise);
  const xi = new Map<number, Float32Array>();
  for (const s of plan.added.flat()) xi.set(s, (await kernels.trialNormals(d, noiseSeed(root, s), first)).slice());
  const error = Array.from({ length: N }, () => [] as number[]);
  for (let tr = 0; tr < live; tr++) {
    const models = new Map<number, Float64Array>([[0, new Float64Array(d)]]);
    const prefix: Float64Array[] = [new Float64Array(d)];
    for (let n = 1; n <= N; n++) {
      for (const s of plan.added[n - 1]) {
        const parent = models.get(plan.sources[s - 1]) as Float64Array;
        const noise = xi.get(s) as Float32Array;
        const next = new Float64Array(d);
        for (let j = 0; j < d; j++) {
          const i = j * B + tr;
          const v = design.shrink && design.wStar
            ? design.shrink[i] * parent[j] + (design.shrink[i] - 1) * design.wStar[i] + sigma * design.noiseScale[i] * noise[tr * d + j]
            : parent[j] + sigma * design.noiseScale[i] * noise[tr * d + j];
          next[j] = prefix[s - 1][j] + v;
        }
        prefix[s] = next;
      }
      const weights = plan.weights[n - 1];
      const range = plan.ranges[n - 1];
      const e = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        if (range) {
          e[j] = (prefix[range.last][j] - prefix[range.first - 1][j]) * weights[range.first - 1];
        } else {
          for (let s = 1; s <= weights.length; s++) if (weights[s - 1] !== 0) e[j] += weights[s - 1] * (prefix[s][j] - prefix[s - 1][j]);
        }
      }
      let squared = 0;
      for (let j = 0; j < d; j++) squared += e[j] ** 2;
      error[n - 1].push(squared);
      models.set(n, e);
    }
  }
  return error;
}

/** Run five-chunk runs until a chunk took its spectra from the thread: chunks do not wait for a thread still starting. */
async function warmSpectrumThread(kernels: LinearKernels): Promise<void> {
  const run: LinearRun = { strategy: parseStrategy('replace'), dim: d, samples: T, noise: 1, iterations: 1, trials, seed: 1, method: 'reduced' };
  const before = spectraFromThread();
  for (let pass = 0; pass < 100 && spectraFromThread() === before; pass++) {
    const plan = poolPlan(run.strategy, 1); // a new run: its chunks request their spectra again
    for (let chunk = 0; chunk * B < trials; chunk++) await chunkErrors(run, kernels, plan, chunk, new Scratch());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(spectraFromThread() > before, 'the spectrum thread is running');
}

for (const [backendName, wasm] of [['webasm', true], ['cpu', true], ['webasm', false]] as const) {
  test(`${backendName}, step in ${wasm ? 'wasm' : 'JavaScript'}: the fused, prefetched reduced chunk records the stored-prefix procedure's errors bit for bit`, async (t) => {
    const backend = await backendOrSkip(backendName, t);
    if (!backend) return;
    const kernels = createLinearKernels(backend, { B, T, d });
    await warmSpectrumThread(kernels);
    const threadBefore = spectraFromThread();
    const wasmBefore = StepArena.steps;
    const scratch = new Scratch(); // one for every chunk and run: each finds the vectors its predecessor left
    StepArena.enabled = wasm;
    try {
      for (const name of ['accumulate', 'replace', 'window:3', 'fresh:0.5', 'augment:2', 'weights:2^(i-n)']) {
        for (const ridge of [0, 0.7]) {
          const strategy = parseStrategy(name);
          const run: LinearRun = { strategy, dim: d, samples: T, noise: 1.3, iterations: N, trials, seed: 17, method: 'reduced', ridge };
          const plan = poolPlan(strategy, N);
          for (let chunk = 0; chunk * B < trials; chunk++) {
            const got = await chunkErrors(run, kernels, plan, chunk, scratch);
            const want = await referenceErrors(run, kernels, plan, chunk);
            assert.equal(got[N - 1].length, Math.min(B, trials - chunk * B));
            for (let n = 0; n < N; n++) {
              assert.ok(want[n].every((x) => x > 0 && Number.isFinite(x)), `${name} λ=${ridge}: the reference errors are positive`);
              assert.deepEqual(got[n], want[n], `${name} λ=${ridge}, chunk ${chunk}, iteration ${n + 1}`);
            }
          }
        }
      }
      // chunks 1–4 of each of the 12 runs took theirs from the thread (wishart-thread.ts), not drawn here
      assert.equal(spectraFromThread() - threadBefore, 12 * 4);
      // the fused steps (accumulate, replace, window:3, fresh:0.5: N each, plus augment's and weights:'s first, with and
      // without ridge, five chunks) ran in wasm, or none did
      assert.equal(StepArena.steps - wasmBefore, wasm ? 2 * 5 * (4 * N + 2) : 0);
    } finally {
      StepArena.enabled = true;
      kernels.release();
    }
  });
}
