/**
 * A decoder-only transformer in the style of nanoGPT's model.py (GPT-2 scaled down): pre-LayerNorm blocks of
 * multi-head causal self-attention and a ReLU/GELU MLP, learned positions, and a token embedding tied to the output
 * layer. Written with raw tfjs ops for the wasm backend (docs/neural.md, implementation notes):
 * - embeddings are one-hot × matrix, because the gradient of `gather` has no wasm kernel;
 * - every tensor is ≤ 4-D (5-D transposes are 60× slower there); q, k, v are split with `slice`;
 * - sampling runs many sequences in parallel with a KV cache (KvDecoder), ~20× faster than recomputing windows.
 * Shapes: B sequences, S ≤ T positions, d = dModel, H heads of dh = d/H, V characters.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Key } from '../../../core/rng.js';
import { seedOf, type Tf, type Weights } from '../tf.js';

type Tensor = tfTypes.Tensor;
type Tensor2D = tfTypes.Tensor2D;

export interface TransformerConfig {
  /** V: characters in the alphabet */
  readonly vocab: number;
  /** T: positions the model sees (a training window is T + 1 tokens: inputs and shifted targets) */
  readonly context: number;
  /** d: residual stream width (GPT-2 small: 768) */
  readonly dModel: number;
  /** L: transformer blocks */
  readonly layers: number;
  /** H: attention heads, dividing d */
  readonly heads: number;
  /** MLP hidden width = mlpRatio·d (4 in GPT-2) */
  readonly mlpRatio: number;
  /** 'relu' (cheaper on wasm, what the notes measured) or 'gelu' (GPT-2's, tanh approximation) */
  readonly activation: 'relu' | 'gelu';
}

/** GPT-2's init: N(0, 0.02²), residual output projections scaled by 1/√(2L); biases 0, LayerNorm gains 1. */
export function initTransformer(tf: Tf, config: TransformerConfig, key: Key): Weights {
  const { vocab: V, context: T, dModel: d, layers: L, mlpRatio } = config;
  let seedIndex = 0;
  const normal = (shape: number[], std = 0.02) => tf.randomNormal(shape, 0, std, 'float32', seedOf(key, seedIndex++));
  const residualStd = 0.02 / Math.sqrt(2 * L);
  // variables are made inside tidy so that the initialisers do not leak (neural-stack.md §1.3 pitfall 6)
  return tf.tidy(() => {
    const shapes: [string, Tensor][] = [
      ['wte', normal([V, d])],
      ['wpe', normal([T, d], 0.01)],
    ];
    for (let l = 0; l < L; l++) {
      shapes.push(
        [`h${l}.ln1.g`, tf.ones([d])],
        [`h${l}.ln1.b`, tf.zeros([d])],
        [`h${l}.attn.wqkv`, normal([d, 3 * d])],
        [`h${l}.attn.bqkv`, tf.zeros([3 * d])],
        [`h${l}.attn.wo`, normal([d, d], residualStd)],
        [`h${l}.attn.bo`, tf.zeros([d])],
        [`h${l}.ln2.g`, tf.ones([d])],
        [`h${l}.ln2.b`, tf.zeros([d])],
        [`h${l}.mlp.w1`, normal([d, mlpRatio * d])],
        [`h${l}.mlp.b1`, tf.zeros([mlpRatio * d])],
        [`h${l}.mlp.w2`, normal([mlpRatio * d, d], residualStd)],
        [`h${l}.mlp.b2`, tf.zeros([d])],
      );
    }
    shapes.push(['lnf.g', tf.ones([d])], ['lnf.b', tf.zeros([d])]);
    const weights: Weights = {};
    for (const [name, init] of shapes) weights[name] = tf.variable(init, true); // tfjs variable names are global: let it number them
    return weights;
  });
}

export function parameterCount(weights: Weights): number {
  return Object.values(weights).reduce((sum, v) => sum + v.size, 0);
}

/** What initTransformer allocates, without allocating it. */
export function parameterCountOf(config: TransformerConfig): number {
  const { vocab: V, context: T, dModel: d, layers: L, mlpRatio: r } = config;
  const block = 2 * d + (3 * d * d + 3 * d) + (d * d + d) + 2 * d + (r * d * d + r * d) + (r * d * d + d);
  return V * d + T * d + L * block + 2 * d;
}

function layerNorm(tf: Tf, x: Tensor2D, gain: Tensor, bias: Tensor): Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(variance.add(1e-5).rsqrt()).mul(gain).add(bias);
}

function activate(tf: Tf, x: Tensor2D, kind: TransformerConfig['activation']): Tensor2D {
  if (kind === 'relu') return tf.relu(x);
  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
  const inner = x.add(x.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(tf.tanh(inner).add(1));
}

function mlp(tf: Tf, w: Weights, l: number, x: Tensor2D, config: TransformerConfig): Tensor2D {
  const hidden = activate(tf, x.matMul(w[`h${l}.mlp.w1`]).add(w[`h${l}.mlp.b1`]), config.activation); // [N, 4d]
  return hidden.matMul(w[`h${l}.mlp.w2`]).add(w[`h${l}.mlp.b2`]); // [N, d]
}

/** q, k, v of rows x [N, d] → three [N, d] slices of one [N, 3d] product */
function qkv(w: Weights, l: number, x: Tensor2D, d: number): [Tensor2D, Tensor2D, Tensor2D] {
  const all = x.matMul(w[`h${l}.attn.wqkv`]).add(w[`h${l}.attn.bqkv`]) as Tensor2D; // [N, 3d]
  return [all.slice([0, 0], [-1, d]), all.slice([0, d], [-1, d]), all.slice([0, 2 * d], [-1, d])];
}

/** Token ids [B, S] → embedded inputs [B·S, d]: one-hot rows times wte, plus positions offset … offset + S − 1. */
function embed(tf: Tf, w: Weights, tokens: Tensor, config: TransformerConfig, offset: number): Tensor2D {
  const [B, S] = tokens.shape;
  const d = config.dModel;
  const oneHot = tf.oneHot(tokens.reshape([B * S]) as tfTypes.Tensor1D, config.vocab).toFloat(); // [B·S, V]
  const positions = w.wpe.slice([offset, 0], [S, d]); // [S, d]
  return oneHot.matMul(w.wte).reshape([B, S, d]).add(positions).reshape([B * S, d]);
}

/**
 * Logits [B·S, V] for every position of `tokens` ([B, S] int32, S ≤ T): position s sees tokens 0 … s only.
 * Call inside tf.tidy (or under an optimiser's minimize).
 */
export function forward(tf: Tf, w: Weights, tokens: Tensor, config: TransformerConfig): Tensor2D {
  const [B, S] = tokens.shape;
  const { dModel: d, heads: H, layers: L } = config;
  const dh = d / H;
  // additive causal mask [S, S]: 0 on and below the diagonal, −1e9 above (exp underflows to exactly 0)
  const mask = tf.linalg.bandPart(tf.ones([S, S]), -1, 0).sub(1).mul(1e9);
  const toHeads = (t: Tensor2D) => t.reshape([B, S, H, dh]).transpose([0, 2, 1, 3]); // [B, H, S, dh]
  let x = embed(tf, w, tokens, config, 0);
  for (let l = 0; l < L; l++) {
    const [q, k, v] = qkv(w, l, layerNorm(tf, x, w[`h${l}.ln1.g`], w[`h${l}.ln1.b`]), d);
    const scores = tf.matMul(toHeads(q), toHeads(k), false, true).mul(1 / Math.sqrt(dh)).add(mask); // [B, H, S, S]
    const mixed = tf.matMul(tf.softmax(scores), toHeads(v)); // [B, H, S, dh]
    const attended = mixed.transpose([0, 2, 1, 3]).reshape([B * S, d]) as Tensor2D;
    x = x.add(attended.matMul(w[`h${l}.attn.wo`]).add(w[`h${l}.attn.bo`]));
    x = x.add(mlp(tf, w, l, layerNorm(tf, x, w[`h${l}.ln2.g`], w[`h${l}.ln2.b`]), config));
  }
  return layerNorm(tf, x, w['lnf.g'], w['lnf.b']).matMul(w.wte, false, true) as Tensor2D; // tied output layer: [B·S, V]
}

/** Summed next-token negative log-likelihood (nats) of `targets` [B·S] given logits [B·S, V]: a scalar. */
export function summedNll(tf: Tf, logits: Tensor2D, targets: Tensor, vocab: number): Tensor {
  const oneHot = tf.oneHot(targets.reshape([-1]) as tfTypes.Tensor1D, vocab).toFloat();
  return tf.logSoftmax(logits).mul(oneHot).sum().neg();
}

/**
 * Incremental decoding of B sequences with a KV cache: each `step` feeds one token per sequence at the next
 * position and returns that position's logits [B, V], attending over the cached keys and values of every earlier
 * position (equal to `forward` on the whole prefix up to float rounding; test/models/neural/lm.test.ts checks it).
 */
export class KvDecoder {
  private keys: Tensor[] = [];
  private values: Tensor[] = [];
  private position = 0;

  constructor(
    private readonly tf: Tf,
    private readonly w: Weights,
    private readonly config: TransformerConfig,
    readonly batch: number,
  ) {}

  /** tokens[i]: sequence i's token at the current position; the caller disposes the returned logits. */
  step(tokens: Int32Array): Tensor2D {
    const { tf, w, config } = this;
    const { dModel: d, heads: H, layers: L } = config;
    const B = this.batch;
    const dh = d / H;
    if (tokens.length !== B) throw new Error(`KvDecoder.step: ${tokens.length} tokens for ${B} sequences`);
    if (this.position >= config.context) throw new Error(`KvDecoder.step: past the context of ${config.context}`);
    const first = this.position === 0;
    const [logits, keys, values] = tf.tidy(() => {
      const keys: Tensor[] = [];
      const values: Tensor[] = [];
      let x = embed(tf, w, tf.tensor2d(tokens, [B, 1], 'int32'), config, this.position); // [B, d]
      for (let l = 0; l < L; l++) {
        // one position per sequence: [B, d] is already laid out as [B, H, 1, dh]
        const [q, k, v] = qkv(w, l, layerNorm(tf, x, w[`h${l}.ln1.g`], w[`h${l}.ln1.b`]), d).map((t) => t.reshape([B, H, 1, dh]));
        const K = first ? k : tf.concat([this.keys[l], k], 2); // [B, H, t + 1, dh]
        const Vv = first ? v : tf.concat([this.values[l], v], 2);
        const scores = tf.matMul(q, K, false, true).mul(1 / Math.sqrt(dh)); // [B, H, 1, t + 1]
        const attended = tf.matMul(tf.softmax(scores), Vv).reshape([B, d]) as Tensor2D;
        x = x.add(attended.matMul(w[`h${l}.attn.wo`]).add(w[`h${l}.attn.bo`]));
        x = x.add(mlp(tf, w, l, layerNorm(tf, x, w[`h${l}.ln2.g`], w[`h${l}.ln2.b`]), config));
        keys.push(K);
        values.push(Vv);
      }
      const out = layerNorm(tf, x, w['lnf.g'], w['lnf.b']).matMul(w.wte, false, true) as Tensor2D; // [B, V]
      return [out, keys, values] as [Tensor2D, Tensor[], Tensor[]];
    });
    this.disposeCache();
    this.keys = keys;
    this.values = values;
    this.position++;
    return logits;
  }

  private disposeCache(): void {
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys = [];
    this.values = [];
  }

  dispose(): void {
    this.disposeCache();
  }
}
