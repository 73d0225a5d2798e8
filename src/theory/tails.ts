/**
 * Hutter's model of a language model and the "tale of tails" (proofs/tails.md): contexts i = 1 … K with Zipf
 * probabilities p_i ∝ i^−β and deterministic answers; a model trained on T samples from q answers a context
 * correctly iff it saw it. Its test error is the finite sum E(T; q) = Σ_i p_i (1 − q_i)^T. Synthetic data cut the
 * tail (q = p restricted to the top k contexts), which turns the power law into the plateau Σ_{i>k} p_i; mixing a
 * clean fraction π (q = πp + (1 − π)q_cut) brings the decay back, delayed.
 */
import { fraction, type Fraction } from '../core/fraction.js';
import type { Arithmetic } from './categorical.js';

/** Where the training distribution q comes from: the clean p, p cut at rank k, or a mix with a clean share π. */
export type TailSource = { kind: 'clean' } | { kind: 'cut'; k: number } | { kind: 'mix'; k: number; share: number };

/**
 * q for a source: clean q = p; cut q_i = p_i·1{i ≤ k}/P_k (P_k = Σ_{i≤k} p_i); mix q = πp + (1 − π)q_cut.
 * Generic in the arithmetic, so the tests run it on exact rationals.
 * @source Dohmatob, Feng, Yang, Charton & Kempe, "A Tale of Tails", ICML 2024, arXiv:2402.07043 (tail cutting and mixing)
 * @proof proofs/tails.md#H1
 */
export function trainingDistribution<T>(p: readonly T[], source: TailSource, F: Arithmetic<T>, share?: T): T[] {
  if (source.kind === 'clean') return [...p];
  const k = Math.min(source.k, p.length);
  let head = F.zero;
  for (let i = 0; i < k; i++) head = F.add(head, p[i]);
  const cut = p.map((x, i) => (i < k ? F.div(x, head) : F.zero));
  if (source.kind === 'cut') return cut;
  const pi = share ?? F.of(fraction(source.share));
  return p.map((x, i) => F.add(F.mul(pi, x), F.mul(F.sub(F.one, pi), cut[i])));
}

/**
 * E(T; q) = Σ_i p_i (1 − q_i)^T exactly (generic arithmetic, integer T): the probability that a test context is
 * missing from T i.i.d. training samples from q.
 * @source Hutter 2021, "Learning Curve Theory", arXiv:2102.04074 (the model); Dohmatob et al. 2024, arXiv:2402.07043 §2
 * @proof proofs/tails.md#H1
 * @example hutterErrorExact([fraction(1, 2), fraction(1, 2)], [fraction(1, 2), fraction(1, 2)], 2, RATIONAL).toFraction() // returns '1/4'
 */
export function hutterErrorExact<T>(p: readonly T[], q: readonly T[], T: number, F: Arithmetic<T>): T {
  let sum = F.zero;
  p.forEach((x, i) => {
    let miss = F.one;
    const stay = F.sub(F.one, q[i]);
    for (let t = 0; t < T; t++) miss = F.mul(miss, stay);
    sum = F.add(sum, F.mul(x, miss));
  });
  return sum;
}

/**
 * E(T; q) in float64 for any real T ≥ 0: (1 − q_i)^T = exp(T·log1p(−q_i)), so T = 10⁷ costs K operations.
 * @source Hutter 2021, arXiv:2102.04074; Dohmatob et al. 2024, arXiv:2402.07043
 * @proof proofs/tails.md#H1
 */
export function hutterError(p: Float64Array, q: Float64Array, T: number): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += q[i] >= 1 ? 0 : p[i] * Math.exp(T * Math.log1p(-q[i]));
  return sum;
}

/**
 * The plateau of a tail cut at k: E(T; q_cut) decreases to Σ_{i>k} p_i as T → ∞ (the tail is never seen).
 * @source Dohmatob et al. 2024, arXiv:2402.07043 (E ≍ T^{−(β−1)/β} + k^{−(β−1)}, stated there as rates)
 * @proof proofs/tails.md#H2
 * @example tailPlateau([fraction(1, 2), fraction(1, 3), fraction(1, 6)], 1).toFraction() // returns '1/2'
 */
export function tailPlateau(p: readonly Fraction[], k: number): Fraction {
  return p.slice(k).reduce((sum, x) => sum.add(x), fraction(0));
}

/**
 * With a clean share π > 0, E(T; q_mix) ≤ Σ_i p_i e^{−πT p_i}: the clean decay returns, delayed to πT samples
 * (the Poissonised clean error at πT), and the plateau is gone.
 * @source Dohmatob et al. 2024, arXiv:2402.07043 (grokking-like recovery with clean data, stated there); the bound derived here
 * @proof proofs/tails.md#H3
 */
export function mixedErrorBound(p: Float64Array, share: number, T: number): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += p[i] * Math.exp(-share * T * p[i]);
  return sum;
}
