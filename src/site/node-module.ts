/**
 * The browser build's `node:module` (scripts/build-site.ts aliases it here). Two library modules load packages
 * lazily through createRequire (core/rng.ts: @stdlib/random; strategies/custom-weights.ts: mathjs) to keep the CLI's
 * start-up short; a bundle has no require, so this one hands out the same packages, bundled.
 */
import * as mathjs from 'mathjs';
// @stdlib ships CommonJS with its own declarations; the default import is the module.exports the CLI requires
import mt19937 from '@stdlib/random/base/mt19937';
import normal from '@stdlib/random/base/normal';

const MODULES: Record<string, unknown> = {
  mathjs,
  '@stdlib/random/base/mt19937': mt19937,
  '@stdlib/random/base/normal': normal,
};

export function createRequire(_from: string | URL): (id: string) => unknown {
  return (id: string) => {
    if (!(id in MODULES)) throw new Error(`${id} is not part of the browser build (add it to src/site/node-module.ts)`);
    return MODULES[id];
  };
}
