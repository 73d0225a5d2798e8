/**
 * Fitting the LM on a weighted pool of windows: Adam with a short linear warm-up and a cosine decay to 10% of the
 * peak rate (a fresh model per generation, as in the paper), minibatches drawn from the pool's parts with the pool's
 * weights as probabilities (src/models/neural/family.ts).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { foldIn, KeyedGenerator, type Key } from '../../../core/rng.js';
import type { Pool } from '../../model.js';
import type { Schedule } from '../family.js';
import type { Tf, Weights } from '../tf.js';
import { forward, initTransformer, summedNll, type TransformerConfig } from './transformer.js';

/** `items` token windows of `length` = T + 1 (inputs 0 … T − 1, targets 1 … T), row-major. */
export interface LmData {
  readonly items: number;
  readonly length: number;
  readonly tokens: Uint8Array;
}

export interface TrainOptions {
  readonly batch: number;
  readonly learningRate: number;
  readonly schedule: Schedule;
  /** after each optimiser step (1-based) with the weights: true stops the fit (the converge schedule) */
  readonly afterStep?: (step: number, weights: Weights) => Promise<boolean>;
}

export interface TrainResult {
  readonly weights: Weights;
  readonly steps: number;
  /** mean training cross-entropy (nats/char) over the last 10% of steps */
  readonly trainLoss: number;
}

/** Optimiser steps of one fit: a fixed count (converge: the cap), or `amount` passes over the pool's items at `batch` windows a step. */
export function stepsFor(schedule: Schedule, poolItems: number, batch: number): number {
  return schedule.kind !== 'epochs' ? schedule.amount : Math.max(1, Math.ceil((schedule.amount * poolItems) / batch));
}

/**
 * Which pool rows fill each minibatch. When every row of the pool weighs the same (replace, accumulate, window:k:
 * the plain union), rows come from a shuffled pass over the union, reshuffled after each pass, so one epoch sees
 * every row once. Otherwise each row is a draw: part p with probability weight_p, then one of its rows uniformly.
 */
export class RowPicker {
  private readonly generator: KeyedGenerator;
  private readonly uniform: boolean;
  private readonly offsets: number[] = [0];
  private order = new Int32Array(0);
  private next = 0;

  constructor(private readonly pool: Pool<LmData>, key: Key) {
    this.generator = new KeyedGenerator(key);
    for (const part of pool) this.offsets.push(this.offsets[this.offsets.length - 1] + part.data.items);
    const perRow = pool.map((part) => part.weight / part.data.items);
    this.uniform = perRow.every((w) => Math.abs(w - perRow[0]) <= 1e-12 * perRow[0]);
  }

  /** [part index, row] of the next row */
  pick(): [number, number] {
    if (this.uniform) {
      if (this.next === this.order.length) this.shuffle();
      const index = this.order[this.next++];
      let part = 0;
      while (this.offsets[part + 1] <= index) part++;
      return [part, index - this.offsets[part]];
    }
    let u = (1 - this.generator.uniform()) * this.pool.reduce((sum, part) => sum + part.weight, 0); // [0, total)
    let part = 0;
    while (part < this.pool.length - 1 && u >= this.pool[part].weight) u -= this.pool[part++].weight;
    const items = this.pool[part].data.items;
    return [part, Math.floor(this.generator.uniform() * items) % items];
  }

  private shuffle(): void {
    const total = this.offsets[this.offsets.length - 1];
    if (this.order.length !== total) this.order = Int32Array.from({ length: total }, (_, i) => i);
    for (let i = total - 1; i > 0; i--) {
      const j = Math.floor(this.generator.uniform() * (i + 1)) % (i + 1);
      [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
    }
    this.next = 0;
  }
}

/** Learning rate at `step` of `steps`: linear warm-up over the first min(100, steps/10) steps, then cosine to 10%. */
export function learningRateAt(step: number, steps: number, peak: number): number {
  const warmup = Math.max(1, Math.min(100, Math.floor(steps / 10)));
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const progress = (step - warmup) / Math.max(1, steps - warmup);
  return peak * (0.1 + 0.45 * (1 + Math.cos(Math.PI * progress)));
}

/** A fresh transformer (initialised from foldIn(key, 0)) trained on `pool` (minibatches from foldIn(key, 1)). */
export async function trainTransformer(tf: Tf, config: TransformerConfig, pool: Pool<LmData>, key: Key, options: TrainOptions): Promise<TrainResult> {
  const T = config.context;
  for (const part of pool) {
    if (part.data.length !== T + 1) throw new Error(`pool windows have ${part.data.length} tokens; the model needs ${T + 1}`);
  }
  if (pool.every((part) => part.data.items === 0)) throw new Error('an LM fit on an empty pool');
  const weights = initTransformer(tf, config, foldIn(key, 0));
  const variables = Object.values(weights);
  const optimizer = tf.train.adam(options.learningRate, 0.9, 0.99, 1e-8);
  // tfjs's Adam reads its (protected) learningRate on every step, so the schedule sets it there
  const settable = optimizer as unknown as { learningRate: number };
  const picker = new RowPicker(pool, foldIn(key, 1));
  const B = options.batch;
  const poolItems = pool.reduce((sum, part) => sum + part.data.items, 0);
  const steps = stepsFor(options.schedule, poolItems, B);
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  let tail = Math.max(1, Math.ceil(steps / 10));
  let tailLoss = 0;
  let taken = steps;
  let last = NaN;
  try {
    for (let step = 0; step < steps; step++) {
      for (let b = 0; b < B; b++) {
        const [part, row] = picker.pick();
        const window = pool[part].data.tokens.subarray(row * (T + 1), (row + 1) * (T + 1));
        for (let t = 0; t < T; t++) {
          inputs[b * T + t] = window[t];
          targets[b * T + t] = window[t + 1];
        }
      }
      settable.learningRate = learningRateAt(step, steps, options.learningRate);
      const x = tf.tensor2d(inputs, [B, T], 'int32');
      const y = tf.tensor1d(targets, 'int32');
      const cost = optimizer.minimize(() => summedNll(tf, forward(tf, weights, x, config), y, config.vocab).div(B * T) as tfTypes.Scalar, true, variables);
      x.dispose();
      y.dispose();
      // readbacks are asynchronous throughout (webgpu cannot read synchronously in Node); the values are dataSync's
      if (step >= steps - tail) tailLoss += cost ? (await cost.data())[0] : NaN;
      else if (options.afterStep) last = cost ? (await cost.data())[0] : NaN;
      cost?.dispose();
      if (await options.afterStep?.(step + 1, weights)) {
        taken = step + 1;
        break;
      }
    }
    if (taken < steps) {
      // stopped early: the training loss of the last step only (the tail was never reached)
      tail = 1;
      tailLoss = last;
    }
  } catch (error) {
    tf.dispose(variables);
    throw error;
  } finally {
    optimizer.dispose();
  }
  return { weights, steps: taken, trainLoss: tailLoss / tail };
}

/** Mean next-character cross-entropy (nats/char) of the model on every window of `data`, `batch` windows at a time. */
export async function crossEntropy(tf: Tf, config: TransformerConfig, weights: Weights, data: LmData, batch: number): Promise<number> {
  const T = config.context;
  if (data.length !== T + 1) throw new Error(`windows have ${data.length} tokens; the model needs ${T + 1}`);
  let total = 0;
  for (let start = 0; start < data.items; start += batch) {
    const B = Math.min(batch, data.items - start);
    const inputs = new Int32Array(B * T);
    const targets = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      const window = data.tokens.subarray((start + b) * (T + 1), (start + b + 1) * (T + 1));
      for (let t = 0; t < T; t++) {
        inputs[b * T + t] = window[t];
        targets[b * T + t] = window[t + 1];
      }
    }
    const nll = tf.tidy(() => summedNll(tf, forward(tf, weights, tf.tensor2d(inputs, [B, T], 'int32'), config), tf.tensor1d(targets, 'int32'), config.vocab));
    total += (await nll.data())[0]; // float64 accumulation across batches
    nll.dispose();
  }
  return total / (data.items * T);
}
