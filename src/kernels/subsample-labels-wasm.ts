/**
 * One data set's labels y = Xw + σz as wasm on webasm's workers, for the subsample method (subsample-gram.ts): the
 * numbers of linear.ts's LABELS_RANDOM bit for bit. That kernel draws its noise in-kernel from the same stream
 * trialNormals(T) draws, so the caller draws z with it, and the labels follow LABELS_RANDOM's float32 arithmetic in
 * its order: s = Σ_k X[t,k]·w[k] (k ascending from 0), then s + σ·z. gpu.js's version loads its lane-varying X one
 * lane at a time from a trial-fastest copy it makes on every call (20 MB at d = 100, T = 1000); here X is kept per
 * trial column by column, Xc[(trial·d + k)·Tp + t] with Tp = 4⌈T/4⌉, so four rows t are one v128 load.
 */
import { Code, I32, OP, SIMD, V128, type WasmFunction } from './wasm-emit.js';

export interface LabelsLayout {
  B: number;
  T: number;
  d: number;
  /** X by columns, Tp = 4⌈T/4⌉ rows per column (zeros after T) */
  xcOffset: number;
  /** the model, [k·B + trial] */
  wOffset: number;
  /** the noise, [trial·T + t], 16 bytes of slack after it */
  zOffset: number;
}

/** σ as float32 in the header. */
export const SIGMA_AT = 24;
/** Where the labels go ([trial·T + t] from there), a byte offset in the header. */
export const LABELS_AT = 32;

/** Rows of a column of Xc. */
export const paddedRows = (T: number): number => 4 * Math.ceil(T / 4);

/** labels(trial): y[trial·T + t] for t < T. */
export function labelsFunction(L: LabelsLayout): WasmFunction {
  const { B, T, d } = L;
  const Tp = paddedRows(T);
  const full = T >> 2; // blocks of four rows all inside the trial
  const [Q, LIMQ, XA, WA, WEND, ZY, YA] = [1, 2, 3, 4, 5, 6, 7];
  const [S, SIG] = [8, 9];
  const c = new Code();
  c.i32(0).f32Load(SIGMA_AT).simd(SIMD.f32x4Splat).set(SIG);
  const block = (lanes: number) => {
    // s = Σ_k Xc[trial, k, t…t+3]·w[k] for the block at row 4q; then s + σ·z
    c.v128Zero().set(S);
    c.get(0).i32(d * Tp).op(OP.i32Mul).get(Q).i32(4).op(OP.i32Mul).op(OP.i32Add).i32(4).op(OP.i32Mul).i32(L.xcOffset).op(OP.i32Add).set(XA);
    c.get(0).i32(4).op(OP.i32Mul).i32(L.wOffset).op(OP.i32Add).tee(WA).i32(d * B * 4).op(OP.i32Add).set(WEND);
    c.whileBelow(WA, WEND, () => {
      c.get(S).get(XA).v128Load(0).get(WA).f32Load(0).simd(SIMD.f32x4Splat).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(S);
      c.addTo(XA, Tp * 4).addTo(WA, B * 4);
    });
    c.get(0).i32(T).op(OP.i32Mul).get(Q).i32(4).op(OP.i32Mul).op(OP.i32Add).i32(4).op(OP.i32Mul).set(ZY); // byte offset of [trial·T + 4q]
    c.get(S).get(SIG).get(ZY).v128Load(L.zOffset).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(S);
    c.i32(0).i32Load(LABELS_AT).get(ZY).op(OP.i32Add).set(YA);
    if (lanes === 4) c.get(YA).get(S).v128Store(0);
    // the last rows of a trial alone: the next trial's labels may be another worker's
    else for (let lane = 0; lane < lanes; lane++) c.get(YA).get(S).simd(SIMD.f32x4ExtractLane, lane).f32Store(4 * lane);
  };
  c.i32(0).set(Q).i32(full).set(LIMQ);
  c.whileBelow(Q, LIMQ, () => {
    block(4);
    c.addTo(Q, 1);
  });
  if (T % 4 !== 0) block(T % 4);
  return { params: [I32], results: [], locals: [I32, I32, I32, I32, I32, I32, I32, V128, V128], code: c };
}

/** Xc from the padded trial-major X [(trial·T + t)·dp + k], into `out`. */
export function columnsOf(Xpadded: Float32Array, B: number, T: number, d: number, dp: number, out: Float32Array): void {
  const Tp = paddedRows(T);
  for (let tr = 0; tr < B; tr++) {
    for (let t = 0; t < T; t++) {
      const row = (tr * T + t) * dp;
      for (let k = 0, at = tr * d * Tp + t; k < d; k++, at += Tp) out[at] = Xpadded[row + k];
    }
  }
}
