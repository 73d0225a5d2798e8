/**
 * Reference points for the LM's test loss: character n-gram models (n = 1, 2, 3) fit on the same training windows
 * the first generation's transformer sees, scored on the same held-out windows and positions (each window's
 * characters 1 … T, predicted from what precedes them inside the window), in nats/char.
 *
 * Smoothing needs no tuning on the test set: the unigram is add-one (Laplace) over the alphabet; the bigram and
 * trigram are Witten–Bell interpolations, P(w | h) = (c(h, w) + u(h)·P_lower(w)) / (c(h) + u(h)), u(h) the number
 * of distinct characters seen after h (Witten & Bell 1991; Chen & Goodman 1998 §2.4), each backing off to the
 * order below. A transformer that does not beat the bigram has not learnt what two-character statistics give.
 */
import type { LmData } from './train.js';

export interface NgramLosses {
  unigram: number;
  bigram: number;
  trigram: number;
}

/** Test cross-entropy (nats/char) of the three n-gram models fit on `train`, over vocabulary size `vocab`. */
export function ngramLosses(train: LmData, test: LmData, vocab: number): NgramLosses {
  const V = vocab;
  const uni = new Float64Array(V);
  const bi = new Float64Array(V * V);
  const tri = new Float64Array(V * V * V);
  const { length } = train;
  for (let i = 0; i < train.items; i++) {
    const w = train.tokens.subarray(i * length, (i + 1) * length);
    for (let t = 1; t < length; t++) {
      uni[w[t]]++;
      bi[w[t - 1] * V + w[t]]++;
      if (t >= 2) tri[(w[t - 2] * V + w[t - 1]) * V + w[t]]++;
    }
  }
  // context totals c(h) and distinct followers u(h)
  const biTotal = new Float64Array(V);
  const biTypes = new Float64Array(V);
  for (let h = 0; h < V; h++) {
    for (let c = 0; c < V; c++) {
      const n = bi[h * V + c];
      biTotal[h] += n;
      if (n > 0) biTypes[h]++;
    }
  }
  const triTotal = new Float64Array(V * V);
  const triTypes = new Float64Array(V * V);
  for (let h = 0; h < V * V; h++) {
    for (let c = 0; c < V; c++) {
      const n = tri[h * V + c];
      triTotal[h] += n;
      if (n > 0) triTypes[h]++;
    }
  }
  const N = uni.reduce((a, b) => a + b, 0);
  const pUni = (c: number) => (uni[c] + 1) / (N + V);
  const pBi = (h: number, c: number) => (biTotal[h] === 0 ? pUni(c) : (bi[h * V + c] + biTypes[h] * pUni(c)) / (biTotal[h] + biTypes[h]));
  const pTri = (h2: number, h1: number, c: number) => {
    const h = h2 * V + h1;
    return triTotal[h] === 0 ? pBi(h1, c) : (tri[h * V + c] + triTypes[h] * pBi(h1, c)) / (triTotal[h] + triTypes[h]);
  };
  let [u, b, g] = [0, 0, 0];
  let count = 0;
  if (test.length !== length) throw new Error(`n-gram baselines: train windows of ${length} tokens, test windows of ${test.length}`);
  for (let i = 0; i < test.items; i++) {
    const w = test.tokens.subarray(i * length, (i + 1) * length);
    for (let t = 1; t < length; t++) {
      u -= Math.log(pUni(w[t]));
      b -= Math.log(pBi(w[t - 1], w[t]));
      // the first predicted character has one character of context: the trigram is the bigram there
      g -= Math.log(t >= 2 ? pTri(w[t - 2], w[t - 1], w[t]) : pBi(w[t - 1], w[t]));
      count++;
    }
  }
  return { unigram: u / count, bigram: b / count, trigram: g / count };
}
