/**
 * In-kernel N(0, 1) draws as gpu.js kernel source, and the seeding that makes them independent of the chunking.
 * Backend-neutral arithmetic only (no Math.log/Math.cos), so the same source runs on webasm, webgpu and cpu.
 */
/**
 * Two N(0, 1) draws into `z0` and `z1`: Box–Muller's pair r·cos 2πv and r·sin 2πv from one pair of the backend's
 * seeded PCG uniforms, 1 − u keeping the log finite. Both halves of the pair are kept: one ln, one square root and two
 * PCG steps serve two normals (2.4× the draws per second of the cos-only form on webasm, measured). ln, cos and sin are
 * written out in float32 arithmetic because gpu.js's webasm lowers Math.log/Math.cos to one JS call per SIMD lane
 * (3.2× slower; checked against Math.log/Math.cos/Math.sin in test/kernels/linear.test.ts): ln u by exact
 * power-of-two range reduction to m ∈ [√½, √2) and ln m = 2·atanh((m − 1)/(m + 1)) to s⁹ (truncation < 10⁻⁹);
 * 2πv folded to θ ∈ [0, π/2] and the Taylor series of cos θ to θ¹² and of sin θ to θ¹³ (truncation < 10⁻⁸).
 * Random kernels run on a 1-D output in trial-major order: pair cell p holds draws 2p and 2p + 1 of the stream
 * [trial·rows + row], and gpu.js seeds cell p's PCG with (seed + p·0x9E3779B9), so a chunk that starts at global
 * draw g = first·rows and is seeded with streamSeed(seed, ⌊g/2⌋) draws, for every (trial, row), exactly the numbers
 * any other chunking draws (pairSpan). Results then do not depend on the chunk width (C7).
 */
const LOG_OF_U = `
  let e = 0;
  if (u < 0.0000152587890625) { u = u * 65536; e = e - 16; }
  if (u < 0.00390625) { u = u * 256; e = e - 8; }
  if (u < 0.0625) { u = u * 16; e = e - 4; }
  if (u < 0.25) { u = u * 4; e = e - 2; }
  if (u < 0.5) { u = u * 2; e = e - 1; }
  if (u < 0.7071067811865476) { u = u * 2; e = e - 1; }
  const s = (u - 1) / (u + 1);
  const s2 = s * s;
  const logU = 2 * s * (1 + s2 * (0.3333333333333333 + s2 * (0.2 + s2 * (0.14285714285714285 + s2 * 0.1111111111111111)))) + e * 0.6931471805599453;`;

const SIN_COS_OF_V = `
  let cosSign = 1;
  let sinSign = 1;
  if (v > 0.5) { v = 1 - v; sinSign = -1; }
  if (v > 0.25) { v = 0.5 - v; cosSign = -1; }
  const a = 6.283185307179586 * v;
  const a2 = a * a;
  const cosine = cosSign * (1 + a2 * (-0.5 + a2 * (0.041666666666666664 + a2 * (-0.001388888888888889 + a2 * (0.0000248015873015873 + a2 * (-2.755731922398589e-7 + a2 * 2.08767569878681e-9))))));
  const sine = sinSign * a * (1 + a2 * (-0.16666666666666666 + a2 * (0.008333333333333333 + a2 * (-0.0001984126984126984 + a2 * (0.0000027557319223985893 + a2 * (-2.505210838544172e-8 + a2 * 1.6059043836821613e-10))))));`;

export const NORMAL_PAIR = `
  let u = 1 - Math.random();${LOG_OF_U}
  let v = Math.random();${SIN_COS_OF_V}
  const radius = Math.sqrt(-2 * logU);
  const z0 = radius * cosine;
  const z1 = radius * sine;`;

/** The inline ln u (u ∈ (0, 1]) and cos 2πv, sin 2πv (v ∈ [0, 1)) as kernel source, for the test that checks them on a grid. */
export const INLINE_MATH = { log: LOG_OF_U, sinCos: SIN_COS_OF_V } as const;

/** Output: Array(2) per cell, so the flat result is the stream itself. */
export const NORMALS = `function() {${NORMAL_PAIR}
  return [z0, z1];
}`;

/**
 * Where `count` consecutive draws of a stream, starting at draw `firstDraw`, lie in a pair kernel's output: seed the
 * kernel at pair cell ⌊firstDraw/2⌋ and skip `offset` values. A kernel with `cells` pair cells (a multiple of 4: gpu.js's
 * webasm runs SIMD only then) serves either parity of firstDraw, so one compiled kernel serves every chunk.
 */
export function pairSpan(firstDraw: number, count: number): { firstCell: number; offset: number; cells: number } {
  return { firstCell: Math.floor(firstDraw / 2), offset: firstDraw % 2, cells: 4 * Math.ceil((Math.floor(count / 2) + 1) / 4) };
}

/** gpu.js's per-cell seed step (the golden-ratio Weyl increment of its PCG seeding). */
const CELL_STEP = 0x9e3779b9;

/** The kernel seed for a chunk whose first cell is global cell `firstCell` of the stream named by `seed`. */
export function streamSeed(seed: number, firstCell: number): number {
  // (seed + firstCell·step) mod 2³², exactly: split firstCell so no product exceeds 2⁵³
  const high = Math.floor(firstCell / 65536);
  const low = firstCell - high * 65536;
  const part = (Math.imul(high, CELL_STEP) >>> 0) * 65536 + low * CELL_STEP;
  return (seed + (part % 4294967296)) >>> 0;
}
