#!/usr/bin/env node
// An external model family for collapse-lab in plain Node (no dependencies): a d-dimensional Gaussian fit by maximum
// likelihood. The same calls and files as ../python/gaussian.py (spec: gaussian.yaml):
//
//   gaussian.mjs DIM real N SEED OUT  |  fit POOL SEED MODEL  |  sample MODEL N SEED OUT  |  evaluate MODEL TEST OUT
//
// Every random draw comes from SEED (xoshiro128** seeded by splitmix32, normals by Box–Muller), so a resumed run is
// bit-identical; JSON writes every double exactly.
import { readFileSync, writeFileSync } from 'node:fs';

function normals(seed) {
  let x = seed >>> 0;
  const splitmix = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  const s = [splitmix(), splitmix(), splitmix(), splitmix()];
  const next = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
    return result;
  };
  const uniform = () => (next() + 1) / 4294967297; // in (0, 1)
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}
const rotl = (v, k) => (v << k) | (v >>> (32 - k));

/** Lower L with L·Lᵀ = A (row-major d×d); throws if A is not positive definite. */
function cholesky(a, d) {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j];
    for (let k = 0; k < j; k++) s -= l[j * d + k] ** 2;
    if (!(s > 0)) throw new Error('the fitted covariance is not positive definite');
    l[j * d + j] = Math.sqrt(s);
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j];
      for (let k = 0; k < j; k++) t -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = t / l[j * d + j];
    }
  }
  return l;
}

const readLines = (path) => readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
const writeItems = (path, rows) => writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

const [dimText, op, ...args] = process.argv.slice(2);
const d = Number(dimText);
if (op === 'real' || op === 'sample') {
  const model = op === 'sample' ? JSON.parse(readFileSync(args[0], 'utf8')) : null;
  const [n, seed, out] = args.slice(-3);
  const draw = normals(Number(seed));
  const l = model && cholesky(model.cov.flat(), d);
  const rows = Array.from({ length: Number(n) }, () => {
    const z = Array.from({ length: d }, draw);
    if (!model) return z;
    return model.mean.map((m, i) => m + z.reduce((s, zk, k) => s + (k <= i ? l[i * d + k] * zk : 0), 0));
  });
  writeItems(out, rows);
} else if (op === 'fit') {
  const [pool, , out] = args;
  const rows = readLines(pool);
  const mean = new Array(d).fill(0);
  for (const r of rows) for (let i = 0; i < d; i++) mean[i] += r.w * r.x[i];
  const cov = Array.from({ length: d }, () => new Array(d).fill(0));
  for (const r of rows) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i][j] += r.w * (r.x[i] - mean[i]) * (r.x[j] - mean[j]);
  writeFileSync(out, JSON.stringify({ mean, cov }));
} else if (op === 'evaluate') {
  const [modelPath, test, out] = args;
  const { mean, cov } = JSON.parse(readFileSync(modelPath, 'utf8'));
  const l = cholesky(cov.flat(), d);
  let logDet = 0;
  for (let i = 0; i < d; i++) logDet += 2 * Math.log(l[i * d + i]);
  // (x − μ)ᵀ Σ⁻¹ (x − μ) = ‖L⁻¹(x − μ)‖², by forward substitution
  const items = readLines(test);
  let quad = 0;
  for (const x of items) {
    const y = new Array(d);
    for (let i = 0; i < d; i++) {
      let s = x[i] - mean[i];
      for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k];
      y[i] = s / l[i * d + i];
      quad += y[i] ** 2;
    }
  }
  const metrics = {
    logDetRatio: logDet,
    traceRatio: cov.reduce((s, row, i) => s + row[i], 0) / d,
    meanError: mean.reduce((s, m) => s + m * m, 0),
    heldOutNll: 0.5 * (quad / items.length + logDet + d * Math.log(2 * Math.PI)),
  };
  writeFileSync(out, JSON.stringify(metrics));
} else {
  process.stderr.write(`gaussian.mjs: unknown operation ${JSON.stringify(op)}\n`);
  process.exit(2);
}
