/**
 * A verifier of synthetic labels for fixed-design regression (Yi, Liu, Cheng & Xu 2025, arXiv:2510.16657): the
 * verifier knows its own model w_v = w* + Δ, Δ = (b/√d)·(1, …, 1) (so ‖w_v − w*‖ = b), and acts on every synthetic
 * data set in one of two ways (proofs/curation.md):
 *
 * - project (strength λ, rank k): it replaces a share λ of the synthetic fit's component in the subspace S of the
 *   first k coordinates by its own: y' = ỹ + λ·X P(w_v − Gỹ), G = (XᵀX)⁻¹Xᵀ, P the projection onto S; so
 *   Gy' = (I − λP)Gỹ + λP w_v. A label transform, applied inside the family's `sample`.
 * - residual: a score −|y_t − x_tᵀw_v| per row for the loop's filter (`--curate threshold:−τ` keeps rows whose
 *   residual against the verifier's prediction is at most τ, each row's label redrawn until it passes).
 *
 * With a verifier the family reports, beside `error` = ‖ŵ − w*‖², `verifierGap` = ‖ŵ − w_v‖² and `drift` =
 * ⟨ŵ − w_v, Δ/‖Δ‖⟩ (Δ/‖Δ‖ = (1, …, 1)/√d also when b = 0), whose mean tends to 0 when ŵ tends to w_v on average.
 */

/** Labels `y` of rows `rows` of X (null: every row 0..T−1 in order): the linear family's data set. */
export interface LinearData {
  readonly rows: readonly number[] | null;
  readonly y: Float64Array;
}

/** The verifier of the linear family: its bias b and, for the projecting verifier, λ and the rank k of S. */
export interface LinearVerifierOptions {
  /** b = ‖w_v − w*‖ ≥ 0 */
  bias: number;
  /** project: replace a share `strength` (λ ∈ (0, 1]) of the fit's component in the first `rank` coordinates */
  project?: { strength: number; rank: number };
}

/** The verifiers of the linear family (`collapse curate --verifier`). */
export const LINEAR_VERIFIERS = ['project', 'residual'] as const;

/** What the linear family calls: label correction (project), row scores (residual), joined rounds, extra metrics. */
export interface LinearVerifier {
  readonly wV: Float64Array;
  correct(data: LinearData): LinearData;
  score(data: LinearData, verifier: string): Float64Array;
  concat(sets: readonly LinearData[]): LinearData;
  metrics(w: Float64Array): { verifierGap: number; drift: number };
}

/** The verifier of one trial's family: X (T×d, row-major), w*, and `solve` (rhs ← (XᵀX)⁻¹ rhs in place). */
export function linearVerifier(options: LinearVerifierOptions, X: Float64Array, T: number, d: number, wStar: Float64Array, solve: (rhs: Float64Array) => void): LinearVerifier {
  const unit = 1 / Math.sqrt(d);
  const wV = Float64Array.from(wStar, (w) => w + options.bias * unit);
  const predict = (w: Float64Array, t: number) => {
    let v = 0;
    for (let j = 0; j < d; j++) v += X[t * d + j] * w[j];
    return v;
  };
  const vPrediction = Float64Array.from({ length: T }, (_, t) => predict(wV, t));
  return {
    wV,
    correct(data) {
      const project = options.project;
      if (!project || data.rows !== null) return data; // the held-out set (no rows) is never corrected
      const fit = new Float64Array(d); // Gỹ
      for (let t = 0; t < T; t++) for (let j = 0; j < d; j++) fit[j] += X[t * d + j] * data.y[t];
      solve(fit);
      const shift = new Float64Array(d); // λP(w_v − Gỹ)
      for (let j = 0; j < project.rank; j++) shift[j] = project.strength * (wV[j] - fit[j]);
      return { rows: null, y: Float64Array.from(data.y, (y, t) => y + predict(shift, t)) };
    },
    score(data, verifier) {
      if (verifier !== 'residual') throw new Error(`linear family: no filtering verifier ${JSON.stringify(verifier)} (residual)`);
      return Float64Array.from(data.y, (y, i) => -Math.abs(y - vPrediction[data.rows === null ? i : data.rows[i]]));
    },
    concat(sets) {
      const rows = sets.flatMap((set) => (set.rows === null ? Array.from({ length: set.y.length }, (_, t) => t) : [...set.rows]));
      const y = new Float64Array(rows.length);
      let at = 0;
      for (const set of sets) y.set(set.y, (at += set.y.length) - set.y.length);
      return { rows, y };
    },
    metrics(w) {
      let gap = 0;
      let drift = 0;
      for (let j = 0; j < d; j++) {
        gap += (w[j] - wV[j]) ** 2;
        drift += (w[j] - wV[j]) * unit;
      }
      return { verifierGap: gap, drift };
    },
  };
}
