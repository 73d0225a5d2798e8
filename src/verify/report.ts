/** Monte Carlo against theory, one row per iteration: mean, standard error, 95% CI, theory and z-scores. */
import { Moments, Z95 } from '../core/stats.js';

/** One iteration of a Monte Carlo against its theory. */
export interface IterationRow {
  iteration: number;
  /** Monte Carlo mean of the test error ‖ŵ_n − w*‖² */
  mean: number;
  stderr: number;
  /** null where the error's variance is infinite (the interval would mean nothing) */
  ci95: [number, number] | null;
  /** closed form, or null where none holds */
  theory: number | null;
  /** (mean − theory) / stderr */
  z: number | null;
  /** the design-conditional check: mean of error − σ²·tr((XᵀX)⁻¹)·Σb², divided by its standard error */
  zConditional: number | null;
}

/** A row whose variance is finite: it always has its interval. */
export type IntervalRow = IterationRow & { ci95: [number, number] };

/**
 * One {@link IterationRow} per iteration from the Monte Carlo moments: mean, standard error, 95% CI (mean ± 1.959964·stderr),
 * theory and z = (mean − theory)/stderr; zConditional from the design-conditional residual where given. `intervals`
 * false: the variance is infinite, so ci95, z and z|X are null (a standard error estimates nothing).
 */
export function buildRows(error: readonly Moments[], theory: readonly number[] | null, conditional: readonly Moments[] | null): IntervalRow[];
export function buildRows(error: readonly Moments[], theory: readonly number[] | null, conditional: readonly Moments[] | null, intervals: boolean): IterationRow[];
export function buildRows(error: readonly Moments[], theory: readonly number[] | null, conditional: readonly Moments[] | null, intervals = true): IterationRow[] {
  return error.map((m, n) => {
    const mean = m.mean;
    const stderr = m.stderr;
    const expected = theory ? theory[n] : null;
    const residual = conditional ? conditional[n] : null;
    return {
      iteration: n + 1,
      mean,
      stderr,
      ci95: intervals ? [mean - Z95 * stderr, mean + Z95 * stderr] : null,
      theory: expected,
      z: expected === null || !intervals ? null : (mean - expected) / stderr,
      zConditional: residual && intervals ? residual.mean / residual.stderr : null,
    };
  });
}

/** The per-iteration table as CSV (one header line). */
export function rowsToCsv(rows: readonly IterationRow[]): string {
  const header = 'iteration,mean,stderr,ci95_low,ci95_high,theory,z,z_conditional';
  const cell = (v: number | null) => (v === null ? '' : String(v));
  const lines = rows.map((r) => [r.iteration, r.mean, r.stderr, r.ci95?.[0] ?? null, r.ci95?.[1] ?? null, r.theory, r.z, r.zConditional].map(cell).join(','));
  return [header, ...lines].join('\n') + '\n';
}
