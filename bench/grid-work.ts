/**
 * The paper grid's work, counted analytically from what the full-refit code does per cell (leading terms only: the
 * O(d) pooling, copies and index arithmetic are left out, so every total here is an approximation from below).
 *
 * Per trial (B trials of a cell are independent; padded trials of a last chunk are not counted):
 * - design (every strategy): T·d + d normal draws (X, w*); XᵀX on the host, T·d(d+1) flops; for T > d its Cholesky,
 *   triangular inverse and (L⁻¹)ᵀL⁻¹, d³/3 each, so d³; for T ≤ d the pseudo-inverse through the T×T XXᵀ,
 *   T(T+1)·d + T³/3 + 2T²·d + T·d(d+1).
 * - replace, accumulate (fixed design, Xᵀy = (XᵀX)w + σXᵀε): per data set T normal draws and Xᵀε, 2·T·d kernel
 *   flops, and (XᵀX)w, 2d² host flops; per iteration the refit (XᵀX)⁻¹·pooled, 2d² host flops.
 * - accumulate-subsample: per data set T normal draws and the labels Xw + σε, 2·T·d kernel flops; per iteration T
 *   host uniform draws (the subsample), then, for T > d, the Gram of the r_n distinct rows drawn, r_n·d(d+1) kernel
 *   flops (lower triangle with the diagonal, each row's weight·x_k included; the kernel skips undrawn rows), Xᵀu,
 *   2·T·d kernel flops, and Cholesky d³/3 + two triangular solves 2d² on the host; for T ≤ d (no ridge) the
 *   minimum-norm fit on the host, r(r+1)·d + r³/3 + 2r² + 2r·d, with r = E[r_n] (the cube's mean replaced by the
 *   mean's cube: an approximation of its own).
 *
 * E[r_n]: generation n subsamples T of the m·T rows of m pooled data sets without replacement, and each of the T
 * distinct design rows has m copies, so P(none of row t's m copies is drawn) = C(mT − m, T)/C(mT, T)
 * = Π_{i<m} ((m−1)T − i)/(mT − i) and E[r_n] = T·(1 − that). m = 1 draws every row once (r = T); m = 2 leaves ~1/4
 * of the rows out, and large m ~(1 − 1/m)^T·…, about 1/e at m = 100, T = 1000 (r ≈ 0.63·T).
 */
import { poolPlan } from '../src/models/linear/pool-store.js';
import { parseStrategy } from '../src/strategies/index.js';

export interface CellWork {
  /** float32 flops on the gpu.js kernels (Xᵀε, labels, the block Gram, Xᵀu) */
  kernelFlops: number;
  /** float64 flops on the host (designs, moments, solves, factorisations, minimum-norm fits) */
  hostFlops: number;
  /** the part of kernelFlops that is the subsample Gram (0 for other strategies) */
  gramFlops: number;
  /** standard-normal draws (in-kernel on webasm and webgpu) */
  normalDraws: number;
  /** host uniform draws (the subsample's row indices) */
  uniformDraws: number;
}

export interface GridCell {
  strategy: string;
  dim: number;
  samples: number;
  trials: number;
  iterations: number;
  ridge?: number;
}

/** P(none of a design row's m copies is drawn) when T rows are drawn without replacement from m copies of T rows. */
export function undrawnProbability(m: number, T: number): number {
  if (m <= 1) return 0;
  let log = 0;
  for (let i = 0; i < m; i++) log += Math.log(((m - 1) * T - i) / (m * T - i));
  return Math.exp(log);
}

/** Expected distinct rows r_n of one subsample from m pooled data sets of T rows. */
export const expectedDistinctRows = (m: number, T: number): number => T * (1 - undrawnProbability(m, T));

function designFlops(T: number, d: number): number {
  const gram = T * d * (d + 1);
  return T > d ? gram + d ** 3 : gram + T * (T + 1) * d + T ** 3 / 3 + 2 * T * T * d + T * d * (d + 1);
}

/** The analytic work of one grid cell (method full), summed over its trials and iterations. */
export function cellWork({ strategy, dim: d, samples: T, trials, iterations, ridge = 0 }: GridCell): CellWork {
  const parsed = parseStrategy(strategy);
  const plan = poolPlan(parsed, iterations);
  const dataSets = plan.sources.length;
  let kernel = 0;
  let host = designFlops(T, d);
  let gram = 0;
  let uniform = 0;
  const normals = T * d + d + dataSets * T;
  if (parsed.fit !== 'subsample') {
    kernel += dataSets * 2 * T * d;
    host += dataSets * 2 * d * d + iterations * 2 * d * d;
  } else {
    kernel += dataSets * 2 * T * d;
    for (let n = 1; n <= iterations; n++) {
      const m = plan.weights[n - 1].filter((w) => w > 0).length;
      const r = expectedDistinctRows(m, T);
      uniform += T;
      if (T <= d && ridge === 0) {
        host += r * (r + 1) * d + r ** 3 / 3 + 2 * r * r + 2 * r * d;
      } else {
        const g = r * d * (d + 1);
        gram += g;
        kernel += g + 2 * T * d;
        host += d ** 3 / 3 + 2 * d * d;
      }
    }
  }
  return { kernelFlops: trials * kernel, hostFlops: trials * host, gramFlops: trials * gram, normalDraws: trials * normals, uniformDraws: trials * uniform };
}

/** Component-wise sum. */
export function addWork(cells: CellWork[]): CellWork {
  const total: CellWork = { kernelFlops: 0, hostFlops: 0, gramFlops: 0, normalDraws: 0, uniformDraws: 0 };
  for (const c of cells) for (const key of Object.keys(total) as (keyof CellWork)[]) total[key] += c[key];
  return total;
}
