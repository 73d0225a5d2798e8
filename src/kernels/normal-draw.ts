/**
 * In-kernel N(0, 1) draws as gpu.js kernel source, and the seeding that makes them independent of the chunking.
 * Backend-neutral arithmetic only (no Math.log/Math.cos), so the same source runs on webasm, webgpu and cpu.
 */
/**
 * One N(0, 1) draw into `z`: Box–Muller from the backend's seeded PCG, 1 − u keeping the log finite. ln and cos are
 * written out in float32 arithmetic because gpu.js's webasm lowers Math.log/Math.cos to one JS call per SIMD lane
 * (measured 3.2× slower than this inline form; checked against Math.log/Math.cos in test/kernels/linear.test.ts):
 * ln u by exact power-of-two range reduction to m ∈ [√½, √2) and ln m = 2·atanh((m − 1)/(m + 1)) to s⁹ (truncation
 * < 10⁻⁹); cos 2πv folded to [0, π/2] and its Taylor series to θ¹² (truncation < 10⁻⁸).
 * Random kernels run on a 1-D output in trial-major order, cell = trial·rows + row: gpu.js seeds cell c's PCG with
 * (seed + c·0x9E3779B9), so a chunk that starts at global trial `first` and is seeded with seed + first·rows·0x9E3779B9
 * draws, for every (trial, row), exactly the numbers any other chunking draws (streamSeed). Results then do not
 * depend on the chunk width (C7).
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

const COS_OF_V = `
  let sign = 1;
  if (v > 0.5) { v = 1 - v; }
  if (v > 0.25) { v = 0.5 - v; sign = -1; }
  const a = 6.283185307179586 * v;
  const a2 = a * a;
  const cosine = sign * (1 + a2 * (-0.5 + a2 * (0.041666666666666664 + a2 * (-0.001388888888888889 + a2 * (0.0000248015873015873 + a2 * (-2.755731922398589e-7 + a2 * 2.08767569878681e-9))))));`;

export const NORMAL_DRAW = `
  let u = 1 - Math.random();${LOG_OF_U}
  let v = Math.random();${COS_OF_V}
  const z = Math.sqrt(-2 * logU) * cosine;`;

/** The inline ln u (u ∈ (0, 1]) and cos 2πv (v ∈ [0, 1)) as kernel source, for the test that checks them on a grid. */
export const INLINE_MATH = { log: LOG_OF_U, cos: COS_OF_V } as const;

export const NORMALS = `function() {${NORMAL_DRAW}
  return z;
}`;

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
