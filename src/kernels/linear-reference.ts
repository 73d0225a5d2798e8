/** float64 references of the kernels in linear.ts, for test/kernels (conformance, C4), in the same layouts. */
import type { LinearShape } from './linear.js';

export const reference = {
  labels(X: ArrayLike<number>, w: ArrayLike<number>, noise: ArrayLike<number>, sigma: number, { B, T, d }: LinearShape): Float64Array {
    const y = new Float64Array(B * T);
    for (let t = 0; t < T; t++) {
      for (let tr = 0; tr < B; tr++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += X[(t * d + k) * B + tr] * w[k * B + tr];
        y[t * B + tr] = s + sigma * noise[t * B + tr];
      }
    }
    return y;
  },
  /** from unpadded trial-major X [(trial·T + t)·d + k] and y [trial·T + t]; out [trial·d + k] */
  xty(X: ArrayLike<number>, y: ArrayLike<number>, { B, T, d }: LinearShape): Float64Array {
    const b = new Float64Array(B * d);
    for (let tr = 0; tr < B; tr++) {
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += X[(tr * T + t) * d + k] * y[tr * T + t];
        b[tr * d + k] = s;
      }
    }
    return b;
  },
  /** from unpadded trial-major X [(trial·T + t)·d + k] and c [trial·T + t]; out [trial·d² + j·d + k] */
  weightedGram(X: ArrayLike<number>, c: ArrayLike<number>, { B, T, d }: LinearShape): Float64Array {
    const g = new Float64Array(B * d * d);
    for (let tr = 0; tr < B; tr++) {
      for (let j = 0; j < d; j++) {
        for (let k = 0; k < d; k++) {
          let s = 0;
          for (let t = 0; t < T; t++) s += c[tr * T + t] * X[(tr * T + t) * d + j] * X[(tr * T + t) * d + k];
          g[tr * d * d + j * d + k] = s;
        }
      }
    }
    return g;
  },
};
