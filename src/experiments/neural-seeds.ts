/**
 * `collapse neural --seeds K`: K independent trajectories per (family, strategy, schedule), summarised per
 * generation by the mean, its standard error s/√K and a 95% Student-t interval mean ± t_{0.975, K−1}·s/√K, and the
 * paired difference replace − accumulate (trajectory k of both shares its key: the same real data and first model,
 * so the pair's noise partly cancels).
 *
 * The t interval is exact only for normally distributed per-seed losses; for K = 3 … 10 seeds of a test loss that
 * is an approximation (stated with the numbers), and nothing here claims more.
 */
import { summarise, type SeedSummary } from '../core/stats.js';
import type { Metrics } from '../models/model.js';
import type { NeuralIterationRow, NeuralPartReport, PairedDifference, PartGroup, TrajectoryLosses } from './neural-report.js';

// the t interval lives in core/stats.ts (sweep collect uses the same one)
export { summarise, tQuantile975, type SeedSummary } from '../core/stats.js';
export type { PairedDifference, TrajectoryLosses } from './neural-report.js';



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
    trajectories: reports.map((r) => ({
      part: r.config.part,
      trajectory: r.config.trajectory ?? 0,
      loss: r.iterations.map((row) => row.mean),
      ...(r.iterations.every((row) => row.metrics.rareMass !== undefined) && { rareMass: r.iterations.map((row) => row.metrics.rareMass) }),
    })),
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
