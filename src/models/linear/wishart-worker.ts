/**
 * The thread that draws the reduced method's Wishart spectra ahead of the chunks that use them (wishart-thread.ts):
 * drawReducedDesign, the same code and so the same float64 numbers as on the main thread, its arrays sent back
 * without a copy. A failure is reported, not thrown: the chunk then draws its spectra itself and meets the error there.
 */
import { parentPort } from 'node:worker_threads';
import { drawReducedDesign } from './wishart.js';
import type { SpectrumRequest } from './wishart-thread.js';

parentPort?.on('message', ({ id, key, first, B, T, d, ridge }: SpectrumRequest) => {
  try {
    const design = drawReducedDesign(key, first, B, T, d, ridge);
    const arrays = [design.noiseScale, design.traceGramInverse, design.shrink, design.wStar, design.eigenvalues].filter((a) => a !== undefined);
    parentPort?.postMessage({ id, design }, arrays.map((a) => a.buffer as ArrayBuffer));
  } catch {
    parentPort?.postMessage({ id, design: null });
  }
});
