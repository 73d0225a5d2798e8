/**
 * The reduced method's design: the eigenvalues of XᵀX drawn without X, on the main thread or on the spectrum thread
 * (wishart-thread.ts), which loads this file and its few imports only.
 */
import { NumericError } from '../../core/errors.js';
import { tridiagonalEigenvalues } from '../../core/linalg.js';
import { foldIn, KeyedGenerator, type Key } from '../../core/rng.js';

/** The reduced method's design of a chunk (a design.ts ChunkDesign: B and the traces, then its eigenbasis). */
export interface ReducedDesign {
  /** trials in the chunk (the kernel width B) */
  B: number;
  /** tr((XᵀX)⁻¹) per trial (with ridge: tr((XᵀX + λI)⁻¹)), float64 */
  traceGramInverse: Float64Array;
  /**
   * λ_j^{-1/2} for the eigenvalues λ_j of XᵀX, layout [j·B + trial], float64. In XᵀX's eigenbasis the OLS noise of a
   * generation has independent coordinates z_j = σ·λ_j^{-1/2}·ξ_j, and ‖e‖² is rotation invariant.
   */
  noiseScale: Float64Array;
  /**
   * Ridge only (λ > 0): the shrinkage m_j = μ_j/(μ_j + λ) per coordinate and w* in the eigenbasis, layout
   * [j·B + trial]. A ridge fit maps a source model w to m·w + (m − 1)·… see reduced.ts; with λ = 0, m = 1.
   */
  shrink?: Float64Array;
  wStar?: Float64Array;
  /** ridge only: the eigenvalues μ_j of XᵀX, layout [j·B + trial] (for the P11 conditional check) */
  eigenvalues?: Float64Array;
}

/**
 * The eigenvalues of XᵀX ~ Wishart_d(T, I) without X: they are those of BBᵀ for the lower-bidiagonal B with
 * B_ii = χ_{T−i} (i = 0…d−1) and B_{i+1,i} = χ_{d−1−i}, all independent (Dumitriu & Edelman 2002, β = 1). BBᵀ is
 * tridiagonal, so a trial costs 2d − 1 chi draws and an O(d²) QL sweep — no d×d matrix, no T×d design.
 * @source Dumitriu & Edelman 2002, J. Math. Phys. 43, Theorem 3.4 (β-Laguerre ensemble)
 * @proof proofs/linear-fixed-design.md#P5
 */
export function drawReducedDesign(wishartKey: Key, firstTrial: number, B: number, T: number, d: number, ridge = 0): ReducedDesign {
  const noiseScale = new Float64Array(B * d);
  const shrink = ridge > 0 ? new Float64Array(B * d) : undefined;
  const wStar = ridge > 0 ? new Float64Array(B * d) : undefined;
  const eigenvalues = ridge > 0 ? new Float64Array(B * d) : undefined;
  const traceGramInverse = new Float64Array(B);
  const diag = new Float64Array(d);
  const off = new Float64Array(d);
  for (let tr = 0; tr < B; tr++) {
    const generator = new KeyedGenerator(foldIn(wishartKey, firstTrial + tr));
    let below = 0; // B_{i,i−1}² of the previous row
    for (let i = 0; i < d; i++) {
      const c2 = generator.chisquare(T - i);
      const s2 = i < d - 1 ? generator.chisquare(d - 1 - i) : 0;
      diag[i] = c2 + below;
      off[i] = Math.sqrt(c2 * s2);
      below = s2;
    }
    tridiagonalEigenvalues(diag, off, d);
    let trace = 0;
    for (let j = 0; j < d; j++) {
      const mu = diag[j];
      if (!(mu > 0)) throw new NumericError(`an eigenvalue of XᵀX is ${mu} for trial ${firstTrial + tr}`);
      trace += 1 / (mu + ridge);
      // (XᵀX + λI)⁻¹Xᵀε has coordinate variance σ²·μ/(μ + λ)² in the eigenbasis (λ = 0: σ²/μ)
      noiseScale[j * B + tr] = Math.sqrt(mu) / (mu + ridge);
      if (shrink && wStar && eigenvalues) {
        shrink[j * B + tr] = mu / (mu + ridge);
        eigenvalues[j * B + tr] = mu;
        wStar[j * B + tr] = generator.normal() / Math.sqrt(d); // w* ~ N(0, I/d) is N(0, I/d) in any orthonormal basis
      }
    }
    traceGramInverse[tr] = trace;
  }
  return { B, noiseScale, traceGramInverse, shrink, wStar, eigenvalues };
}
