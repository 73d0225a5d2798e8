/**
 * The diffusion family's own data (`--conformers FILE.sdf`): a multi-conformer SDF file of one molecule, read with
 * openchemlib. Heavy atoms only (atomic number > 1), each conformer centred and Kabsch-aligned to the first; every
 * 10th conformer is held out for the test loss. Real data sets are the training conformers drawn uniformly (with
 * replacement, no jitter); the bond-length reference is their mean bond lengths.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../../../core/errors.js';
import { alignTo, centre, type ConformerModes } from './conformers.js';

const TEST_EVERY = 10;

export interface ConformerFile {
  train: ConformerModes;
  test: ConformerModes;
  description: string;
}

/** Throws a one-line UsageError naming the file and the problem. */
export async function readConformers(file: string): Promise<ConformerFile> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--conformers ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const OCL = await import('openchemlib');
  OCL.Resources.registerFromNodejs(); // idempotent, ~4 ms; the molfile parser may need its tables
  const parser = new OCL.SDFileParser(text, []);
  let atomicNumbers: number[] | undefined;
  let bonds: [number, number][] = [];
  const conformers: Float64Array[] = [];
  while (parser.next()) {
    const entry = conformers.length + 1;
    let molecule;
    try {
      molecule = parser.getMolecule();
    } catch {
      throw new UsageError(`--conformers ${file}: entry ${entry} is not a readable molfile`);
    }
    const heavy: number[] = [];
    for (let a = 0; a < molecule.getAllAtoms(); a++) if (molecule.getAtomicNo(a) > 1) heavy.push(a);
    const numbers = heavy.map((a) => molecule.getAtomicNo(a));
    if (atomicNumbers === undefined) {
      if (heavy.length < 2) throw new UsageError(`--conformers ${file}: entry 1 has ${heavy.length} heavy atom${heavy.length === 1 ? '' : 's'}; a conformer needs at least 2`);
      atomicNumbers = numbers;
      const indexOf = new Map(heavy.map((a, i) => [a, i]));
      for (let b = 0; b < molecule.getAllBonds(); b++) {
        const i = indexOf.get(molecule.getBondAtom(0, b));
        const j = indexOf.get(molecule.getBondAtom(1, b));
        if (i !== undefined && j !== undefined) bonds.push([i, j]);
      }
    } else if (numbers.length !== atomicNumbers.length || numbers.some((z, i) => z !== atomicNumbers?.[i])) {
      throw new UsageError(`--conformers ${file}: entry ${entry} is another molecule (its heavy atoms differ from entry 1's); a conformer file holds one molecule`);
    }
    const coords = Float64Array.from(heavy.flatMap((a) => [molecule.getAtomX(a), molecule.getAtomY(a), molecule.getAtomZ(a)]));
    if (!coords.every(Number.isFinite)) throw new UsageError(`--conformers ${file}: entry ${entry} has non-finite coordinates`);
    if (coords.every((x, i) => i % 3 !== 2 || x === 0)) throw new UsageError(`--conformers ${file}: entry ${entry} is flat (every z is 0): conformers need 3-D coordinates`);
    centre(coords);
    conformers.push(coords);
  }
  if (atomicNumbers === undefined) throw new UsageError(`--conformers ${file}: no molecule in it (an SDF file holds molfiles separated by $$$$)`);
  if (conformers.length < TEST_EVERY) throw new UsageError(`--conformers ${file}: ${conformers.length} conformer${conformers.length === 1 ? '' : 's'}; at least ${TEST_EVERY} are needed (every ${TEST_EVERY}th is held out for the test loss)`);
  for (const coords of conformers.slice(1)) alignTo(coords, conformers[0]);
  bonds = bonds.map(([i, j]) => [Math.min(i, j), Math.max(i, j)] as [number, number]);
  const split = (held: boolean): ConformerModes => {
    const chosen = conformers.filter((_, k) => (k % TEST_EVERY === TEST_EVERY - 1) === held);
    return { smiles: basename(file), seed: 0, atomicNumbers: atomicNumbers as number[], bonds, energies: chosen.map(() => 0), coordinates: chosen.map((c) => Array.from(c)) };
  };
  return {
    train: split(false),
    test: split(true),
    description: `${conformers.length} conformers of ${atomicNumbers.length} heavy atoms from ${basename(file)} (centred, Kabsch-aligned to the first; every 10th held out)`,
  };
}
