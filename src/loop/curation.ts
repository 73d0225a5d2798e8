/**
 * Curation by a verifier: the filter step of the generation loop (issue 18 §3; Yi, Liu, Cheng & Xu 2025,
 * arXiv:2510.16657). After a generation samples its synthetic items and before they enter the pool, a verifier the
 * family provides scores every item (ModelFamily.score, higher = better) and a rule keeps some:
 *
 * - `threshold:τ` keeps an item iff its score ≥ τ;
 * - `top:q` keeps the fraction q with the highest scores.
 *
 * The kept set is always refilled to m items, never shrunk (one option, so every strategy's plan of m-item data sets
 * and every fit stay as they are):
 *
 * - `top:q` draws ⌈m/q⌉ candidates and keeps the m with the highest scores (ties: the earlier draw), in draw order;
 * - `threshold:τ` fills m slots: round r draws m candidates, and slot i takes candidate i of the first round whose
 *   item i passes. For a family of i.i.d. items each slot is then an independent draw from the model conditioned on
 *   passing; for fixed-design regression (item i = design row i) each row's label is drawn until it passes.
 *
 * Every candidate comes from the key of its round under the curation stream, so a curated trajectory is a function of
 * its keys: checkpoints and --resume stay bit-identical. Real data (source 0) is never curated.
 */
import { NumericError, UsageError } from '../core/errors.js';
import { foldIn, type Key } from '../core/rng.js';
import type { OptionSpec } from '../core/schema.js';
import type { ModelFamily } from '../models/model.js';

/** How items are kept: by a score threshold τ, or the top fraction q ∈ (0, 1]. */
export type CurationRule = { kind: 'threshold'; tau: number } | { kind: 'top'; q: number };

/** A curation step: the rule and the name of the family's verifier that scores the items. */
export interface Curation {
  rule: CurationRule;
  verifier: string;
}

/** The CLI forms of a rule (`--curate`). */
export const CURATION_FORMS = ['threshold:τ', 'top:q'] as const;

/** Rounds of `threshold:τ` before a slot that never passes is an error (the verifier accepts almost nothing). */
export const MAX_CURATION_ROUNDS = 10_000;

/** Parse `threshold:τ` (τ any finite number) or `top:q` (0 < q ≤ 1); a one-line UsageError otherwise. */
export function parseCurationRule(raw: unknown): CurationRule {
  const text = typeof raw === 'string' ? raw.trim() : '';
  const match = /^(threshold|top):(.+)$/.exec(text);
  const value = match ? Number(match[2]) : NaN;
  if (match && match[1] === 'threshold' && Number.isFinite(value)) return { kind: 'threshold', tau: value };
  if (match && match[1] === 'top' && value > 0 && value <= 1) return { kind: 'top', q: value };
  throw new UsageError(`--curate must be threshold:τ (τ a finite number) or top:q (0 < q ≤ 1); got ${JSON.stringify(raw)}`);
}

/** The canonical text of a rule (what a configuration stores): `threshold:τ` or `top:q`. */
export function curationName(rule: CurationRule): string {
  return rule.kind === 'threshold' ? `threshold:${rule.tau}` : `top:${rule.q}`;
}

/** Candidates `top:q` draws for m kept items: ⌈m/q⌉ (q = 1 keeps every item). */
export function topCandidates(m: number, q: number): number {
  // 1e-9 absorbs the rounding of m/q (m = 50, q = 0.1 gives 500.00000000000006, which must stay 500)
  return Math.max(m, Math.ceil(m / q - 1e-9));
}

/** The indices of the m highest scores (NaN lowest; ties: the smaller index), in increasing order. */
export function topRows(scores: Float64Array, m: number): number[] {
  const order = Array.from(scores.keys());
  const key = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  order.sort((a, b) => key(b) - key(a) || a - b);
  return order.slice(0, m).sort((a, b) => a - b);
}

function scorer<P, D>(family: ModelFamily<P, D>, verifier: string): (data: D, model: P) => Float64Array {
  const score = family.score;
  if (!score) throw new UsageError(`the ${family.name} family has no verifier: --curate does not apply to it`);
  return (data, model) => score.call(family, data, verifier, model);
}

/**
 * m curated items from `model` (the header's rule), every candidate drawn from `key`'s rounds: round r's candidates
 * come from foldIn(key, r).
 */
export async function curate<P, D>(family: ModelFamily<P, D>, model: P, m: number, curation: Curation, key: Key): Promise<D> {
  const score = scorer(family, curation.verifier);
  const { rule } = curation;
  if (rule.kind === 'top') {
    const candidates = await family.sample(model, topCandidates(m, rule.q), foldIn(key, 0));
    return family.take(candidates, topRows(score(candidates, model), m));
  }
  const round = new Int32Array(m).fill(-1); // the round whose candidate fills slot i
  const rounds: D[] = [];
  let open = m;
  for (let r = 0; open > 0; r++) {
    if (r === MAX_CURATION_ROUNDS) {
      throw new NumericError(`curation threshold:${rule.tau} (verifier ${curation.verifier}): ${open} of ${m} slots had no candidate scoring ≥ ${rule.tau} in ${r} rounds; the verifier accepts almost nothing`);
    }
    const candidates = await family.sample(model, m, foldIn(key, r));
    const scores = score(candidates, model);
    rounds.push(candidates);
    for (let i = 0; i < m; i++) {
      if (round[i] < 0 && scores[i] >= rule.tau) {
        round[i] = r;
        open--;
      }
    }
  }
  if (rounds.length === 1) return rounds[0];
  if (!family.concat) throw new UsageError(`the ${family.name} family cannot join candidate rounds (no concat): use --curate top:q`);
  return family.take(family.concat(rounds), Array.from(round, (r, i) => r * m + i));
}

/**
 * `--curate` and `--verifier` for a command whose family has the given verifiers (the first is the default); a const
 * tuple, so a command's option set keeps the flags' literal types for its derived configuration (ConfigOf).
 */
export function curationOptions(verifiers: readonly string[]) {
  return [
    { flag: 'curate', kind: 'string', meta: 'rule', description: `filter each synthetic set by a verifier: ${CURATION_FORMS.join(' or ')} (kept set refilled to m)` },
    { flag: 'verifier', kind: 'string', meta: 'name', description: `the verifier --curate scores with: ${verifiers.join(', ')} (default ${verifiers[0]})` },
  ] as const satisfies readonly OptionSpec[];
}

/**
 * The curation fields of a configuration from raw `curate` and `verifier` values: both absent (no curation), or the
 * canonical rule text and a verifier of the family; one-line UsageErrors otherwise.
 */
export function validateCuration(raw: { curate?: unknown; verifier?: unknown }, verifiers: readonly string[]): { curate?: string; verifier?: string } {
  const absent = (x: unknown) => x === undefined || x === null;
  if (absent(raw.curate)) {
    if (!absent(raw.verifier)) throw new UsageError('--verifier needs --curate (the rule that keeps items by the verifier\'s score)');
    return {};
  }
  const verifier = absent(raw.verifier) ? verifiers[0] : raw.verifier;
  if (typeof verifier !== 'string' || !verifiers.includes(verifier)) {
    throw new UsageError(`--verifier must be one of ${verifiers.join(', ')}; got ${JSON.stringify(verifier)}`);
  }
  return { curate: curationName(parseCurationRule(raw.curate)), verifier };
}

/** The loop's curation from a validated configuration's fields (undefined without --curate). */
export function curationOf(config: { curate?: string; verifier?: string }): Curation | undefined {
  return config.curate === undefined ? undefined : { rule: parseCurationRule(config.curate), verifier: config.verifier as string };
}
