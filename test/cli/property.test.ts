/**
 * Property-based tests (fast-check, fixed seeds) of bad input everywhere: random flag strings, random config files
 * and damaged run directories thrown at main() in this process. Whatever comes in: exit 2 with exactly one line
 * `collapse: …` on stderr, no stack trace, no output directory, nothing in a run directory changed — or exit 0 when
 * the input happens to be valid (sizes are kept tiny, so such runs are quick and complete).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { sealJson, unsealJson } from '../../src/core/atomic-file.js';
import { LINEAR_OPTIONS } from '../../src/experiments/linear.js';
import { collapseAsync, isOneLineError, mainInProcess, snapshot, waitFor } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'collapse-property-'));
const scratch = join(root, 'cwd'); // the working directory while main() runs: a stray relative path lands here
let counter = 0;
const fresh = () => join(root, `out-${counter++}`);
const home = process.cwd();

before(() => {
  mkdirSync(scratch);
  writeFileSync(join(root, 'valid.yaml'), 'trials: 3\nstrategy: replace\n');
  process.chdir(scratch);
});
after(() => process.chdir(home));

/** Tiny sizes first; random flags after them override (commander keeps the last value). */
const TINY = ['--trials', '2', '--iterations', '1', '--dim', '1', '--samples', '3', '--backend', 'cpu'];

/** Small valid values per option: a random input that is valid stays a sub-second run. */
const VALID: Record<string, fc.Arbitrary<string | number>> = {
  strategy: fc.constantFrom('replace', 'accumulate', 'accumulate-subsample', 'window:2', 'augment:1', 'fresh:0.5', 'weights:1/n'),
  dim: fc.integer({ min: 1, max: 4 }),
  samples: fc.integer({ min: 3, max: 12 }),
  noise: fc.constantFrom(0.5, 1, 2),
  iterations: fc.integer({ min: 1, max: 3 }),
  trials: fc.integer({ min: 2, max: 40 }),
  seed: fc.integer({ min: 0, max: 0xffffffff }),
  method: fc.constantFrom('full', 'reduced'),
  backend: fc.constant('cpu'),
  ridge: fc.constantFrom(0, 0.1),
  design: fc.constantFrom('fixed', 'random'),
  samples0: fc.integer({ min: 3, max: 12 }),
  noise0: fc.constantFrom(0.5, 1),
  spectrum: fc.constantFrom('isotropic', 'power:1'),
  batch: fc.integer({ min: 1, max: 64 }),
};
const NAMES: string[] = LINEAR_OPTIONS.map((s) => s.flag);
const JUNK = fc.oneof(
  fc.constantFrom('', ' ', '-1', '0', '1e400', 'NaN', 'Infinity', '-Infinity', '0x10', '1.5', '2.5e3', 'abc', '99999999999', '1e12', '--', '-', 'true', 'null', 'power:-1', 'window:0', 'fresh:2', 'weights:(', 'cuda', '💥', 'a\nb'),
  fc.string({ maxLength: 8 }),
  fc.integer().map(String),
  fc.double().map(String),
);
const typo = fc.tuple(fc.constantFrom(...NAMES), fc.nat(), fc.constantFrom('', 'x', '-', 's')).map(([name, at, ins]) => {
  const i = at % (name.length + 1);
  return name.slice(0, i) + ins + name.slice(i + (ins === '' ? 1 : 0));
});

const flagTokens: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAMES).chain((name) => VALID[name].map((v) => [`--${name}`, String(v)])) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...NAMES), JUNK).map(([name, v]) => [`--${name}`, v]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...NAMES), JUNK).map(([name, v]) => [`--${name}=${v}`]) },
  { weight: 2, arbitrary: fc.tuple(typo, JUNK).map(([name, v]) => [`--${name}`, v]) },
  { weight: 1, arbitrary: fc.constantFrom<string[]>(['--json'], ['--quiet'], ['--debug'], ['--force'], ['--dim'], ['--resume', 'nowhere'], ['--config', 'nowhere.yaml'], ['--config', join(root, 'valid.yaml')], ['--config', 'x.txt']) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).map((s) => [s]) },
);

function assertOutcome(result: { code: number | null; stdout: string; stderr: string }, out: string, input: string): void {
  if (result.code === 0) {
    // valid input: either help was asked for, or a complete run directory
    if (!existsSync(out)) assert.match(result.stdout, /Usage: collapse/, input);
    else assert.equal((unsealJson(readFileSync(join(out, 'manifest.json'))) as { status: string }).status, 'complete', input);
    return;
  }
  assert.equal(result.code, 2, `${input}\n${result.stderr}`);
  assert.ok(isOneLineError(result.stderr), `one line, no stack: ${JSON.stringify(result.stderr)} for ${input}`);
  assert.equal(result.stdout, '', input);
  assert.equal(existsSync(out), false, `no output directory for ${input}`);
}

test('random flag strings: exit 2 with one line and nothing written, or a valid tiny run (100 runs, seed 7)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(flagTokens, { minLength: 1, maxLength: 5 }), async (tokens) => {
      const out = fresh();
      const argv = ['linear', ...TINY, ...tokens.flat(), '--out', out];
      assertOutcome(await mainInProcess(argv), out, JSON.stringify(argv));
    }),
    { seed: 7, numRuns: 100 },
  );
});

const VALUE_JUNK = fc.oneof(
  JUNK,
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);
const configEntry: fc.Arbitrary<[string, unknown]> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NAMES).chain((name) => VALID[name].map((v) => [name, v] as [string, unknown])) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...NAMES), VALUE_JUNK) },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(typo, fc.constantFrom('out', 'json', 'force', 'resume', 'config', '__proto__', 'constructor', 'Dim', 'trial')), VALUE_JUNK) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), VALUE_JUNK) },
);

test('random config files (JSON and YAML): exit 2 naming the problem in one line, or a valid tiny run (80 runs, seed 11)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(configEntry, { maxLength: 4 }), fc.constantFrom('json', 'yaml', 'yml'), async (entries, format) => {
      const base: [string, unknown][] = [['trials', 2], ['iterations', 1], ['dim', 1], ['samples', 3], ['backend', 'cpu']];
      const object = Object.fromEntries([...base, ...entries]);
      const file = join(root, `config-${counter++}.${format}`);
      writeFileSync(file, format === 'json' ? JSON.stringify(object) : toYaml(object));
      const out = fresh();
      const result = await mainInProcess(['linear', '--config', file, '--out', out, '--quiet']);
      assertOutcome(result, out, `${format} ${JSON.stringify(object)}`);
      if (result.code === 2 && entries.some(([key]) => !NAMES.includes(key))) assert.match(result.stderr, /--config /);
    }),
    { seed: 11, numRuns: 80 },
  );
});

/** An interrupted run directory to damage: SIGINT after the first checkpoints. */
async function interruptedRun(): Promise<string> {
  const dir = join(root, 'interrupted');
  const args = ['linear', '--dim', '3', '--samples', '12', '--iterations', '4', '--trials', '200000', '--method', 'full', '--out', dir, '--quiet'];
  const { child, done } = collapseAsync(args, { COLLAPSE_CHECKPOINT_INTERVAL_MS: '0' });
  await waitFor(() => existsSync(join(dir, 'checkpoint.json')), 'the first checkpoint');
  child.kill('SIGINT');
  assert.equal((await done).code, 130);
  return dir;
}

type Damage = (bytes: Buffer) => Buffer | string;
const damage: fc.Arbitrary<[string, Damage]> = fc.oneof(
  fc.nat().map((at): [string, Damage] => [`truncated at ${at}`, (b) => b.subarray(0, at % b.length)]),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, mask]): [string, Damage] => [`byte ${at} ^ ${mask}`, (b) => {
    const copy = Buffer.from(b);
    copy[at % b.length] ^= mask;
    return copy;
  }]),
  fc.json().map((text): [string, Damage] => [`garbage JSON ${text.slice(0, 40)}`, () => text]),
  fc.constant<[string, Damage]>(['unsealed but valid JSON', (b) => JSON.stringify(unsealJson(b), null, 2)]),
  fc.nat().map((pick): [string, Damage] => {
    // resealed: the checksum fits, the content does not fit the run
    const edits: [string, (v: Sealed) => void][] = [
      ['state.chunksDone = 10⁹', (v) => v.state && (v.state.chunksDone = 1e9)],
      ['state.chunkTrials = 0', (v) => v.state && (v.state.chunkTrials = 0)],
      ['state.error = []', (v) => v.state && (v.state.error = [])],
      ['state.traceGramInverse.n = -1', (v) => v.state && (v.state.traceGramInverse = { n: -1, sum: 0, sumSq: 0 })],
      ['state = null', (v) => v.state !== undefined && (v.state = null)],
      ['config.dim = 4', (v) => v.config && (v.config.dim = 4)],
      ['config.trials = "many"', (v) => v.config && (v.config.trials = 'many')],
      ['status = "bogus"', (v) => v.status !== undefined && (v.status = 'bogus')],
      ['configDigest altered', (v) => v.configDigest !== undefined && (v.configDigest = 'tampered')],
      ['backend altered', (v) => (v.backend = v.backend === 'cpu' ? 'webasm' : 'cpu')],
      ['command altered', (v) => (v.command = 'verify')],
      ['formatVersion = 99', (v) => (v.formatVersion = 99)],
    ];
    const [what, edit] = edits[pick % edits.length];
    return [`resealed with ${what}`, (b) => {
      const value = unsealJson(b) as Sealed;
      edit(value);
      if (value.state === undefined && /^state/.test(what)) value.config = { ...value.config, dim: 4 }; // the manifest has no state
      if (value.config === undefined && /^config|^status/.test(what)) value.configDigest = 'tampered'; // the checkpoint has no config
      return sealJson(value);
    }];
  }),
);
type Sealed = Record<string, unknown> & { state?: Record<string, unknown> | null; config?: Record<string, unknown>; status?: string; configDigest?: string };

let template = '';
test('damaged checkpoint or manifest: exit 2 with one line, the run directory unchanged (80 runs, seed 13)', async () => {
  template = await interruptedRun();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('checkpoint.json', 'checkpoint.json', 'manifest.json'), damage, async (file, [what, apply]) => {
      const dir = join(root, `damaged-${counter++}`);
      cpSync(template, dir, { recursive: true });
      writeFileSync(join(dir, file), apply(readFileSync(join(dir, file))));
      const before = snapshot(dir);
      const result = await mainInProcess(['linear', '--resume', dir, '--quiet']);
      const input = `${file} ${what}`;
      assert.equal(result.code, 2, `${input}: ${result.stderr}`);
      assert.ok(isOneLineError(result.stderr), `${input}: ${JSON.stringify(result.stderr)}`);
      assert.match(result.stderr, /^collapse: --resume /, input);
      assert.deepEqual(snapshot(dir), before, `${input}: the directory is unchanged`);
    }),
    { seed: 13, numRuns: 80 },
  );
});

test('the undamaged interrupted run resumes (the damage above was the only reason to refuse)', async () => {
  assert.ok(template, 'the damage test made the interrupted run');
  const result = await mainInProcess(['linear', '--resume', template, '--quiet', '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(JSON.parse(result.stdout).config.trials, 200000);
});
