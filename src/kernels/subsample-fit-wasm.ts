/**
 * The subsample method's per-trial fit as wasm, run by webasm's workers right after the trial's block Gram
 * (subsample-gram.ts): Xᵀu, then the Cholesky factorisation of the Gram (with the ridge on its diagonal) and the two
 * triangular solves. The main thread used to unpack every Gram, factor it and solve in JavaScript, one trial after
 * the other (a third of its time at d = 100), while the workers waited.
 *
 * Bit for bit the numbers of the JavaScript it replaces: Xᵀu is linear.ts's XTY (float32, two partial sums over even
 * and odd rows, added at the end), the factorisation is core/linalg's choleskyInPlace and the solves
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
  // i32 locals after the params (0 trial, 1 task), then f64
  const [U, BV, J, PJ, CELLS, PP, ROW, LIM] = [2, 3, 4, 5, 6, 7, 8, 9];
  const [RIDGE, LARGEST, MINPIV, A] = [10, 11, 12, 13];
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

  // the factor and the solves (function 6), for the d×d Gram
  c.get(U).get(BV).i32(d).get(MINPIV).call(FACTOR_SOLVE);
  const locals = [...new Array<number>(8).fill(I32), ...new Array<number>(4).fill(F64)];
  return { params: [I32, I32], results: [I32], locals, code: c };
}

/** The index of factorSolve in the module (subsample-gram.ts lists the functions). */
export const FACTOR_SOLVE = 6;

/**
 * factorSolve(U, b, n, minPivot) → 1 solved, 0 a pivot not above minPivot: the n×n symmetric matrix in U's upper
 * triangle (row stride dp) factored in place as U = Lᵀ, then (LLᵀ)x = b solved in place of b — choleskyInPlace
 * and choleskySolve's operations in their order. For the Gram (n = d) and the minimum-norm fit's kernel (n = r).
 */
export function factorSolveFunction(L: FitLayout): WasmFunction {
  const R = L.dp * 8; // bytes per row of U
  const [U, BV, N, MINPIV] = [0, 1, 2, 3];
  const LIM = N;
  const [J, PJ, PK, I, LIM8, COL, IC, PI, PA, KB, KEND] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  const [DIAG, LJJ, S, A] = [15, 16, 17, 18];
  const [ACC0, US, LJ] = [19, 23, 24];
  const c = new Code();
  // the factor, row j of U after another
  // LIM8 = max(0, nEven − 7): the last i of a block of eight entries
  c.get(N).get(N).i32(1).op(OP.i32And).op(OP.i32Add).i32(7).op(OP.i32Sub).set(LIM8);
  c.i32(0).get(LIM8).get(LIM8).i32(0).op(OP.i32LtS).op(OP.select).set(LIM8);
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
  c.get(BV).get(N).i32(3).op(OP.i32Shl).op(OP.i32Add).set(KEND);
  c.get(PI).get(IC).op(OP.i32Add).i32(8).op(OP.i32Add).set(PA);
  c.whileBelow(KB, KEND, () => {
    c.get(S).get(PA).f64Load().get(KB).f64Load().op(OP.f64Mul).op(OP.f64Sub).set(S);
    c.addTo(PA, 8).addTo(KB, 8);
  });
  c.get(BV).get(IC).op(OP.i32Add).get(S).get(PI).get(IC).op(OP.i32Add).f64Load().op(OP.f64Div).f64Store();
  c.br(0).end().end();
  c.i32(1);
  const locals = [...new Array<number>(11).fill(I32), ...new Array<number>(4).fill(F64), ...new Array<number>(6).fill(V128)];
  return { params: [I32, I32, I32, F64], results: [I32], locals, code: c };
}

/** Bytes per task of the minimum-norm fit's scratch: the drawn rows by columns (dp × dp float64) and ȳ (dp). */
export const minNormBytes = (dp: number): number => (dp * dp + dp) * 8;

/**
 * minNorm(trial, task) → 2 solved, 0 the drawn rows linearly dependent (a pivot not above 0), 4 more than dp rows
 * drawn (the caller's host fit then runs): subsample.ts's minimumNorm, bit for bit. The r distinct rows drawn
 * (t ascending) interpolate their mean labels ȳ_t = u_t/c_t: K = X_r X_rᵀ (rowInnerProducts' sums, k ascending),
 * factored and solved for α (factorSolve), then ŵ[k] = Σ_a X[t_a, k]·α_a (a ascending, from 0) into the trial's
 * solution.
 */
export function minNormFunction(L: FitLayout & { cOffset: number; listOffset: number; minNormOffset: number }): WasmFunction {
  const { T, d, dp } = L;
  const R = dp * 8;
  const [U, XT, AL, CB, UB, XB, A8, T4, TEND, K8, KEND, LP, B8, PK, BV] = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const [S, ACC] = [17, 18];
  const c = new Code();
  c.get(1).i32(R * dp).op(OP.i32Mul).i32(L.scratchOffset).op(OP.i32Add).set(U);
  c.get(1).i32(minNormBytes(dp)).op(OP.i32Mul).i32(L.minNormOffset).op(OP.i32Add).tee(XT).i32(R * dp).op(OP.i32Add).set(AL);
  c.get(0).i32(T * 4).op(OP.i32Mul).tee(T4).i32(L.cOffset).op(OP.i32Add).set(CB);
  c.get(T4).i32(L.uOffset).op(OP.i32Add).set(UB);
  c.get(0).i32(T * dp * 4).op(OP.i32Mul).i32(L.xOffset).op(OP.i32Add).set(XB);
  c.get(1).i32(T * 4).op(OP.i32Mul).i32(L.listOffset).op(OP.i32Add).set(LP);
  // the drawn rows, t ascending: ȳ into α, the row into column a of X_rᵀ, t·4 into the list
  c.i32(0).set(A8).i32(0).set(T4).i32(T * 4).set(TEND);
  c.whileBelow(T4, TEND, () => {
    c.get(CB).get(T4).op(OP.i32Add).f32Load().f32(0).op(OP.f32Gt).if();
    c.get(A8).i32(R).op(OP.i32GeU).if().i32(4).return().end();
    c.get(AL).get(A8).op(OP.i32Add);
    c.get(UB).get(T4).op(OP.i32Add).f32Load().op(OP.f64PromoteF32).get(CB).get(T4).op(OP.i32Add).f32Load().op(OP.f64PromoteF32).op(OP.f64Div).f64Store();
    c.get(LP).get(A8).i32(1).op(OP.i32ShrU).op(OP.i32Add).get(T4).i32Store();
    c.i32(0).set(K8).i32(d * 8).set(KEND);
    c.whileBelow(K8, KEND, () => {
      // X_rᵀ[k][a] = X[t, k]
      c.get(XT).get(K8).i32(dp).op(OP.i32Mul).op(OP.i32Add).get(A8).op(OP.i32Add);
      c.get(XB).get(T4).i32(dp).op(OP.i32Mul).op(OP.i32Add).get(K8).i32(1).op(OP.i32ShrU).op(OP.i32Add).f32Load().op(OP.f64PromoteF32).f64Store();
      c.addTo(K8, 8);
    });
    c.addTo(A8, 8);
    c.end();
    c.addTo(T4, 4);
  });
  // K[a][b] = Σ_k x_a[k]·x_b[k] for b ≤ a, into U[b][a] (the upper triangle factorSolve reads); b two at a time
  const dot = (pairs: boolean) => {
    // acc = Σ_k X_rᵀ[k][a]·X_rᵀ[k][b…], k ascending from 0
    if (pairs) c.v128Zero().set(ACC);
    else c.f64(0).set(S);
    c.i32(0).set(K8).i32(d * 8).set(KEND);
    c.whileBelow(K8, KEND, () => {
      c.get(XT).get(K8).i32(dp).op(OP.i32Mul).op(OP.i32Add).set(PK);
      if (pairs) c.get(ACC).get(PK).get(T4).op(OP.i32Add).f64Load().simd(SIMD.f64x2Splat).get(PK).get(B8).op(OP.i32Add).v128Load().simd(SIMD.f64x2Mul).simd(SIMD.f64x2Add).set(ACC);
      else c.get(S).get(PK).get(T4).op(OP.i32Add).f64Load().get(PK).get(B8).op(OP.i32Add).f64Load().op(OP.f64Mul).op(OP.f64Add).set(S);
      c.addTo(K8, 8);
    });
  };
  // T4 now walks a·8 (the row a), B8 b·8
  c.i32(0).set(T4);
  c.whileBelow(T4, A8, () => {
    c.i32(0).set(B8);
    // pairs (b, b + 1) while b + 1 ≤ a, then b = a (and b = a − 1 when a is even) one at a time
    c.block().loop();
    c.get(B8).i32(8).op(OP.i32Add).get(T4).op(0x4b).brIf(1); // i32.gt_u: b + 1 > a, done with pairs
    dot(true);
    c.get(U).get(B8).i32(dp).op(OP.i32Mul).op(OP.i32Add).get(T4).op(OP.i32Add).get(ACC).simd(SIMD.f64x2ExtractLane, 0).f64Store();
    c.get(U).get(B8).i32(dp).op(OP.i32Mul).op(OP.i32Add).i32(R).op(OP.i32Add).get(T4).op(OP.i32Add).get(ACC).simd(SIMD.f64x2ExtractLane, 1).f64Store();
    c.addTo(B8, 16).br(0).end().end();
    c.get(T4).i32(8).op(OP.i32Add).set(TEND);
    c.whileBelow(B8, TEND, () => {
      dot(false);
      c.get(U).get(B8).i32(dp).op(OP.i32Mul).op(OP.i32Add).get(T4).op(OP.i32Add).get(S).f64Store();
      c.addTo(B8, 8);
    });
    c.addTo(T4, 8);
  });
  c.get(U).get(AL).get(A8).i32(3).op(OP.i32ShrU).f64(0).call(FACTOR_SOLVE).op(OP.i32Eqz).if().i32(0).return().end();
  // ŵ[k] = Σ_a X[t_a, k]·α_a, two k at a time (the padding's lanes add zeros)
  c.get(0).i32(R).op(OP.i32Mul).i32(L.solOffset).op(OP.i32Add).set(BV);
  c.i32(0).set(K8).i32(8 * (d + (d % 2))).set(KEND);
  c.whileBelow(K8, KEND, () => {
    c.v128Zero().set(ACC);
    c.i32(0).set(B8);
    c.whileBelow(B8, A8, () => {
      c.get(ACC);
      c.get(XB).get(LP).get(B8).i32(1).op(OP.i32ShrU).op(OP.i32Add).i32Load().i32(dp).op(OP.i32Mul).op(OP.i32Add).get(K8).i32(1).op(OP.i32ShrU).op(OP.i32Add);
      c.simdMem(SIMD.load64Zero, 3).simd(SIMD.f64x2PromoteLowF32x4).get(AL).get(B8).op(OP.i32Add).f64Load().simd(SIMD.f64x2Splat).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Add).set(ACC);
      c.addTo(B8, 8);
    });
    c.get(BV).get(K8).op(OP.i32Add).get(ACC).v128Store();
    c.addTo(K8, 16);
  });
  c.i32(2);
  const locals = [...new Array<number>(15).fill(I32), F64, V128];
  return { params: [I32, I32], results: [I32], locals, code: c };
}
