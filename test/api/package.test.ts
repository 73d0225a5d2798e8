/**
 * The package as a researcher gets it: `npm pack`, installed into a separate directory, imported by its name
 * (`import … from 'collapse-lab'`), type-checked there with tsc, and run: a small linear Monte Carlo (runLinear) and a
 * custom ModelFamily (examples/laplace/laplace-family.ts, copied over) through runTrials, both checked against
 * theory. A missing dist/index.js, a broken `exports` map, a file left out of `files` or a type that does not ship
 * fails here.
 *
 * Offline: the tarball is unpacked into <tmp>/node_modules/collapse-lab exactly as `npm install <tarball>` lays it
 * out, and its dependencies are linked from this checkout's node_modules (npm's cache here does not hold all of
 * them, and fetching tfjs and playwright for one test would take minutes).
 *
 * dist/ is what is packed (`npm pack --ignore-scripts`: no rebuild here); `npm ci` builds it, `npm run build`
 * after changing src/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { zStar } from '../../src/core/stats.js';
import { digamma, lnGamma, logGammaSumBand } from '../helpers/chernoff.js';
import { runLinear, validateLinearConfig } from '../../src/experiments/linear.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'collapse-pack-'));
after(() => rmSync(work, { recursive: true, force: true }));

const LINEAR = { strategy: 'replace', dim: 2, samples: 40, noise: 1, iterations: 5, trials: 4000, seed: 3, method: 'reduced', backend: 'cpu' };
const LAPLACE = { samples: 20, iterations: 10, trials: 4000, seed: 11 };

const CONSUMER = `
import { parseStrategy, rootKey, runLinear, runTrials, validateLinearConfig, type IterationRow } from 'collapse-lab';
import { laplaceFamily } from './laplace-family.js';

const linear = await runLinear(validateLinearConfig(${JSON.stringify(LINEAR)}));
const rows: IterationRow[] = linear.iterations;
const config = { strategy: parseStrategy('replace'), iterations: ${LAPLACE.iterations}, samples: ${LAPLACE.samples}, testSamples: 0 };
const summary = await runTrials(() => laplaceFamily(), config, ${LAPLACE.trials}, rootKey(${LAPLACE.seed}));
const laplace = (summary.moments.get('logScaleRatio') ?? []).map((m) => ({ n: m.n, mean: m.mean }));
process.stdout.write(JSON.stringify({ linear: rows, backend: linear.backend, laplace }));
`;

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

test('the Chernoff band helper: ln Γ and ψ are exact at known points, and the band is the normal one to first order', () => {
  assert.ok(Math.abs(lnGamma(20) - Math.log(121645100408832000)) < 1e-12);
  assert.ok(Math.abs(lnGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
  assert.ok(Math.abs(digamma(20) - (-0.5772156649015329 + Array.from({ length: 19 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b))) < 1e-12);
  assert.ok(Math.abs(digamma(0.5) - (-0.5772156649015329 - 2 * Math.LN2)) < 1e-12);
  // Var ln(G/m) = ψ'(m) ≈ 1/m + 1/(2m²); for small deviations Chernoff's ε ≈ √(2·ln(1/rate)/K)·√ψ'(m)
  const band = logGammaSumBand([1000], 1 / 1000, 1e8, 1e-3);
  const normal = Math.sqrt((2 * Math.log(1e3)) / 1e8) * Math.sqrt(1 / 1000 + 1 / (2 * 1000 ** 2));
  assert.ok(Math.abs(band.above / normal - 1) < 0.01 && Math.abs(band.below / normal - 1) < 0.01, `${band.above} ${band.below} vs ${normal}`);
});

test('collapse-lab, packed and installed elsewhere, imports by name, type-checks, and its numbers match theory', { timeout: 300_000 }, async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'index.js')), 'dist/index.js is missing: run `npm run build` (npm ci runs it)');
  const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as { filename: string; files: { path: string }[] }[];
  const files = new Set(packed[0].files.map((f) => f.path));
  for (const file of ['package.json', 'dist/index.js', 'dist/index.d.ts', 'bin/collapse.js', 'LICENSE', 'README.md']) assert.ok(files.has(file), `the tarball lacks ${file}`);

  const project = join(work, 'project');
  const installed = join(project, 'node_modules', 'collapse-lab');
  mkdirSync(installed, { recursive: true });
  run('tar', ['-xzf', join(work, packed[0].filename), '-C', installed, '--strip-components=1'], work);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.') || name === 'collapse-lab') continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name));
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, include: ['*.ts'] }),
  );
  // the example's family and its runner (type-checked only; check.ts runs the family)
  for (const file of ['laplace-family.ts', 'run.ts']) copyFileSync(join(ROOT, 'examples', 'laplace', file), join(project, file));
  writeFileSync(join(project, 'check.ts'), CONSUMER);

  // the types ship: the consumer and the example type-check against the installed package's declarations
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
  const out = JSON.parse(run(process.execPath, ['--import', import.meta.resolve('tsx/esm'), 'check.ts'], project)) as {
    linear: { iteration: number; mean: number; theory: number; z: number }[];
    backend: string;
    laplace: { n: number; mean: number }[];
  };

  // linear, replace: E‖ŵ_n − w*‖² = σ²·d/(T − d − 1)·n exactly (Gerstgrasser et al. 2024, Theorem 1)
  const { dim: d, samples: T, noise } = LINEAR;
  assert.equal(out.backend, 'cpu');
  assert.equal(out.linear.length, LINEAR.iterations);
  const bound = zStar(LINEAR.iterations);
  for (const row of out.linear) {
    assert.ok(Math.abs(row.theory - (noise * d * row.iteration) / (T - d - 1)) < 1e-12, `theory at n = ${row.iteration}: ${row.theory}`);
    // d = 2, T = 40: tr((XᵀX)⁻¹) has moments to order (T − d − 1)/2 > 18 and the noise is Gaussian, so the error's
    // mean over 4000 trials is normal far past this band (verify uses the same band for the same statistic)
    assert.ok(Math.abs(row.z) < bound, `linear n = ${row.iteration}: z = ${row.z}, band ${bound}`);
  }
  // and the installed package computes exactly what this checkout's source does (same seed, same backend)
  const local = await runLinear(validateLinearConfig(LINEAR));
  assert.deepEqual(out.linear.map((r) => r.mean), local.iterations.map((r) => r.mean));

  // the custom family under replace: E log(b̂_n/b) = n(ψ(m) − ln m), 20 one-sided checks sharing 1e-6
  assert.equal(out.laplace.length, LAPLACE.iterations);
  out.laplace.forEach((row, i) => {
    // b̂_n = b̂_{n−1}·G_n/m with G_n ~ Gamma(m, 1) independent (a weighted mean of m Exp(b̂_{n−1}) draws): log(b̂_n/b)
    // is a sum of n i.i.d. ln(G/m), E = n(ψ(m) − ln m); the band is Chernoff's from its exact ln Γ cumulants
    const band = logGammaSumBand(new Array(i + 1).fill(LAPLACE.samples), 1 / LAPLACE.samples, LAPLACE.trials, 1e-6 / (2 * LAPLACE.iterations));
    assert.equal(row.n, LAPLACE.trials);
    assert.ok(row.mean > band.mean - band.below && row.mean < band.mean + band.above, `laplace n = ${i + 1}: ${row.mean} outside ${band.mean} −${band.below} +${band.above}`);
  });
  // replace collapses: the scale drifts down by |ψ(m) − ln m| ≈ 0.025 per generation
  assert.ok(out.laplace[LAPLACE.iterations - 1].mean < out.laplace[0].mean);
});
