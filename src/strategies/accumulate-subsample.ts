import { accumulate } from './accumulate.js';
import type { PoolStrategy } from './strategy.js';

/** Keep everything, but fit each model on a fixed budget of T samples drawn uniformly from the accumulated pool. */
export const accumulateSubsample: PoolStrategy = {
  name: 'accumulate-subsample',
  description: 'accumulate all data, fit each model on T samples drawn uniformly from the pool (no closed form)',
  source: 'Kazdan et al. 2024, "Collapse or Thrive?" (arXiv:2410.16713), accumulate-subsample',
  // the weights are the pool's expected shares; the fit draws rows, so fixed-design theory does not apply
  poolWeights: accumulate.poolWeights,
  fit: 'subsample',
};
