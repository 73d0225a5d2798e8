/**
 * "Which collapse?" Schaeffer, Kazdan, Arulandu & Koyejo 2025 (arXiv:2503.03150) list eight definitions of model
 * collapse in use. A family that can decide a definition for a run reports it under the stable name below (`profile`
 * in `--json`); one that cannot says so (measurable: false) and why. A verdict comes from exact theory or a proved
 * bound, never from a threshold picked here: where a definition needs one (what risk is "catastrophic"), the profile
 * says it is not measured. Families without theory (neural) decide from a 95% interval over independent runs, and
 * mark the verdict basis 'measurement' (a statistical verdict, an approximation the entry states).
 */

/** The eight definitions, in the paper's order, by stable name. */
export const COLLAPSE_DEFINITIONS = [
  'catastrophicRiskIncrease',
  'anyRiskIncrease',
  'divergingRisk',
  'scalingLawChange',
  'collapsingVariance',
  'modeEntanglement',
  'tailDisappearance',
  'hallucinatedData',
] as const;
/** One of {@link COLLAPSE_DEFINITIONS}: a stable name for one meaning of "model collapse" (Schaeffer et al. 2025). */
export type CollapseDefinition = (typeof COLLAPSE_DEFINITIONS)[number];

/** What a run says about one definition of collapse, and on what basis. */
export interface ProfileEntry {
  /** whether this family can decide the definition at all */
  measurable: boolean;
  /** the verdict for this run: true (it collapses in this sense), false, or null (measurable in general, undecided here) */
  holds: boolean | null;
  /** what decided it: exact theory, a proved bound, a 95% interval over independent runs (measurement), or nothing */
  basis: 'theory' | 'bound' | 'measurement' | null;
  /** one line: the quantity and the proof, or why not */
  why: string;
}

/** A run's verdict on every definition of collapse (the `profile` field of `--json`). */
export type CollapseProfile = Record<CollapseDefinition, ProfileEntry>;

/** An entry for a definition the family cannot decide at all, with the reason. */
export const notMeasurable = (why: string): ProfileEntry => ({ measurable: false, holds: null, basis: null, why });
/** An entry for a definition the family can measure in general but this run does not decide, with the reason. */
export const undecided = (why: string): ProfileEntry => ({ measurable: true, holds: null, basis: null, why });
