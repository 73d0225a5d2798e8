/**
 * The subsample draw as wasm on webasm's workers (subsample-gram.ts): T rows without replacement from the pooled
 * data sets' rows, their multiplicities c_t and summed labels u_t. The same draw as the host's, bit for bit: the
 * trial's xoshiro128** stream (KeyedGenerator, its state from core/rng's xoshiroState), `uniform()`'s 53 bits and
 * DistinctSampler's Floyd algorithm with its fold of 1 onto 0, then counts and float32 sums added in draw order. The
 * main thread drew every trial's T rows one after the other, each a likely cache miss in the kept labels; the
 * workers now draw their trials side by side next to the labels, which stay in the kernel's memory.
 */
import { Code, I32, OP, type WasmFunction } from './wasm-emit.js';

export interface SampleLayout {
  T: number;
  cOffset: number;
  uOffset: number;
  /** per trial its stream's four state words */
  keysOffset: number;
  /** per pooled data set the byte offset of its labels [trial·T + t] */
  poolOffset: number;
  /** per task: a stamp per candidate row (stampBytes), and its draw counter */
  stampsOffset: number;
  stampBytes: number;
  epochsOffset: number;
}

/** The number of pooled data sets, an i32 in the header. */
export const POOL_COUNT_AT = 28;

/** sample(trial, task): counts and summed labels of the trial's subsample, [trial·T + t]. */
export function sampleFunction(L: SampleLayout): WasmFunction {
  const { T } = L;
  const [S0, S1, S2, S3, RANGE, J, R, PICK, ST, EP, CB, UB, TB, Q, A, X, HIGH, JP1] = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const c = new Code();
  // xoshiro128**'s next 32 bits (KeyedGenerator.nextUint32) into X
  const next = () => {
    c.get(S1).i32(5).op(OP.i32Mul).i32(7).op(OP.i32Rotl).i32(9).op(OP.i32Mul).set(X);
    c.get(S1).i32(9).op(OP.i32Shl).set(A); // t
    c.get(S2).get(S0).op(OP.i32Xor).set(S2);
    c.get(S3).get(S1).op(OP.i32Xor).set(S3);
    c.get(S1).get(S2).op(OP.i32Xor).set(S1);
    c.get(S0).get(S3).op(OP.i32Xor).set(S0);
    c.get(S2).get(A).op(OP.i32Xor).set(S2);
    c.get(S3).i32(11).op(OP.i32Rotl).set(S3);
  };
  c.get(0).i32(16).op(OP.i32Mul).i32(L.keysOffset).op(OP.i32Add).set(A);
  c.get(A).i32Load(0).set(S0).get(A).i32Load(4).set(S1).get(A).i32Load(8).set(S2).get(A).i32Load(12).set(S3);
  c.i32(0).i32Load(POOL_COUNT_AT).i32(T).op(OP.i32Mul).set(RANGE);
  // a fresh stamp value per draw (DistinctSampler's epoch): a module serves one chunk, far below 2³² draws per task
  c.get(1).i32(4).op(OP.i32Mul).i32(L.epochsOffset).op(OP.i32Add).tee(A);
  c.get(A).i32Load().i32(1).op(OP.i32Add).tee(EP).i32Store();
  c.get(1).i32(L.stampBytes).op(OP.i32Mul).i32(L.stampsOffset).op(OP.i32Add).set(ST);
  c.get(0).i32(T * 4).op(OP.i32Mul).tee(TB).i32(L.cOffset).op(OP.i32Add).set(CB);
  c.get(TB).i32(L.uOffset).op(OP.i32Add).set(UB);
  c.i32(0).set(A).i32(T * 4).set(Q);
  c.whileBelow(A, Q, () => {
    c.get(CB).get(A).op(OP.i32Add).i32(0).i32Store();
    c.get(UB).get(A).op(OP.i32Add).i32(0).i32Store();
    c.addTo(A, 4);
  });
  c.get(RANGE).i32(T).op(OP.i32Sub).set(J);
  c.whileBelow(J, RANGE, () => {
    // uniform() = (high·2²⁶ + low + 1)/2⁵³ on (0, 1]; r = ⌊u·(j + 1)⌋ mod (j + 1)
    next();
    c.get(X).i32(5).op(OP.i32ShrU).set(HIGH);
    next();
    c.get(J).i32(1).op(OP.i32Add).set(JP1);
    c.get(HIGH).op(OP.f64ConvertI32U).f64(67108864).op(OP.f64Mul);
    c.get(X).i32(6).op(OP.i32ShrU).op(OP.f64ConvertI32U).op(OP.f64Add).f64(1).op(OP.f64Add).f64(9007199254740992).op(OP.f64Div);
    c.get(JP1).op(OP.f64ConvertI32U).op(OP.f64Mul).op(OP.f64Floor).op(OP.i32TruncF64U).set(R);
    c.i32(0).get(R).get(R).get(JP1).op(OP.i32Eq).op(OP.select).set(R);
    // Floyd: r if not drawn yet in this draw, else j
    c.get(J).get(R).get(ST).get(R).i32(4).op(OP.i32Mul).op(OP.i32Add).i32Load().get(EP).op(OP.i32Eq).op(OP.select).set(PICK);
    c.get(ST).get(PICK).i32(4).op(OP.i32Mul).op(OP.i32Add).get(EP).i32Store();
    // row t = pick mod T of pooled data set q = ⌊pick/T⌋: c_t += 1, u_t += its label, in float32
    c.get(PICK).i32(T).op(OP.i32DivU).set(Q);
    c.get(PICK).get(Q).i32(T).op(OP.i32Mul).op(OP.i32Sub).i32(4).op(OP.i32Mul).set(A);
    c.get(CB).get(A).op(OP.i32Add).tee(X).get(X).f32Load().f32(1).op(OP.f32Add).f32Store();
    c.get(UB).get(A).op(OP.i32Add).tee(X).get(X).f32Load();
    c.get(Q).i32(4).op(OP.i32Mul).i32(L.poolOffset).op(OP.i32Add).i32Load().get(TB).op(OP.i32Add).get(A).op(OP.i32Add).f32Load();
    c.op(OP.f32Add).f32Store();
    c.addTo(J, 1);
  });
  return { params: [I32, I32], results: [], locals: [...new Array<number>(18).fill(I32)], code: c };
}
