/**
 * A seeded story grammar whose true entropy is known exactly: the LM's second real-text source, so a run can print
 * the entropy floor beside the test cross-entropy (how far each generation is from the best possible model).
 *
 *   "tom had a big cat. the cat was happy. tom loved it."
 *
 * A story is a fixed template with independent slots (name, adjective, noun, mood, verb), each drawn from its own
 * skewed distribution, and two copies (the noun and the name again: a long-range dependency that attention must
 * carry). Stories follow each other separated by '\n'. Every option of a slot has the same length, so each slot
 * occupies fixed positions of a window, and the entropy of a window is the sum over the slots it shows of the
 * entropy of the part it shows: H(first k letters of the slot's word), copies contributing 0 (their original is
 * always earlier in the same window). entropyPerChar(T + 1) = H(window)/T is then exactly the cross-entropy of the
 * true distribution on the T predicted characters: no model can go below it.
 */
import { foldIn, KeyedGenerator, type Key } from '../../../core/rng.js';
import { ALPHABET, encodeText, type TextSource } from './corpus.js';

export interface Slot {
  readonly options: readonly string[];
  /** probabilities, in the order of options */
  readonly p: readonly number[];
}
export type Piece = string | Slot | { readonly copy: number };

/** weights ∝ 1/(rank + 1): skewed, so the floor is below log(options) */
function zipf(options: readonly string[]): Slot {
  const w = options.map((_, r) => 1 / (r + 1));
  const total = w.reduce((a, b) => a + b, 0);
  return { options, p: w.map((x) => x / total) };
}

const NAME = zipf(['tom', 'sue', 'ann', 'bob', 'max', 'amy', 'jim', 'kim']);
const ADJECTIVE = zipf(['big', 'red', 'old', 'shy', 'odd', 'wet', 'fat', 'hot']);
const NOUN = zipf(['cat', 'dog', 'hen', 'fox', 'pig', 'cow', 'owl', 'bee', 'ant', 'rat']);
const MOOD = zipf(['happy', 'angry', 'tired', 'dirty', 'quiet', 'brave', 'silly', 'funny']);
const VERB = zipf(['loved', 'hated', 'found', 'moved', 'fixed']);

/** the template; { copy: i } repeats the word chosen for slot piece i */
export const STORY: readonly Piece[] = [NAME, ' had a ', ADJECTIVE, ' ', NOUN, '. the ', { copy: 4 }, ' was ', MOOD, '. ', { copy: 0 }, ' ', VERB, ' it.'];

export const isSlot = (piece: Piece): piece is Slot => typeof piece === 'object' && 'options' in piece;
const pieceLength = (piece: Piece): number => (typeof piece === 'string' ? piece.length : isSlot(piece) ? piece.options[0].length : pieceLength(STORY[piece.copy]));

function draw(slot: Slot, generator: KeyedGenerator): string {
  let u = generator.uniform();
  for (let i = 0; i < slot.options.length - 1; i++) if ((u -= slot.p[i]) <= 0) return slot.options[i];
  return slot.options[slot.options.length - 1];
}

/** One story's text, choices from `generator`. */
export function story(generator: KeyedGenerator): string {
  const chosen: string[] = [];
  for (const piece of STORY) chosen.push(typeof piece === 'string' ? piece : isSlot(piece) ? draw(piece, generator) : chosen[piece.copy]);
  return chosen.join('');
}

/** Entropy (nats) of the first k letters of a slot's word: its options grouped by prefix. */
function prefixEntropy(slot: Slot, k: number): number {
  const groups = new Map<string, number>();
  slot.options.forEach((option, i) => groups.set(option.slice(0, k), (groups.get(option.slice(0, k)) ?? 0) + slot.p[i]));
  let h = 0;
  for (const p of groups.values()) h -= p * Math.log(p);
  return h;
}

/** H(window) in nats for a window of `length` tokens: SEPARATOR, then length − 1 characters of the story stream. */
export function windowEntropy(length: number): number {
  let h = 0;
  let at = 1; // the window's first character after its separator
  while (at < length) {
    for (const piece of STORY) {
      const visible = Math.min(pieceLength(piece), length - at);
      if (visible <= 0) return h;
      if (isSlot(piece)) h += prefixEntropy(piece, visible);
      at += pieceLength(piece);
    }
    at += 1; // the separator between stories
  }
  return h;
}

function windows(n: number, length: number, key: Key): Uint8Array {
  const out = new Uint8Array(n * length); // zero-filled: SEPARATOR wherever nothing is written
  for (let i = 0; i < n; i++) {
    const generator = new KeyedGenerator(foldIn(key, i));
    let text = '';
    while (text.length < length - 1) text += story(generator) + '\n';
    out.set(encodeText(text.slice(0, length - 1)), i * length + 1);
  }
  return out;
}

/** The story grammar as a text source: real and held-out windows are independent draws under distinct key roles. */
export const storyGrammar: TextSource = {
  name: 'stories',
  alphabet: ALPHABET,
  description: 'a seeded story grammar with a known entropy floor (a toy, not TinyStories)',
  real: (n, length, key) => windows(n, length, foldIn(key, 0)),
  heldOut: (n, length, key) => windows(n, length, foldIn(key, 1)),
  entropyPerChar: (length) => windowEntropy(length) / (length - 1),
};
