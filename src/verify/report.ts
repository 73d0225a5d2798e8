/** Monte Carlo against theory, one row per iteration: mean, standard error, 95% CI, theory and z-scores. */
import { Moments, Z95 } from '../core/stats.js';

/** One iteration of a Monte Carlo against its theory. */
export interface IterationRow {
  iteration: number;
  /** Monte Carlo mean of the test error ‖ŵ_n − w*‖² */
  mean: number;
  stderr: number;
  ci95: [number, number];
  /** closed form, or null where none holds */
  theory: number | null;
  /** (mean − theory) / stderr */
  z: number | null;
  /** the design-conditional check: mean of error − σ²·tr((XᵀX)⁻¹)·Σb², divided by its standard error */
  zConditional: number | null;
}

/** One {@link IterationRow} per iteration from the Monte Carlo moments: mean, standard error, 95% CI (mean ± 1.959964·stderr), theory and z = (mean − theory)/stderr; zConditional from the design-conditional residual where given. */
export function buildRows(error: readonly Moments[], theory: readonly number[] | null, conditional: readonly Moments[] | null): IterationRow[] {
  return error.map((m, n) => {
    const mean = m.mean;
    const stderr = m.stderr;
    const expected = theory ? theory[n] : null;
    const residual = conditional ? conditional[n] : null;
    return {
      iteration: n + 1,
      mean,
      stderr,
      ci95: [mean - Z95 * stderr, mean + Z95 * stderr],
      theory: expected,
      z: expected === null ? null : (mean - expected) / stderr,
      zConditional: residual ? residual.mean / residual.stderr : null,
    };
  });
}

/** The per-iteration table as CSV (one header line). */
export function rowsToCsv(rows: readonly IterationRow[]): string {
  const header = 'iteration,mean,stderr,ci95_low,ci95_high,theory,z,z_conditional';
  const cell = (v: number | null) => (v === null ? '' : String(v));
  const lines = rows.map((r) => [r.iteration, r.mean, r.stderr, r.ci95[0], r.ci95[1], r.theory, r.z, r.zConditional].map(cell).join(','));
  return [header, ...lines].join('\n') + '\n';
}
