/**
 * The neural families (C1: one name, one folder, one line here): `collapse neural --model NAME` builds the family
 * with its folder's `create`. `toy` (./toy.ts) is a test fixture, listed only when COLLAPSE_NEURAL_TOY=1.
 */
import type { NeuralFamilyFactory } from './family.js';
import { createToy } from './toy.js';
import { create as vae } from './vae/index.js';

export const TOY_ENV = 'COLLAPSE_NEURAL_TOY';

export const NEURAL_FAMILIES: Readonly<Record<string, NeuralFamilyFactory<never>>> = {
  vae: vae as NeuralFamilyFactory<never>,
};

const toy = createToy as unknown as NeuralFamilyFactory<never>;

/** The families this process offers (the paper's order), plus the toy when its variable is set. */
export function neuralModelNames(): string[] {
  const names = ['lm', 'vae', 'diffusion'].filter((name) => name in NEURAL_FAMILIES);
  return process.env[TOY_ENV] === '1' ? [...names, 'toy'] : names;
}

export function neuralFactory(name: string): NeuralFamilyFactory<never> | undefined {
  if (name === 'toy') return process.env[TOY_ENV] === '1' ? toy : undefined;
  return NEURAL_FAMILIES[name];
}
