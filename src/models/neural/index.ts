/**
 * The neural families (C1: one name, one folder, one entry here): `collapse neural --model NAME` builds the family
 * with its folder's `create`. Loaded on demand, so that other commands do not pay for loading tfjs (~1 s).
 * `toy` (./toy.ts) is a test fixture, offered only when COLLAPSE_NEURAL_TOY=1.
 */
import type { NeuralFamilyFactory } from './family.js';

export const TOY_ENV = 'COLLAPSE_NEURAL_TOY';

/** One neural family: its --model name, its random-stream key, and how to load it. */
export interface NeuralFamilyEntry {
  readonly name: string;
  /**
   * The family's trajectory key is foldIn(rootKey(seed), streamKey): every number it draws follows from it, so an
   * entry's key never changes and no two entries share one (test/models/neural/index.test.ts).
   */
  readonly streamKey: number;
  /** its folder's factory, imported on first use */
  readonly load: () => Promise<NeuralFamilyFactory<never>>;
  /** a test fixture, offered only when COLLAPSE_NEURAL_TOY=1 */
  readonly fixture?: boolean;
}

/** The families in the paper's order (the order of --model all), then the fixture. */
export const NEURAL_FAMILIES: readonly NeuralFamilyEntry[] = [
  { name: 'lm', streamKey: 1, load: async () => (await import('./lm/index.js')).create as NeuralFamilyFactory<never> },
  { name: 'vae', streamKey: 2, load: async () => (await import('./vae/index.js')).create as NeuralFamilyFactory<never> },
  { name: 'diffusion', streamKey: 3, load: async () => (await import('./diffusion/index.js')).create as NeuralFamilyFactory<never> },
  { name: 'toy', streamKey: 99, load: async () => (await import('./toy.js')).createToy as NeuralFamilyFactory<never>, fixture: true },
];

/** The entries this process offers: every family, the fixture only when its variable is set. */
function offered(): NeuralFamilyEntry[] {
  return NEURAL_FAMILIES.filter((entry) => !entry.fixture || process.env[TOY_ENV] === '1');
}

/** The families this process offers (the paper's order), plus the toy when its variable is set. */
export function neuralModelNames(): string[] {
  return offered().map((entry) => entry.name);
}

/** The family's factory, or undefined when there is no such family here. */
export async function neuralFactory(name: string): Promise<NeuralFamilyFactory<never> | undefined> {
  return offered().find((entry) => entry.name === name)?.load();
}

/** The family's stream key (the fixture's too, whether offered or not); throws for a name no entry has. */
export function neuralStreamKey(name: string): number {
  const entry = NEURAL_FAMILIES.find((e) => e.name === name);
  if (!entry) throw new Error(`no neural family is named ${JSON.stringify(name)}`);
  return entry.streamKey;
}
