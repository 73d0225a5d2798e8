/**
 * A sweep's cell groups: the cells whose resolved configurations differ only in the seed (a sweep's `seeds: K`, or a
 * `seed` it varies itself) are one group, and each part of their results (neural: `<model>-<strategy>`; loop: the
 * strategy) is summarised per iteration over the group's cells as `collapse neural --seeds K` summarises its
 * trajectories: the mean of the cells' per-iteration `mean`, its standard error s/√K and the 95% Student-t interval
 * (summarise in src/core/stats.ts, the one implementation). K counts the cells that have that iteration; one cell has
 * no interval (stderr and ci95 null).
 *
 * The t interval is exact only for normally distributed per-seed values; for a few seeds of a test loss it is an
 * approximation, and the collected table says over how many cells each one is.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/run-store.js';
import { summarise, type SeedSummary } from '../core/stats.js';

/** The configuration key that tells a group's cells apart. */
export const SEED_KEY = 'seed';

/** One iteration of a group: the summary over the `cells` cells that reached it. */
export interface GroupIteration extends SeedSummary {
  iteration: number;
  /** how many cells the summary is over (K) */
  cells: number;
}

export interface CellGroup {
  /** 16 hex digits of sha256(canonical {command, configuration without the seed}) */
  group: string;
  /** the results part (absent when a cell's results hold one report) */
  part?: string;
  /** the configuration the group's cells share (every resolved option but the seed) */
  config: Record<string, unknown>;
  /** the group's complete cells, by id, in sweep order */
  cells: string[];
  /** their seeds, in the same order (null where the configuration has none) */
  seeds: (number | null)[];
  iterations: GroupIteration[];
}

/** One complete cell's results, as collect reads them: per part, each iteration's number and mean. */
export interface CellParts {
  cell: string;
  config: Readonly<Record<string, unknown>>;
  parts: { part?: string; iterations: readonly unknown[] }[];
}

const withoutSeed = (config: Readonly<Record<string, unknown>>) => Object.fromEntries(Object.entries(config).filter(([k]) => k !== SEED_KEY));

/** A group's id: the cell id's hash of the configuration with the seed left out. */
export const groupId = (command: string, config: Readonly<Record<string, unknown>>) =>
  createHash('sha256').update(canonicalJson({ command, config: withoutSeed(config) })).digest('hex').slice(0, 16);

const numberAt = (row: unknown, key: string): number | undefined => {
  const value = (row as Record<string, unknown> | null)?.[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};

/**
 * Group the cells (in sweep order) and summarise each group's parts per iteration; groups in the order of their first
 * cell, parts in the order the first cell lists them. Rows without a finite `iteration` and `mean` are left out.
 */
export function cellGroups(command: string, cells: readonly CellParts[]): CellGroup[] {
  const groups = new Map<string, CellGroup & { values: Map<number, number[]> }>();
  for (const { cell, config, parts } of cells) {
    const id = groupId(command, config);
    const seed = typeof config[SEED_KEY] === 'number' ? (config[SEED_KEY] as number) : null;
    for (const { part, iterations } of parts) {
      const key = `${id}\u0000${part ?? ''}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { group: id, ...(part !== undefined && { part }), config: withoutSeed(config), cells: [], seeds: [], iterations: [], values: new Map() }));
      g.cells.push(cell);
      g.seeds.push(seed);
      for (const row of iterations) {
        const n = numberAt(row, 'iteration');
        const mean = numberAt(row, 'mean');
        if (n === undefined || mean === undefined) continue;
        g.values.set(n, [...(g.values.get(n) ?? []), mean]);
      }
    }
  }
  return [...groups.values()].map(({ values, ...g }) => ({
    ...g,
    iterations: [...values.keys()].sort((a, b) => a - b).map((n) => {
      const v = values.get(n) as number[];
      return { iteration: n, ...summarise(v), cells: v.length };
    }),
  }));
}
