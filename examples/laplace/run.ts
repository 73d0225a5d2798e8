/**
 * Runs the Laplace family under replace and accumulate and prints E log(b̂_n/b) per generation beside the closed form
 * of replace, n·(ψ(m) − ln m). From a project that installed collapse-lab: `npx tsx run.ts`.
 */
import { parseStrategy, rootKey, runTrials } from 'collapse-lab';
import { laplaceFamily } from './laplace-family.js';

const samples = 20;
const iterations = 10;
const digamma = (m: number) => -0.5772156649015329 + Array.from({ length: m - 1 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
for (const name of ['replace', 'accumulate']) {
  const config = { strategy: parseStrategy(name), iterations, samples, testSamples: 0 };
  const summary = await runTrials(() => laplaceFamily(), config, 2000, rootKey(7));
  const rows = summary.moments.get('logScaleRatio') ?? [];
  console.log(`${name}: n, mean log(b̂_n/b) ± stderr${name === 'replace' ? ', theory n·(ψ(m) − ln m)' : ''}`);
  rows.forEach((m, i) => {
    const theory = name === 'replace' ? ` ${((i + 1) * (digamma(samples) - Math.log(samples))).toFixed(4)}` : '';
    console.log(`  ${i + 1} ${m.mean.toFixed(4)} ± ${m.stderr.toFixed(4)}${theory}`);
  });
}
