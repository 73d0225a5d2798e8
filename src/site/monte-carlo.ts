/**
 * The explorer's "run Monte Carlo": every series through the CLI's own run functions (runLinear on the page's gpu.js
 * backend, runGaussian and runCategorical on the host), one after another, with progress over all of them and one stop signal.
 */
import { runCategorical } from '../experiments/categorical.js';
import { runGaussian } from '../experiments/gaussian.js';
import { runLinear } from '../experiments/linear.js';
import type { Backend } from '../kernels/backend.js';
import type { Computed, McResult, McRow } from './model.js';
import type { BrowserBackendName } from './browser-backend.js';
import type { Backend as AnyBackend } from '../kernels/gpu-backend.js';

export async function runSeries(
  computed: Computed,
  /** the page's gpu.js backend; null when no series is linear (the generation loop runs on the host) */
  backend: AnyBackend<BrowserBackendName> | null,
  onProgress: (fraction: number) => void,
  signal: AbortSignal,
  onResult: (result: McResult) => void,
): Promise<McResult[]> {
  const work = computed.series.map((s) => s.spec.config.trials * s.spec.config.iterations);
  const total = work.reduce((a, b) => a + b, 0);
  let before = 0;
  const results: McResult[] = [];
  for (const [i, s] of computed.series.entries()) {
    const progress = (done: number) => onProgress((before + done) / total);
    let result: McResult;
    if (s.spec.family === 'linear') {
      if (!backend) throw new Error('explorer: a linear series needs a gpu.js backend');
      // the Monte Carlo reads only inKernelRandom and createKernel; the name is the page's (webgl2, …) and only reported
      const report = await runLinear(s.spec.config, { backend: backend as unknown as Backend, onProgress: progress, control: { signal } });
      result = { strategy: s.strategy, backend: report.backend, backendReason: report.backendReason, seconds: report.seconds, rows: report.iterations.map(mcRow) };
    } else if (s.spec.family === 'categorical') {
      const report = await runCategorical(s.spec.config, { onProgress: progress, signal });
      result = { strategy: s.strategy, backend: report.backend, backendReason: report.backendReason, seconds: report.seconds, rows: report.iterations.map(mcRow) };
    } else {
      const report = await runGaussian(s.spec.config, { onProgress: progress, signal });
      result = { strategy: s.strategy, backend: report.backend, backendReason: report.backendReason, seconds: report.seconds, rows: report.iterations.map(mcRow) };
    }
    before += work[i];
    results.push(result);
    onResult(result);
  }
  return results;
}

/** The fields the page shows and downloads (the CLI's rows carry more: z|X, the Gaussian's other metrics). */
const mcRow = ({ iteration, mean, stderr, ci95, theory, z }: McRow): McRow => ({ iteration, mean, stderr, ci95, theory, z });
