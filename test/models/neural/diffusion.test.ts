/**
 * The diffusion family (src/models/neural/diffusion): Kabsch alignment, the conformer distribution, the DDPM
 * sampler against its exact Gaussian recursion, and the NeuralFamily contract at small sizes on wasm.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { KeyedGenerator, rootKey } from '../../../src/core/rng.js';
import {
  alignTo, bondLengthError, bondLengths, ConformerDistribution, enumerateModes, kabschRotation, rmsd,
} from '../../../src/models/neural/diffusion/conformers.js';
import { initWeights, linearSchedule, sampleAncestral, type DdpmConfig } from '../../../src/models/neural/diffusion/ddpm.js';
import { create, createDiffusion, type DiffusionSizes } from '../../../src/models/neural/diffusion/index.js';
import { PROPRANOLOL_MODES } from '../../../src/models/neural/diffusion/propranolol-modes.js';
import { loadTf } from '../../../src/models/neural/tf.js';

const SMALL: DiffusionSizes = {
  dim: 57, hidden: 32, layers: 2, timeFeatures: 8, levels: 20, learningRate: 2e-3, batch: 64,
  samples: 256, testSamples: 128, evalLevels: 4, bondSamples: 32, jitter: 0.05,
};

/** Row-major 3×3 rotation about a unit axis by `angle` (Rodrigues). */
function rotation(axis: [number, number, number], angle: number): number[] {
  const [x, y, z] = axis;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const t = 1 - c;
  return [t * x * x + c, t * x * y - s * z, t * x * z + s * y, t * x * y + s * z, t * y * y + c, t * y * z - s * x, t * x * z - s * y, t * y * z + s * x, t * z * z + c];
}

function apply(r: ArrayLike<number>, points: Float64Array): Float64Array {
  const out = new Float64Array(points.length);
  for (let a = 0; a < points.length / 3; a++) {
    for (let i = 0; i < 3; i++) out[3 * a + i] = r[3 * i] * points[3 * a] + r[3 * i + 1] * points[3 * a + 1] + r[3 * i + 2] * points[3 * a + 2];
  }
  return out;
}

test('Kabsch recovers a known rotation to 1e-12, and never returns a reflection', () => {
  const generator = new KeyedGenerator(rootKey(11));
  const points = Float64Array.from({ length: 3 * 19 }, () => generator.normal());
  const mean = [0, 1, 2].map((i) => points.filter((_, k) => k % 3 === i).reduce((s, x) => s + x, 0) / 19);
  points.forEach((_, k) => (points[k] -= mean[k % 3]));
  const norm = Math.hypot(1, -2, 0.5);
  const known = rotation([1 / norm, -2 / norm, 0.5 / norm], 2.3);
  const found = kabschRotation(points, apply(known, points));
  known.forEach((r, k) => assert.ok(Math.abs(found[k] - r) < 1e-12, `R[${k}]: got ${found[k]}, expected ${r}`));
  // a mirror image cannot be reached by a rotation: the best proper rotation has det +1
  const mirrored = points.map((x, k) => (k % 3 === 0 ? -x : x));
  const proper = kabschRotation(points, mirrored);
  const det = proper[0] * (proper[4] * proper[8] - proper[5] * proper[7]) - proper[1] * (proper[3] * proper[8] - proper[5] * proper[6]) + proper[2] * (proper[3] * proper[7] - proper[4] * proper[6]);
  assert.ok(Math.abs(det - 1) < 1e-12, `det = ${det}`);
  // alignTo undoes a rotation and a translation of a conformer
  const moved = Float64Array.from(apply(rotation([0, 0, 1], -0.7), points), (x, k) => x + [3, -1, 2][k % 3]);
  alignTo(moved, points);
  assert.ok(rmsd(moved, points) < 1e-12, `RMSD after alignment ${rmsd(moved, points)}`);
});

test('the committed modes: 19 heavy atoms, Boltzmann weights exp(−ΔE/kT) at 300 K, realistic bond lengths', () => {
  const real = new ConformerDistribution(PROPRANOLOL_MODES);
  assert.equal(real.atoms, 19);
  assert.equal(PROPRANOLOL_MODES.bonds.length, 20); // 18 bonds of a tree on 19 atoms + 2 ring closures of naphthalene
  assert.ok(Math.abs(real.weights.reduce((s, w) => s + w, 0) - 1) < 1e-12);
  const [e0, e1] = PROPRANOLOL_MODES.energies;
  const ratio = Math.exp(-(e1 - e0) / (0.0019872041 * 300));
  assert.ok(Math.abs(real.weights[1] / real.weights[0] - ratio) < 1e-12, `w1/w0 = ${real.weights[1] / real.weights[0]}, expected ${ratio}`);
  // every mode's bonds lie between an aromatic C–C (1.39 Å) and a C–C single bond (1.54 Å), to 0.06 Å
  for (const coords of PROPRANOLOL_MODES.coordinates) {
    for (const length of bondLengths(coords, 0, 19, PROPRANOLOL_MODES.bonds)) assert.ok(length > 1.33 && length < 1.6, `bond ${length} Å`);
  }
});

test('real() is a pure function of the key; conformers are centred and have C–C ≈ 1.53 Å and the jitter floor of bond error', () => {
  const real = new ConformerDistribution(PROPRANOLOL_MODES, { jitter: 0.05 });
  const a = real.sample(500, rootKey(3));
  assert.deepEqual(a, real.sample(500, rootKey(3)));
  assert.notDeepEqual(a.subarray(0, 57), real.sample(1, rootKey(4)));
  assert.deepEqual(a.subarray(57 * 10, 57 * 11), real.sample(11, rootKey(3)).subarray(57 * 10)); // item i: foldIn(key, i)
  for (let item = 0; item < 500; item++) {
    for (let axis = 0; axis < 3; axis++) {
      let sum = 0;
      for (let atom = 0; atom < 19; atom++) sum += a[item * 57 + 3 * atom + axis];
      assert.ok(Math.abs(sum / 19) < 1e-5, `centroid ${sum / 19} Å`);
    }
  }
  // sp3 C–C bonds (carbon atoms outside the naphthalene, whose atoms are 9…18): MMFF's 1.53 Å; the mean of 500
  // jittered lengths has sd ≈ 0.07/√500 = 0.003 Å, so ±0.02 Å is > 6 sd (false failure < 1e-9)
  const { atomicNumbers, bonds } = PROPRANOLOL_MODES;
  const aliphatic = bonds.map(([i, j], b) => [i, j, b]).filter(([i, j]) => atomicNumbers[i] === 6 && atomicNumbers[j] === 6 && i < 9 && j < 9);
  assert.ok(aliphatic.length >= 3);
  let sum = 0;
  for (let item = 0; item < 500; item++) {
    const lengths = bondLengths(a, item, 19, bonds);
    for (const [, , b] of aliphatic) sum += lengths[b];
  }
  const mean = sum / (500 * aliphatic.length);
  assert.ok(Math.abs(mean - 1.53) < 0.02, `mean sp3 C–C ${mean} Å`);
  // jitter σ per coordinate moves a bond length by ≈ N(0, 2σ²): E|Δ| = 2σ/√π = 0.0564 Å at σ = 0.05; the mean over
  // 10,000 bond lengths has sd ≈ 0.0004, and mode-to-mode spread adds < 0.005 Å
  const floor = bondLengthError(a, 19, bonds, real.referenceBondLengths);
  assert.ok(Math.abs(floor - 0.0564) < 0.007, `bond-length error of real conformers ${floor} Å`);
});

test('openchemlib re-derives the committed modes: the first minimised conformers match a committed mode', { timeout: 60_000 }, async () => {
  const fresh = await enumerateModes({ smiles: PROPRANOLOL_MODES.smiles, seed: PROPRANOLOL_MODES.seed, maxConformers: 2 });
  assert.deepEqual(fresh.atomicNumbers, PROPRANOLOL_MODES.atomicNumbers);
  assert.deepEqual(fresh.bonds, PROPRANOLOL_MODES.bonds);
  fresh.coordinates.forEach((coords, k) => {
    const match = PROPRANOLOL_MODES.energies.findIndex((e) => Math.abs(e - fresh.energies[k]) < 2e-4);
    assert.ok(match >= 0, `minimum ${k} (${fresh.energies[k]} kcal/mol) is not among the committed modes`);
    const moved = Float64Array.from(coords);
    alignTo(moved, PROPRANOLOL_MODES.coordinates[match]);
    assert.ok(rmsd(moved, PROPRANOLOL_MODES.coordinates[match]) < 1e-3, `minimum ${k}: RMSD ${rmsd(moved, PROPRANOLOL_MODES.coordinates[match])} Å`);
  });
});

test('the sampler follows its exact recursion when ε̂ is the Gaussian optimum: x_{t−1} = √α_t·x_t + β̃_t^½·z', async () => {
  const tf = await loadTf('wasm');
  const config: DdpmConfig = { ...SMALL, levels: 50 };
  const weights = initWeights(tf, config, rootKey(5));
  weights[`w${config.layers}`].assign(tf.zerosLike(weights[`w${config.layers}`]));
  // MLP residual 0: ε̂ = √(1 − ᾱ_t)·x_t, so Var x_{t−1} = α_t·Var x_t + β̃_t from Var x_T = 1, exactly
  const { betas, alphaBars } = linearSchedule(config.levels);
  let variance = 1;
  for (let t = config.levels - 1; t >= 0; t--) {
    const previous = t > 0 ? alphaBars[t - 1] : 1;
    variance = (1 - betas[t]) * variance + (t > 0 ? (betas[t] * (1 - previous)) / (1 - alphaBars[t]) : 0);
  }
  const n = 2000;
  const x = await sampleAncestral(tf, weights, config, n, rootKey(6), 700);
  let sum = 0;
  let squares = 0;
  for (const v of x) {
    sum += v;
    squares += v * v;
  }
  const count = x.length; // 114,000 independent N(0, variance) values
  const mean = sum / count;
  const sampleVariance = squares / count - mean * mean;
  // two checks at |z| < 5.3 each: family false-failure < 1e-6 (C6); relative sd of a variance estimate is √(2/N)
  assert.ok(Math.abs(mean) < 5.3 * Math.sqrt(variance / count), `mean ${mean}, variance ${variance}`);
  assert.ok(Math.abs(sampleVariance / variance - 1) < 5.3 * Math.sqrt(2 / count), `variance ${sampleVariance}, expected ${variance}`);
  for (const w of Object.values(weights)) w.dispose();
});

test('the family contract: size, take, encode/decode, finite metrics, deterministic bits, no leaked tensors', async () => {
  const tf = await loadTf('wasm');
  const family = await createDiffusion(SMALL, { kind: 'steps', amount: 40 }, tf);
  const data = await family.real(SMALL.samples, rootKey(1));
  assert.equal(family.size(data), SMALL.samples);
  const taken = family.take(data, [3, 0, 3]);
  assert.equal(family.size(taken), 3);
  assert.deepEqual(taken.subarray(0, 57), data.subarray(3 * 57, 4 * 57));
  assert.deepEqual(taken.subarray(57 * 2), data.subarray(3 * 57, 4 * 57));
  assert.deepEqual(family.decodeData(family.encodeData(taken)), taken);
  assert.deepEqual(family.decodeData(family.encodeData(data.subarray(57, 57 * 3))), data.subarray(57, 57 * 3));
  const test = await family.real(SMALL.testSamples, rootKey(2));
  const before = tf.memory().numTensors;
  const run = async () => {
    const model = await family.fit([{ data, weight: 1, set: 1 }], rootKey(3));
    const drawn = await family.sample(model, 50, rootKey(4));
    const metrics = await family.evaluate(model, test);
    family.dispose(model);
    return { drawn, metrics };
  };
  const first = await run();
  assert.equal(tf.memory().numTensors, before, 'tensors left behind by fit/sample/evaluate/dispose');
  assert.equal(family.size(first.drawn), 50);
  assert.ok(Number.isFinite(first.metrics.loss) && first.metrics.loss > 0, `loss ${first.metrics.loss}`);
  assert.ok(Number.isFinite(first.metrics.bondLengthError) && first.metrics.bondLengthError > 0);
  const second = await run();
  assert.deepEqual(second.drawn, first.drawn);
  assert.deepEqual(second.metrics, first.metrics);
  assert.equal(tf.memory().numTensors, before);
});

test('training lowers the test denoising loss and the bond-length error below the untrained Gaussian denoiser', { timeout: 120_000 }, async () => {
  const tf = await loadTf('wasm');
  // a little larger than SMALL: at 20 levels and width 32 the samples' bonds barely improve on the Gaussian denoiser
  const sizes: DiffusionSizes = { ...SMALL, hidden: 64, levels: 50, timeFeatures: 16, learningRate: 3e-3 };
  const data = await (await createDiffusion(sizes, { kind: 'steps', amount: 1 }, tf)).real(sizes.samples, rootKey(1));
  const scored = async (steps: number) => {
    const family = await createDiffusion(sizes, { kind: 'steps', amount: steps }, tf);
    const model = await family.fit([{ data, weight: 1, set: 1 }], rootKey(3));
    const metrics = await family.evaluate(model, await family.real(sizes.testSamples, rootKey(2)));
    family.dispose(model);
    return metrics;
  };
  // measured (wasm): loss 0.262 → 0.109, bond error 0.60 → 0.39 Å
  const untrained = await scored(1);
  const trained = await scored(1000);
  assert.ok(trained.loss < 0.6 * untrained.loss, `loss ${untrained.loss} → ${trained.loss} after 1000 steps`);
  assert.ok(trained.bondLengthError < 0.8 * untrained.bondLengthError, `bond error ${untrained.bondLengthError} → ${trained.bondLengthError} Å`);
});

test('a fit draws from the pool by weight: a part of weight 0 changes nothing, a part of weight 1 is all that counts', async () => {
  const tf = await loadTf('wasm');
  const family = await createDiffusion(SMALL, { kind: 'steps', amount: 20 }, tf);
  const data = await family.real(SMALL.samples, rootKey(1));
  const other = await family.real(SMALL.samples, rootKey(9));
  const test = await family.real(SMALL.testSamples, rootKey(2));
  const score = async (pool: Parameters<typeof family.fit>[0]) => {
    const model = await family.fit(pool, rootKey(3));
    const metrics = await family.evaluate(model, test);
    family.dispose(model);
    return metrics;
  };
  const alone = await score([{ data, weight: 1, set: 1 }]);
  assert.deepEqual(await score([{ data, weight: 1, set: 1 }, { data: other, weight: 0, set: 2 }]), alone);
  assert.notDeepEqual(await score([{ data, weight: 0.5, set: 1 }, { data: other, weight: 0.5, set: 2 }]), alone);
});

test('user errors are one-line UsageErrors naming the value', async () => {
  const tf = await loadTf('wasm');
  const family = await createDiffusion(SMALL, { kind: 'steps', amount: 1 }, tf);
  for (const bad of [-1, 2.5, NaN, Infinity, '5', null, [], {}]) {
    await assert.rejects(family.real(bad as number, rootKey(1)), UsageError, `real(${String(bad)})`);
  }
  assert.throws(() => family.decodeData(new Uint8Array(4 * 57 + 4)), UsageError);
  await assert.rejects(create({ quick: true, temperature: 0.3 }), /--temperature applies to the lm only/);
  await assert.rejects(createDiffusion({ ...SMALL, dim: 60 }, { kind: 'steps', amount: 1 }, tf), /dim must be 57/);
  await assert.rejects(createDiffusion(SMALL, { kind: 'epochs', amount: 0 }, tf), UsageError);
});

test('create: quick and full sizes, options override m and the schedule, and the stand-in says what it is', async () => {
  const quick = await create({ quick: true });
  assert.equal(quick.settings.hidden, 128);
  assert.equal(quick.settings.levels, 100);
  assert.deepEqual(quick.schedule, { kind: 'epochs', amount: 50 });
  assert.match(quick.standIn, /GeoDiff on GEOM-Drugs.*19 heavy atoms of \(S\)-propranolol.*61 MMFF94s\+ minima.*0\.05 Å/);
  const full = await create({ quick: false, samples: 300, testSamples: 40, schedule: { kind: 'steps', amount: 7 } });
  assert.equal(full.settings.hidden, 256);
  assert.equal(full.settings.samples, 300);
  assert.equal(full.settings.testSamples, 40);
  assert.deepEqual(full.schedule, { kind: 'steps', amount: 7 });
});
