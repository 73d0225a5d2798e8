/**
 * The neural families (C1: one name, one folder, one line here): `collapse neural --model NAME` builds the family
 * with its folder's `create`. Loaded on demand, so that other commands do not pay for loading tfjs (~1 s).
 * `toy` (./toy.ts) is a test fixture, offered only when COLLAPSE_NEURAL_TOY=1.
 */
import type { NeuralFamilyFactory } from './family.js';

export const TOY_ENV = 'COLLAPSE_NEURAL_TOY';

type Loader = () => Promise<NeuralFamilyFactory<never>>;

export const NEURAL_FAMILIES: Readonly<Record<string, Loader>> = {
  lm: async () => (await import('./lm/index.js')).create as NeuralFamilyFactory<never>,
  vae: async () => (await import('./vae/index.js')).create as NeuralFamilyFactory<never>,
  diffusion: async () => (await import('./diffusion/index.js')).create as NeuralFamilyFactory<never>,
};

const toy: Loader = async () => (await import('./toy.js')).createToy as unknown as NeuralFamilyFactory<never>;

/** The families this process offers (the paper's order), plus the toy when its variable is set. */
export function neuralModelNames(): string[] {
  const names = Object.keys(NEURAL_FAMILIES);
  return process.env[TOY_ENV] === '1' ? [...names, 'toy'] : names;
}

/** The family's factory, or undefined when there is no such family here. */
export async function neuralFactory(name: string): Promise<NeuralFamilyFactory<never> | undefined> {
  if (name === 'toy') return process.env[TOY_ENV] === '1' ? toy() : undefined;
  return NEURAL_FAMILIES[name]?.();
}
