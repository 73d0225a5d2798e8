/**
 * Verdicts read back from an interrupted `verify --out DIR` (its checkpoint.json) before a resume reuses them. The
 * checkpoint is sealed with a checksum, not a signature: anyone can edit it and seal it again. So each stored verdict
 * must be one this run could have given: its case's name and kind, PASS exactly when it lists no failure, a band
 * ratio below 1 when it passed, statistics ≥ 0, and a report whose rows are real Monte Carlo summaries (finite mean
 * and standard error, z as it follows from them, a 95% interval that holds the mean).
 */
import { plausibleNumber } from '../core/stats.js';
import type { VerifyCase } from './verify.js';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const finite = plausibleNumber;
/** A statistic that is NaN where it does not apply (a case judged by z has no band ratio), else finite and ≥ 0. */
const nonNegativeOrNaN = (x: unknown) => typeof x === 'number' && (Number.isNaN(x) || (finite(x) && x >= 0));
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

/** One row of Monte Carlo against theory: finite mean and standard error, z (where given) as it follows, ci95 around the mean. */
function plausibleRow(row: unknown): boolean {
  if (!isObject(row)) return false;
  const { mean, stderr, theory, z, ci95 } = row;
  if (!finite(mean) || !finite(stderr) || stderr < 0) return false;
  if (theory !== null && theory !== undefined && !finite(theory)) return false;
  if (z !== null && z !== undefined) {
    if (typeof z !== 'number' || !finite(theory)) return false;
    // a constant metric (known variance) has stderr 0: its z is 0 where it equals its theory, else none (null)
    if (stderr === 0 ? !(z === 0 && mean === theory) : !close(z, (mean - theory) / stderr)) return false;
  }
  if (ci95 !== null && ci95 !== undefined) {
    if (!Array.isArray(ci95) || ci95.length !== 2 || !finite(ci95[0]) || !finite(ci95[1])) return false;
    // mean ± 1.96·stderr, or an order-statistic interval around a median: either way it holds the estimate
    if (!(ci95[0] <= mean + 1e-9 * Math.abs(mean) && mean - 1e-9 * Math.abs(mean) <= ci95[1])) return false;
  }
  return true;
}

/** Whether the stored config agrees with the case on every key the case fixes. */
const sameConfig = (stored: unknown, config: Record<string, unknown>) =>
  isObject(stored) && Object.entries(config).every(([key, value]) => JSON.stringify(stored[key]) === JSON.stringify(value));

/** Why verdict `v` cannot be case `c`'s (one short phrase), or null when it is plausible. */
export function implausibleVerdict(v: unknown, c: VerifyCase): string | null {
  if (!isObject(v) || v.name !== c.name) return 'case names';
  if (v.kind !== c.kind) return `kind of "${c.name}"`;
  const { pass, failures, report } = v;
  if (typeof pass !== 'boolean' || !Array.isArray(failures) || !failures.every((f) => typeof f === 'string')) return `verdict of "${c.name}"`;
  if (pass !== (failures.length === 0)) return `"${c.name}" says ${pass ? 'PASS with' : 'FAIL without'} failures`;
  for (const key of ['worstBandRatio', 'maxAbsZ', 'maxAbsZConditional'] as const) {
    if (!nonNegativeOrNaN(v[key])) return `${key} of "${c.name}"`;
  }
  if (pass && !((v.worstBandRatio as number) < 1) && !Number.isNaN(v.worstBandRatio)) return `"${c.name}" passes outside its band`;
  for (const key of ['growth', 'expectedGrowth'] as const) {
    const x = v[key];
    if (typeof x !== 'number' || !(Number.isNaN(x) || finite(x))) return `${key} of "${c.name}"`;
  }
  if (!isObject(report) || !Array.isArray(report.iterations) || report.iterations.length === 0) return `report of "${c.name}"`;
  if (c.kind !== 'bernstein' && (!sameConfig(report.config, c.config) || report.iterations.length !== c.config.iterations)) return `configuration of "${c.name}"`;
  for (const row of report.iterations as unknown[]) {
    if (!plausibleRow(row)) return `a row of "${c.name}"`;
    const metrics = (row as Record<string, unknown>).metrics;
    if (metrics !== undefined && !(isObject(metrics) && Object.values(metrics).every(plausibleRow))) return `a metric of "${c.name}"`;
  }
  return null;
}
