/**
 * The subsample method's per-trial fit as wasm, run by webasm's workers right after the trial's block Gram
 * (subsample-gram.ts): Xᵀu, then the Cholesky factorisation of the Gram (with the ridge on its diagonal) and the two
 * triangular solves. The main thread used to unpack every Gram, factor it and solve in JavaScript, one trial after
 * the other (a third of its time at d = 100), while the workers waited.
 *
 * Bit for bit the numbers of the JavaScript it replaces: Xᵀu is linear.ts's XTY (float32, two partial sums over even
 * and odd rows, added at the end), the factorisation is choleskyInPlaceBlocked (subsample-solve.ts) and the solves
 * core/linalg's choleskySolve. Each float64 entry is computed by the same operations in the same order — the factor
 * is kept as U = Lᵀ (row-major), so an entry's products L[i][k]·L[j][k] = U[k][i]·U[k][j] run along rows and two
 * entries share an f64x2 register; wasm's f64 arithmetic is IEEE binary64 like JavaScript's, with no fused
 * multiply-add. A pivot not above `pivotFloor` × the largest diagonal entry fails the trial (status 0), for the
 * caller's minimum-norm fit, as the JavaScript did.
 */
import { Code, F64, I32, OP, SIMD, V128, type WasmFunction } from './wasm-emit.js';

/** Byte offsets of the kernel's shared memory, and the shape baked into its code. */
export interface FitLayout {
  T: number;
  d: number;
  /** columns of the padded X, 4⌈d/4⌉ */
  dp: number;
  /** block pairs of the block Gram */
  P: number;
  /** header: mode (i32) at 0, ridge (f64) at 8, pivot floor (f64) at 16 */
  pairOffset: number;
  xOffset: number;
  uOffset: number;
  /** the block Gram's cells, 64 bytes per (trial, pair) */
  outOffset: number;
  /** per trial dp float64: Xᵀu, then the solution */
  solOffset: number;
  /** per trial an i32: 1 solved, 0 a pivot too small */
  statusOffset: number;
  /** per task dp² float64 for the factor */
  scratchOffset: number;
}

export const RIDGE_AT = 8;
export const PIVOT_FLOOR_AT = 16;

/** xtu(trial): (Xᵀu)[k] for k < dp into the trial's solution slot, as float64 of XTY's float32 results. */
export function xtuFunction(L: FitLayout): WasmFunction {
  const { T, dp } = L;
  const T2 = T - (T % 2);
  const [XB, YB, BQ, KQ, LIMQ, IX, IY, IYEND] = [1, 2, 3, 4, 5, 6, 7, 8];
  const [S0, S1, R] = [9, 10, 11];
  const c = new Code();
  c.get(0).i32(T * dp * 4).op(OP.i32Mul).i32(L.xOffset).op(OP.i32Add).set(XB);
  c.get(0).i32(T * 4).op(OP.i32Mul).i32(L.uOffset).op(OP.i32Add).set(YB);
  c.get(0).i32(dp * 8).op(OP.i32Mul).i32(L.solOffset).op(OP.i32Add).set(BQ);
  c.i32(0).set(KQ).i32(dp / 4).set(LIMQ);
  c.whileBelow(KQ, LIMQ, () => {
    c.v128Zero().set(S0).v128Zero().set(S1);
    c.get(KQ).i32(16).op(OP.i32Mul).get(XB).op(OP.i32Add).set(IX);
    c.get(YB).set(IY).get(YB).i32(T2 * 4).op(OP.i32Add).set(IYEND);
    c.whileBelow(IY, IYEND, () => {
      // s0 += X[t, k…k+3]·u[t]; s1 += X[t + 1, k…k+3]·u[t + 1]
      c.get(S0).get(IX).v128Load(0).get(IY).f32Load(0).simd(SIMD.f32x4Splat).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(S0);
      c.get(S1).get(IX).v128Load(dp * 4).get(IY).f32Load(4).simd(SIMD.f32x4Splat).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(S1);
      c.addTo(IX, 2 * dp * 4).addTo(IY, 8);
    });
    if (T % 2 === 1) c.get(S0).get(IX).v128Load(0).get(IY).f32Load(0).simd(SIMD.f32x4Splat).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(S0);
    c.get(S0).get(S1).simd(SIMD.f32x4Add).set(R);
    c.get(BQ).get(R).simd(SIMD.f64x2PromoteLowF32x4).v128Store(0);
    const high = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
    c.get(BQ).get(R).get(R).simd(SIMD.shuffle, ...high).simd(SIMD.f64x2PromoteLowF32x4).v128Store(16);
    c.addTo(BQ, 32).addTo(KQ, 1);
  });
  return { params: [I32], results: [], locals: [I32, I32, I32, I32, I32, I32, I32, I32, V128, V128, V128], code: c };
}

/**
 * fit(trial, task) → 1 solved, 0 not: the trial's Gram unpacked from its cells into the task's scratch as float64,
 * the ridge added to the diagonal, factored, and the solution solved in place of Xᵀu (xtu first).
 */
export function fitFunction(L: FitLayout): WasmFunction {
  const { d, dp, P } = L;
  const R = dp * 8; // bytes per row of U
  const dEven = d + (d % 2);
  // i32 locals after the params (0 trial, 1 task)
  const [U, BV, J, PJ, PK, I, CELLS, PP, ROW, LIM, LIM8, COL, IC, PI, PA, KB, KEND] = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
  const [RIDGE, LARGEST, MINPIV, DIAG, LJJ, S, A] = [19, 20, 21, 22, 23, 24, 25];
  const [ACC0, US, LJ] = [26, 30, 31];
  const c = new Code();
  c.get(1).i32(R * dp).op(OP.i32Mul).i32(L.scratchOffset).op(OP.i32Add).set(U);
  c.get(0).i32(R).op(OP.i32Mul).i32(L.solOffset).op(OP.i32Add).set(BV);
  c.i32(0).f64Load(RIDGE_AT).set(RIDGE);

  // unpack: cell (p, lane) holds G[4·JQ + n, 4·KQ + lane] for n = 0…3, stored to U's row 4·KQ + lane, columns
  // 4·JQ…4·JQ + 3 (the upper triangle and, in diagonal blocks, a few entries below it that nothing reads)
  c.get(0).i32(P * 64).op(OP.i32Mul).i32(L.outOffset).op(OP.i32Add).set(CELLS);
  c.i32(0).set(PP).i32(P).set(LIM);
  c.whileBelow(PP, LIM, () => {
    c.get(PP).i32(8).op(OP.i32Mul).i32Load(L.pairOffset + 4).i32(2).op(OP.i32ShrU).i32(R).op(OP.i32Mul).get(U).op(OP.i32Add);
    c.get(PP).i32(8).op(OP.i32Mul).i32Load(L.pairOffset).i32(1).op(OP.i32Shl).op(OP.i32Add).set(ROW);
    for (let lane = 0; lane < 4; lane++) {
      for (let half = 0; half < 2; half++) {
        c.get(ROW).get(CELLS).simdMem(SIMD.load64Zero, 3, lane * 16 + half * 8).simd(SIMD.f64x2PromoteLowF32x4).v128Store(lane * R + half * 16);
      }
    }
    c.addTo(CELLS, 64).addTo(PP, 1);
  });

  // the ridge on the diagonal, and the largest diagonal entry (Math.max's order: largest first)
  c.f64(0).set(LARGEST).i32(0).set(J).i32(d).set(LIM).get(U).set(PJ);
  c.whileBelow(J, LIM, () => {
    c.get(PJ).get(PJ).f64Load().get(RIDGE).op(OP.f64Add).tee(A).f64Store();
    c.get(LARGEST).get(A).op(OP.f64Max).set(LARGEST);
    c.addTo(PJ, R + 8).addTo(J, 1);
  });
  c.i32(0).f64Load(PIVOT_FLOOR_AT).get(LARGEST).op(OP.f64Mul).set(MINPIV);

  // the factor, row j of U after another
  c.i32(Math.max(0, dEven - 7)).set(LIM8);
  c.i32(0).set(J);
  c.whileBelow(J, LIM, () => {
    c.get(J).i32(R).op(OP.i32Mul).get(U).op(OP.i32Add).set(PJ);
    c.get(J).i32(3).op(OP.i32Shl).set(COL);
    // diagonal = G[j][j] − Σ_k U[k][j]², k ascending
    c.get(PJ).get(COL).op(OP.i32Add).f64Load().set(DIAG);
    c.get(U).set(PK);
    c.whileBelow(PK, PJ, () => {
      c.get(DIAG).get(PK).get(COL).op(OP.i32Add).f64Load().tee(A).get(A).op(OP.f64Mul).op(OP.f64Sub).set(DIAG);
      c.addTo(PK, R);
    });
    c.get(DIAG).get(MINPIV).op(OP.f64Gt).op(OP.i32Eqz).if().i32(0).return().end();
    c.get(DIAG).op(OP.f64Sqrt).set(LJJ);
    c.get(PJ).get(COL).op(OP.i32Add).get(LJJ).f64Store();
    c.get(J).i32(1).op(OP.i32Add).set(I);
    // an odd first column alone, so the pairs below start even
    c.get(I).get(LIM).op(OP.i32LtU).get(I).i32(1).op(OP.i32And).op(OP.i32And).if();
    c.get(I).i32(3).op(OP.i32Shl).set(IC);
    c.get(PJ).get(IC).op(OP.i32Add).f64Load().set(S);
    c.get(U).set(PK);
    c.whileBelow(PK, PJ, () => {
      c.get(S).get(PK).get(IC).op(OP.i32Add).f64Load().get(PK).get(COL).op(OP.i32Add).f64Load().op(OP.f64Mul).op(OP.f64Sub).set(S);
      c.addTo(PK, R);
    });
    c.get(PJ).get(IC).op(OP.i32Add).get(S).get(LJJ).op(OP.f64Div).f64Store();
    c.addTo(I, 1);
    c.end();
    c.get(LJJ).simd(SIMD.f64x2Splat).set(LJ);
    // entries i, i + 1, … of row j: U[j][i] = (G[j][i] − Σ_k U[k][i]·U[k][j]) / U[j][j], 8 (then 2) at a time
    const entries = (pairs: number, limit: number, step: number) => {
      c.whileBelow(I, limit, () => {
        c.get(PJ).get(I).i32(3).op(OP.i32Shl).op(OP.i32Add).set(PI);
        for (let m = 0; m < pairs; m++) c.get(PI).v128Load(16 * m).set(ACC0 + m);
        c.get(I).i32(3).op(OP.i32Shl).set(IC);
        c.get(U).set(PK);
        c.whileBelow(PK, PJ, () => {
          c.get(PK).get(COL).op(OP.i32Add).f64Load().simd(SIMD.f64x2Splat).set(US);
          c.get(PK).get(IC).op(OP.i32Add).set(PA);
          for (let m = 0; m < pairs; m++) c.get(ACC0 + m).get(PA).v128Load(16 * m).get(US).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Sub).set(ACC0 + m);
          c.addTo(PK, R);
        });
        for (let m = 0; m < pairs; m++) c.get(PI).get(ACC0 + m).get(LJ).simd(SIMD.f64x2Div).v128Store(16 * m);
        c.addTo(I, step);
      });
    };
    entries(4, LIM8, 8);
    entries(1, LIM, 2);
    c.addTo(J, 1);
  });

  // forward: b[i] = (b[i] − Σ_{k<i} L[i][k]·b[k]) / L[i][i], with L[i][k] = U[k][i]
  c.i32(0).set(I);
  c.whileBelow(I, LIM, () => {
    c.get(I).i32(3).op(OP.i32Shl).set(IC);
    c.get(BV).get(IC).op(OP.i32Add).f64Load().set(S);
    c.get(U).set(PK).get(BV).set(KB).get(BV).get(IC).op(OP.i32Add).set(KEND);
    c.whileBelow(KB, KEND, () => {
      c.get(S).get(PK).get(IC).op(OP.i32Add).f64Load().get(KB).f64Load().op(OP.f64Mul).op(OP.f64Sub).set(S);
      c.addTo(PK, R).addTo(KB, 8);
    });
    c.get(BV).get(IC).op(OP.i32Add).get(S).get(I).i32(R + 8).op(OP.i32Mul).get(U).op(OP.i32Add).f64Load().op(OP.f64Div).f64Store();
    c.addTo(I, 1);
  });
  // backward: b[i] = (b[i] − Σ_{k>i} L[k][i]·b[k]) / L[i][i], i descending, with L[k][i] = U[i][k]
  c.get(LIM).set(I);
  c.block().loop();
  c.get(I).op(OP.i32Eqz).brIf(1);
  c.addTo(I, -1);
  c.get(I).i32(3).op(OP.i32Shl).set(IC);
  c.get(BV).get(IC).op(OP.i32Add).f64Load().set(S);
  c.get(I).i32(R).op(OP.i32Mul).get(U).op(OP.i32Add).set(PI);
  c.get(BV).get(IC).op(OP.i32Add).i32(8).op(OP.i32Add).set(KB);
  c.get(BV).i32(d * 8).op(OP.i32Add).set(KEND);
  c.get(PI).get(IC).op(OP.i32Add).i32(8).op(OP.i32Add).set(PA);
  c.whileBelow(KB, KEND, () => {
    c.get(S).get(PA).f64Load().get(KB).f64Load().op(OP.f64Mul).op(OP.f64Sub).set(S);
    c.addTo(PA, 8).addTo(KB, 8);
  });
  c.get(BV).get(IC).op(OP.i32Add).get(S).get(PI).get(IC).op(OP.i32Add).f64Load().op(OP.f64Div).f64Store();
  c.br(0).end().end();
  c.i32(1);
  const locals = [...new Array<number>(17).fill(I32), ...new Array<number>(7).fill(F64), ...new Array<number>(6).fill(V128)];
  return { params: [I32, I32], results: [I32], locals, code: c };
}
