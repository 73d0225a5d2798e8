/**
 * `collapse neural --seeds K`: K independent trajectories per (family, strategy, schedule), summarised per
 * generation by the mean, its standard error s/√K and a 95% Student-t interval mean ± t_{0.975, K−1}·s/√K, and the
 * paired difference replace − accumulate (trajectory k of both shares its key: the same real data and first model,
 * so the pair's noise partly cancels).
 *
 * The t interval is exact only for normally distributed per-seed losses; for K = 3 … 10 seeds of a test loss that
 * is an approximation (stated with the numbers), and nothing here claims more.
 */
import type { Metrics } from '../models/model.js';
import type { NeuralIterationRow, NeuralPartReport, PartGroup } from './neural.js';

/**
 * t_{0.975, ν}, the two-sided 95% Student-t quantile: exact to 6 decimals for ν ≤ 30 (the standard table); beyond,
 * the Cornish–Fisher expansion in 1/ν, whose error at ν = 31 is below 1e-5 (test/experiments/neural-seeds.test.ts checks
 * both against a numerical integration of the t density).
 */
const T975 = [
  12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369,
  2.144787, 2.13145, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529,
  2.051831, 2.048407, 2.04523, 2.042272,
];

export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`t quantile needs an integer df ≥ 1; got ${df}`);
  if (df <= T975.length) return T975[df - 1];
  const z = 1.959963984540054;
  const [z3, z5, z7] = [z ** 3, z ** 5, z ** 7];
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

export interface SeedSummary {
  mean: number;
  /** s/√K (null for K = 1) */
  stderr: number | null;
  /** mean ± t_{0.975, K−1}·stderr (null for K = 1) */
  ci95: [number, number] | null;
}

export function summarise(values: readonly number[]): SeedSummary {
  const k = values.length;
  if (k === 0) throw new Error('a summary of no values');
  const mean = values.reduce((a, b) => a + b, 0) / k;
  if (k === 1) return { mean, stderr: null, ci95: null };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (k - 1);
  const stderr = Math.sqrt(variance / k);
  const half = tQuantile975(k - 1) * stderr;
  return { mean, stderr, ci95: [mean - half, mean + half] };
}

/** The per-seed losses of one trajectory, for the record (results.json keeps every seed's curve). */
export interface TrajectoryLosses {
  part: string;
  trajectory: number;
  loss: number[];
}

/** replace − accumulate per generation over the paired seeds. */
export interface PairedDifference {
  minus: string;
  iterations: ({ iteration: number } & SeedSummary)[];
}

/**
 * One report for K trajectories of one (family, strategy, schedule): iterations[].mean/stderr/ci95 summarise the
 * loss over the seeds, metrics hold each metric's mean over the seeds; `trajectories` keeps every seed's losses.
 * With one trajectory the report is that trajectory's, unchanged (stderr and ci95 stay null).
 */
export function aggregateTrajectories(reports: readonly NeuralPartReport[], id: string): NeuralPartReport {
  if (reports.length === 0) throw new Error(`${id}: no trajectories to aggregate`);
  const [first] = reports;
  if (reports.length === 1) return first;
  const iterations: NeuralIterationRow[] = first.iterations.map((row, i) => {
    const rows = reports.map((r) => r.iterations[i]);
    const names = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
    const metrics: Metrics = Object.fromEntries(names.map((name) => [name, summarise(rows.map((r) => r.metrics[name] ?? NaN)).mean]));
    return { iteration: row.iteration, ...summarise(rows.map((r) => r.mean)), theory: null, z: null, metrics };
  });
  const mean = (pick: (r: NeuralPartReport) => Readonly<Record<string, number>> | undefined) => {
    const maps = reports.map(pick);
    return maps[0] && Object.fromEntries(Object.keys(maps[0]).map((name) => [name, summarise(maps.map((m) => m?.[name] ?? NaN)).mean]));
  };
  return {
    ...first,
    ...(first.baselines && { baselines: { ...first.baselines, values: mean((r) => r.baselines?.values) as Record<string, number>, ...(first.baselines.references && { references: mean((r) => r.baselines?.references) }) } }),
    config: { ...first.config, part: id },
    seconds: reports.reduce((sum, r) => sum + r.seconds, 0),
    iterations,
    seeds: reports.length,
    trajectories: reports.map((r) => ({ part: r.config.part, trajectory: r.config.trajectory ?? 0, loss: r.iterations.map((row) => row.mean) })),
  };
}

/** The paired difference a − b per generation, seed by seed (the trajectories of a and b in the same order). */
export function pairedDifference(a: readonly NeuralPartReport[], b: readonly NeuralPartReport[], minus: string): PairedDifference {
  if (a.length !== b.length || a.length === 0) throw new Error(`paired difference of ${a.length} and ${b.length} trajectories`);
  a.forEach((r, k) => {
    if ((r.config.trajectory ?? 0) !== (b[k].config.trajectory ?? 0)) throw new Error('paired trajectories out of order');
  });
  return {
    minus,
    iterations: a[0].iterations.map((row, i) => ({ iteration: row.iteration, ...summarise(a.map((r, k) => r.iterations[i].mean - b[k].iterations[i].mean)) })),
  };
}

/**
 * The --json object of a run: one report per curve (PartGroup, keyed by its id), its trajectories aggregated, and on
 * replace's report the paired difference replace − accumulate of the same family and schedule.
 */
export function aggregateRun(groups: readonly PartGroup[], reportOf: (part: string) => NeuralPartReport): Record<string, NeuralPartReport> {
  const out: Record<string, NeuralPartReport> = {};
  for (const g of groups) out[g.id] = aggregateTrajectories(g.parts.map((p) => reportOf(p.part)), g.id);
  for (const g of groups) {
    if (g.strategy !== 'replace') continue;
    const partner = groups.find((h) => h.strategy === 'accumulate' && h.model === g.model && h.schedule === g.schedule);
    if (!partner) continue;
    out[g.id] = { ...out[g.id], pairedDifference: pairedDifference(g.parts.map((p) => reportOf(p.part)), partner.parts.map((p) => reportOf(p.part)), 'accumulate') };
  }
  return out;
}
