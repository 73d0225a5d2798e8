/**
 * XᵀX of every trial of a chunk as a hand-written wasm SIMD kernel on webasm's worker pool, from the padded
 * trial-major X that the resident Xᵀy kernel keeps (noise-moments.ts, same memory): core/linalg's `gram`, bit for bit,
 * off the main thread. Every entry (j, k) is what `gram` makes of it: from 0, for each block of four rows t the sum
 * ((x₀ⱼx₀ₖ + x₁ⱼx₁ₖ) + x₂ⱼx₂ₖ) + x₃ⱼx₃ₖ added to the running total, then the remaining rows' xₜⱼxₜₖ one at a time, in
 * float64 on float32 inputs (each product exact). Lanes run along k (f64x2, two columns): no lane's order changes.
 * A cell is one trial; rows j go four at a time, their sixteen x[t, j] splatted once per block of rows t and shared by
 * every pair of columns k ≤ j + 3 (the entries above the diagonal inside a block of four are computed and ignored).
 * The output is dp×dp per trial (dp = 4⌈d/4⌉, padding rows and columns zero), lower triangle valid.
 */
import { Code, I32, uleb, V128 } from './wasm-emit.js';

export interface DesignGramLayout {
  T: number;
  dp: number;
  xOffset: number;
  gOffset: number;
}

/** The module's code (for assembleRun): run(start, end, seed) computes trials start … end − 1 (seed unused). */
export function designGramCode(L: DesignGramLayout): { locals: [number, number][]; code: number[] } {
  // the instructions through wasm-emit's builder, named as the code below uses them
  const emit = new Code();
  const op = (...b: number[]) => emit.op(...b);
  const i32 = (v: number) => emit.i32(v);
  const get = (l: number) => emit.get(l);
  const set = (l: number) => emit.set(l);
  const tee = (l: number) => emit.tee(l);
  const simd = (o: number, ...rest: number[]) => emit.simd(o, ...rest);
  const add = (l: number, v: number) => {
    get(l);
    i32(v);
    op(0x6a);
    set(l);
  };
  const rowBytes = L.dp * 4;
  const gRowBytes = L.dp * 8;
  const T4 = L.T - (L.T % 4);
  // i32: 3 cell, 4 xt, 5 xEnd4, 6 xEnd, 7 jg (bytes: 4·j), 8 xj, 9 xk, 10 kEnd, 11 gk, 12 gBase, 13 p;
  // v128: 14–29 a[q·4 + i] = x[t + i, jg + q] (f64x2 splat), 30–33 c[i], 34 blk
  const [CELL, XT, XEND4, XEND, JG, XJ, XK, KEND, GK, GBASE, P] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const A = 14;
  const C = 30;
  const BLK = 34;
  /** a[q·4 + i] ← splat(f64(x[t + i, j + q])) for i < rows */
  const loadA = (rows: number) => {
    for (let q = 0; q < 4; q++) {
      for (let i = 0; i < rows; i++) {
        get(XJ);
        op(0x2a, 2, ...uleb((i * L.dp + q) * 4)); // f32.load
        op(0xbb); // f64.promote_f32
        simd(0x14); // f64x2.splat
        set(A + q * 4 + i);
      }
    }
  };
  /** for k = 0, 2, … < j + 4: c[i] = f64(x[t + i, k…k+1]); G[j + q, k…k+1] += (the rows' products, in gram's order) */
  const kPairs = (rows: number) => {
    get(XT);
    set(XK);
    get(XT);
    get(JG);
    op(0x6a);
    i32(16);
    op(0x6a);
    set(KEND); // xt + 4·(jg + 4)
    get(GBASE);
    get(JG);
    i32(2 * L.dp); // 4·jg bytes → jg·dp·8 bytes
    op(0x6c, 0x6a);
    set(GK);
    op(0x03, 0x40); // loop $pairs
    for (let i = 0; i < rows; i++) {
      get(XK);
      simd(0x5d, 3, ...uleb(i * rowBytes)); // v128.load64_zero x[t + i, k…k+1]
      simd(0x5f); // f64x2.promote_low_f32x4
      set(C + i);
    }
    for (let q = 0; q < 4; q++) {
      get(A + q * 4);
      get(C);
      simd(0xf2); // f64x2.mul
      for (let i = 1; i < rows; i++) {
        get(A + q * 4 + i);
        get(C + i);
        simd(0xf2);
        simd(0xf0); // f64x2.add, left to right as gram's expression
      }
      set(BLK);
      get(GK);
      get(GK);
      simd(0x00, 4, ...uleb(q * gRowBytes)); // v128.load G[j + q, k…k+1]
      get(BLK);
      simd(0xf0); // the running total + the block's sum
      simd(0x0b, 4, ...uleb(q * gRowBytes)); // v128.store
    }
    add(XK, 8);
    add(GK, 16);
    get(XK);
    get(KEND);
    op(0x49); // i32.lt_u
    op(0x0d, 0); // br_if $pairs
    op(0x0b); // end $pairs
  };
  /** all row groups j of the rows at xt (4 rows or 1) */
  const rowGroups = (rows: number) => {
    i32(0);
    set(JG);
    op(0x03, 0x40); // loop $groups
    get(XT);
    get(JG);
    op(0x6a);
    set(XJ);
    loadA(rows);
    kPairs(rows);
    add(JG, 16);
    get(JG);
    i32(L.dp * 4);
    op(0x49);
    op(0x0d, 0); // br_if $groups
    op(0x0b);
  };
  get(0);
  set(CELL);
  op(0x02, 0x40); // block $done
  op(0x03, 0x40); // loop $cells
  get(CELL);
  get(1);
  op(0x4f); // i32.ge_u
  op(0x0d, 1); // br_if $done
  // gBase = gOffset + cell·dp²·8, zeroed
  get(CELL);
  i32(L.dp * L.dp * 8);
  op(0x6c);
  i32(L.gOffset);
  op(0x6a);
  tee(GBASE);
  set(P);
  op(0x03, 0x40); // loop $zero
  get(P);
  simd(0x0c, ...new Array(16).fill(0)); // v128.const 0
  simd(0x0b, 4, 0); // v128.store
  add(P, 16);
  get(P);
  get(GBASE);
  i32(L.dp * L.dp * 8);
  op(0x6a);
  op(0x49);
  op(0x0d, 0);
  op(0x0b);
  // xt = xOffset + cell·T·dp·4; xEnd4 after the blocks of four rows; xEnd after all T
  get(CELL);
  i32(L.T * rowBytes);
  op(0x6c);
  i32(L.xOffset);
  op(0x6a);
  tee(XT);
  i32(T4 * rowBytes);
  op(0x6a);
  set(XEND4);
  get(XT);
  i32(L.T * rowBytes);
  op(0x6a);
  set(XEND);
  if (T4 > 0) {
    op(0x03, 0x40); // loop $blocks
    rowGroups(4);
    add(XT, 4 * rowBytes);
    get(XT);
    get(XEND4);
    op(0x49);
    op(0x0d, 0);
    op(0x0b);
  }
  if (L.T > T4) {
    op(0x03, 0x40); // loop $rest
    rowGroups(1);
    add(XT, rowBytes);
    get(XT);
    get(XEND);
    op(0x49);
    op(0x0d, 0);
    op(0x0b);
  }
  add(CELL, 1);
  op(0x0c, 0); // br $cells
  op(0x0b); // end $cells
  op(0x0b); // end $done
  return { locals: [[11, I32], [21, V128]], code: emit.bytes };
}

/** The lower triangle of the kernel's dp×dp Grams into `out` [trial·d² + j·d + k], both triangles, as `gram` fills it. */
export function unpackDesignGram(G: Float64Array, B: number, d: number, dp: number, out: Float64Array): void {
  for (let tr = 0; tr < B; tr++) {
    const from = tr * dp * dp;
    const to = tr * d * d;
    for (let j = 0; j < d; j++) {
      for (let k = 0; k <= j; k++) {
        const v = G[from + j * dp + k];
        out[to + j * d + k] = v;
        out[to + k * d + j] = v;
      }
    }
  }
}
