/**
 * The diffusion family's real distribution: a stand-in for GEOM-Drugs conformations (neural-stack.md §3).
 *
 * For one drug-like molecule (SMILES in code), openchemlib's ConformerGenerator (seeded) enumerates the distinct
 * torsion sets it finds collision-free, MMFF94s+ minimises each, and the minima ("modes") are kept as heavy-atom
 * coordinates, centred and Kabsch-aligned to the lowest-energy mode. The real distribution is then
 *
 *   x = align(mode_k + σ·ξ),   k ~ Boltzmann(E_k, 300 K),   ξ ~ N(0, I) per coordinate,
 *
 * so held-out test data is unlimited and the ground truth is known. Minimisation takes ~15 s for propranolol, too
 * slow for every quick run, so the modes are committed in propranolol-modes.ts, made by make-modes.ts with
 * enumerateModes below (test/models/neural/diffusion.test.ts re-derives the first modes and compares).
 */
import { SingularValueDecomposition, Matrix } from 'ml-matrix';
import { foldIn, KeyedGenerator, type Key } from '../../../core/rng.js';

/** (S)-propranolol, a β-blocker: 19 heavy atoms, 6 rotatable bonds, a naphthalene ring. */
export const PROPRANOLOL_SMILES = 'CC(C)NC[C@H](O)COc1cccc2ccccc12';

/** Boltzmann constant in kcal/(mol·K) (MMFF energies are kcal/mol). */
const BOLTZMANN_KCAL = 0.0019872041;

/** A molecule's conformer modes: heavy atoms only, coordinates in Å, every mode aligned to mode 0. */
export interface ConformerModes {
  readonly smiles: string;
  /** the ConformerGenerator seed that enumerated them */
  readonly seed: number;
  /** atomic number per heavy atom */
  readonly atomicNumbers: readonly number[];
  /** heavy-atom bonds as index pairs into atomicNumbers */
  readonly bonds: readonly (readonly [number, number])[];
  /** MMFF94s+ energy per mode (kcal/mol), ascending */
  readonly energies: readonly number[];
  /** coordinates per mode, [x0, y0, z0, x1, …], centred, aligned to mode 0 */
  readonly coordinates: readonly (readonly number[])[];
}

/** Subtracts the centroid of each of the `count` points of `coords` (xyz triples) in place. */
export function centre(coords: Float64Array | Float32Array): void {
  const atoms = coords.length / 3;
  for (let axis = 0; axis < 3; axis++) {
    let sum = 0;
    for (let a = 0; a < atoms; a++) sum += coords[3 * a + axis];
    const mean = sum / atoms;
    for (let a = 0; a < atoms; a++) coords[3 * a + axis] -= mean;
  }
}

/**
 * Kabsch: the proper rotation R (row-major 3×3) minimising Σ‖R·p_i − q_i‖² for centred point sets P (mobile) and
 * Q (reference). H = Σ p_i q_iᵀ = U·S·Vᵀ; R = V·diag(1, 1, d)·Uᵀ with d = sign det(V·Uᵀ), so R is never a reflection.
 */
export function kabschRotation(mobile: ArrayLike<number>, reference: ArrayLike<number>): Float64Array {
  const h = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (let a = 0; a < mobile.length / 3; a++) {
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) h[3 * i + j] += mobile[3 * a + i] * reference[3 * a + j];
  }
  const svd = new SingularValueDecomposition(new Matrix([h.slice(0, 3), h.slice(3, 6), h.slice(6, 9)]), { autoTranspose: false });
  const u = svd.leftSingularVectors;
  const v = svd.rightSingularVectors;
  const det3 = (m: Matrix) =>
    m.get(0, 0) * (m.get(1, 1) * m.get(2, 2) - m.get(1, 2) * m.get(2, 1)) -
    m.get(0, 1) * (m.get(1, 0) * m.get(2, 2) - m.get(1, 2) * m.get(2, 0)) +
    m.get(0, 2) * (m.get(1, 0) * m.get(2, 1) - m.get(1, 1) * m.get(2, 0));
  const d = Math.sign(det3(v) * det3(u)) || 1; // det(V·Uᵀ) = det V · det U
  const rotation = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      rotation[3 * i + j] = v.get(i, 0) * u.get(j, 0) + v.get(i, 1) * u.get(j, 1) + d * v.get(i, 2) * u.get(j, 2);
    }
  }
  return rotation;
}

/** Centres `coords` and rotates them onto the centred `reference` (Kabsch), in place. */
export function alignTo(coords: Float64Array | Float32Array, reference: ArrayLike<number>): void {
  centre(coords);
  const r = kabschRotation(coords, reference);
  for (let a = 0; a < coords.length / 3; a++) {
    const x = coords[3 * a];
    const y = coords[3 * a + 1];
    const z = coords[3 * a + 2];
    coords[3 * a] = r[0] * x + r[1] * y + r[2] * z;
    coords[3 * a + 1] = r[3] * x + r[4] * y + r[5] * z;
    coords[3 * a + 2] = r[6] * x + r[7] * y + r[8] * z;
  }
}

/** Root-mean-square deviation of two conformers of equal length (no alignment). */
export function rmsd(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum / (a.length / 3));
}

/** Length of each bond (Å) of conformer `item` in a flat batch of conformers with `atoms` atoms each. */
export function bondLengths(batch: ArrayLike<number>, item: number, atoms: number, bonds: ConformerModes['bonds']): Float64Array {
  const out = new Float64Array(bonds.length);
  const base = item * 3 * atoms;
  bonds.forEach(([i, j], b) => {
    const dx = batch[base + 3 * i] - batch[base + 3 * j];
    const dy = batch[base + 3 * i + 1] - batch[base + 3 * j + 1];
    const dz = batch[base + 3 * i + 2] - batch[base + 3 * j + 2];
    out[b] = Math.hypot(dx, dy, dz);
  });
  return out;
}

/** Mean |bond length − reference length| (Å) over every bond of every conformer in `batch`. */
export function bondLengthError(batch: ArrayLike<number>, atoms: number, bonds: ConformerModes['bonds'], reference: ArrayLike<number>): number {
  const items = batch.length / (3 * atoms);
  let sum = 0;
  for (let item = 0; item < items; item++) {
    const lengths = bondLengths(batch, item, atoms, bonds);
    for (let b = 0; b < bonds.length; b++) sum += Math.abs(lengths[b] - reference[b]);
  }
  return sum / (items * bonds.length);
}

export interface ConformerDistributionOptions {
  /** temperature of the Boltzmann weights, K (default 300) */
  readonly temperature?: number;
  /** Gaussian jitter per coordinate before alignment, Å (default 0.05) */
  readonly jitter?: number;
}

/** The Boltzmann mixture over `modes` plus jitter, aligned to mode 0: the family's real distribution. */
export class ConformerDistribution {
  readonly atoms: number;
  /** 3·atoms, the length of one item */
  readonly dim: number;
  /** mixture weight per mode, ∝ exp(−(E_k − E_0)/kT) */
  readonly weights: Float64Array;
  /** Boltzmann-mean length of each heavy-atom bond (Å): the reference of bondLengthError */
  readonly referenceBondLengths: Float64Array;
  readonly temperature: number;
  readonly jitter: number;
  private readonly cumulative: Float64Array;

  constructor(readonly modes: ConformerModes, options: ConformerDistributionOptions = {}) {
    this.temperature = options.temperature ?? 300;
    this.jitter = options.jitter ?? 0.05;
    this.atoms = modes.atomicNumbers.length;
    this.dim = 3 * this.atoms;
    const kT = BOLTZMANN_KCAL * this.temperature;
    const e0 = Math.min(...modes.energies);
    const raw = modes.energies.map((e) => Math.exp(-(e - e0) / kT));
    const z = raw.reduce((s, w) => s + w, 0);
    this.weights = Float64Array.from(raw, (w) => w / z);
    this.cumulative = new Float64Array(this.weights.length);
    let running = 0;
    this.weights.forEach((w, k) => (this.cumulative[k] = running += w));
    this.referenceBondLengths = new Float64Array(modes.bonds.length);
    modes.coordinates.forEach((coords, k) => {
      const lengths = bondLengths(coords, 0, this.atoms, modes.bonds);
      for (let b = 0; b < lengths.length; b++) this.referenceBondLengths[b] += this.weights[k] * lengths[b];
    });
  }

  /** 1/Σw², the effective number of modes (a readable "how many"; the mixture itself uses all of them). */
  effectiveModes(): number {
    return 1 / this.weights.reduce((s, w) => s + w * w, 0);
  }

  /** `n` conformers, flat [n × dim] float32; item i depends only on foldIn(key, i). */
  sample(n: number, key: Key): Float32Array {
    const out = new Float32Array(n * this.dim);
    const coords = new Float64Array(this.dim);
    const reference = this.modes.coordinates[0];
    for (let item = 0; item < n; item++) {
      const generator = new KeyedGenerator(foldIn(key, item));
      const u = 1 - generator.uniform(); // [0, 1)
      let k = 0;
      while (k < this.cumulative.length - 1 && u >= this.cumulative[k]) k++;
      const mode = this.modes.coordinates[k];
      for (let c = 0; c < this.dim; c++) coords[c] = mode[c] + this.jitter * generator.normal();
      alignTo(coords, reference);
      out.set(coords, item * this.dim);
    }
    return out;
  }
}

/** What enumerateModes needs of openchemlib (typed loosely: the package's types are a large surface). */
export interface EnumerateOptions {
  readonly smiles: string;
  readonly seed: number;
  /** stop after this many raw conformers (tests); default all the generator yields */
  readonly maxConformers?: number;
}

/**
 * Enumerates, minimises (MMFF94s+) and deduplicates a molecule's conformer modes with openchemlib. Two minima are
 * one mode when their energies agree to 1e-3 kcal/mol and their aligned heavy atoms to 0.05 Å RMSD (the same
 * minimum reached from two starting torsion sets). Slow (~15 s for propranolol): run by make-modes.ts.
 */
export async function enumerateModes({ smiles, seed, maxConformers = Infinity }: EnumerateOptions): Promise<ConformerModes> {
  const OCL = await import('openchemlib');
  OCL.Resources.registerFromNodejs();
  const molecule = OCL.Molecule.fromSmiles(smiles);
  const generator = new OCL.ConformerGenerator(seed);
  if (!generator.initializeConformers(molecule)) throw new Error(`openchemlib cannot make conformers of ${smiles}`);
  const heavy: number[] = [];
  for (let a = 0; a < molecule.getAllAtoms(); a++) if (molecule.getAtomicNo(a) > 1) heavy.push(a);
  const indexOf = new Map(heavy.map((a, i) => [a, i]));
  const bonds: [number, number][] = [];
  for (let b = 0; b < molecule.getAllBonds(); b++) {
    const i = indexOf.get(molecule.getBondAtom(0, b));
    const j = indexOf.get(molecule.getBondAtom(1, b));
    if (i !== undefined && j !== undefined) bonds.push([i, j]);
  }
  const minima: { energy: number; coords: Float64Array }[] = [];
  for (let count = 0; count < maxConformers; count++) {
    const conformer = generator.getNextConformerAsMolecule();
    if (conformer === null) break;
    const forceField = new OCL.ForceFieldMMFF94(conformer, 'MMFF94s+');
    forceField.minimise(); // moves the conformer's atoms to the minimum
    const energy = forceField.getTotalEnergy();
    const coords = Float64Array.from(heavy.flatMap((a) => [conformer.getAtomX(a), conformer.getAtomY(a), conformer.getAtomZ(a)]));
    centre(coords);
    minima.push({ energy, coords });
  }
  if (minima.length === 0) throw new Error(`openchemlib found no conformer of ${smiles}`);
  minima.sort((a, b) => a.energy - b.energy);
  const reference = minima[0].coords;
  const modes: typeof minima = [];
  for (const minimum of minima) {
    alignTo(minimum.coords, reference);
    const duplicate = modes.some((m) => Math.abs(m.energy - minimum.energy) < 1e-3 && rmsd(m.coords, minimum.coords) < 0.05);
    if (!duplicate) modes.push(minimum);
  }
  const round = (x: number, digits: number) => Number(x.toFixed(digits));
  return {
    smiles,
    seed,
    atomicNumbers: heavy.map((a) => molecule.getAtomicNo(a)),
    bonds,
    energies: modes.map((m) => round(m.energy, 4)),
    coordinates: modes.map((m) => Array.from(m.coords, (x) => round(x, 4))),
  };
}
