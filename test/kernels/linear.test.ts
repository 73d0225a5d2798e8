/**
 * Conformance (C4): every kernel on every available backend against its float64 reference, at float32 tolerance.
 * An absent backend is a skip with its reason, never a pass.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fillNormal, rootKey } from '../../src/core/rng.js';
import { BACKENDS, selectBackend, type Backend } from '../../src/kernels/backend.js';
import { createLinearKernels, reference, type LinearShape } from '../../src/kernels/linear.js';
import { UsageError } from '../../src/core/errors.js';

const shape: LinearShape = { B: 37, T: 23, d: 5 }; // odd sizes: SIMD tails and thread splits
const opened: Backend[] = [];
after(async () => {
  for (const b of opened) await b.destroy();
});

function random(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  fillNormal(out, rootKey(seed));
  return out;
}

/** max |got − want| / (1 + |want|): float32 kernels over sums of ≤ 23 products stay far below 1e-4. */
function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
  return worst;
}

for (const name of BACKENDS) {
  test(`kernels on ${name} match their float64 references`, async (t) => {
    let backend: Backend;
    try {
      backend = await selectBackend(name);
    } catch (error) {
      if (error instanceof UsageError) return t.skip(error.message);
      throw error;
    }
    opened.push(backend);
    const kernels = createLinearKernels(backend, shape, (out, seed) => fillNormal(out, seed));
    const { B, T, d } = shape;
    const X = random(B * T * d, 1);
    const w = random(B * d, 2);
    const noise = random(B * T, 3);
    const y = await kernels.labels(X, w, noise, 0.7);
    assert.ok(maxError(y, reference.labels(X, w, noise, 0.7, shape)) < 1e-5, 'labels');
    const b = await kernels.xty(X, y);
    assert.ok(maxError(b, reference.xty(X, y, shape)) < 1e-5, 'xty');
    const M = random(B * d * d, 4);
    const xi = random(B * d, 5);
    const z = await kernels.matvec(M, xi, 1.3);
    assert.ok(maxError(z, reference.matvec(M, xi, 1.3, shape)) < 1e-5, 'matvec');
    assert.ok(!kernels.kernelClasses().some((c) => name !== 'cpu' && c.startsWith('CPU')), `a kernel degraded to cpu: ${kernels.kernelClasses()}`);
  });

  test(`normal draws on ${name}: same seed same stream, new seed new stream, moments of N(0,1)`, async (t) => {
    let backend: Backend;
    try {
      backend = await selectBackend(name);
    } catch (error) {
      if (error instanceof UsageError) return t.skip(error.message);
      throw error;
    }
    opened.push(backend);
    const kernels = createLinearKernels(backend, { B: 1000, T: 200, d: 1 }, (out, seed) => fillNormal(out, seed));
    const a = await kernels.normals(200, 12345);
    const again = await kernels.normals(200, 12345);
    const other = await kernels.normals(200, 54321);
    assert.deepEqual(a, again);
    assert.notDeepEqual(a, other);
    // 200,000 draws: mean ~ N(0, 1/n), variance − 1 ~ N(0, 2/n); 4 checks at |z| < zStar(4) = 5.03 (family rate 1e-6)
    const n = a.length;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let lag = 0;
    for (let i = 0; i < n; i++) {
      s1 += a[i];
      s2 += a[i] * a[i];
      s3 += a[i] ** 3;
      if (i > 0) lag += a[i] * a[i - 1]; // neighbouring trials (and neighbouring rows at row ends)
    }
    const zMean = s1 / Math.sqrt(n);
    const zVar = (s2 / n - 1) / Math.sqrt(2 / n);
    const zSkew = s3 / n / Math.sqrt(15 / n);
    const zLag = lag / (n - 1) / Math.sqrt(1 / (n - 1));
    for (const [label, z] of Object.entries({ zMean, zVar, zSkew, zLag })) assert.ok(Math.abs(z) < 5.03, `${label} = ${z}`);
  });
}
