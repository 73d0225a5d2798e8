/**
 * Runs that survive (issue 7), end to end through bin/collapse.js: SIGKILL at random moments and --resume gives
 * results bit-identical to a run never interrupted; SIGINT/SIGTERM stop cleanly with a resume hint and exit
 * 130/143; a second run on a directory in use is refused with exit 2 and leaves the first intact; progress lines
 * when stderr is not a terminal.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { readSealed } from '../../src/core/atomic-file.js';
import { collapseAsync, collapseSync, isOneLineError, mainInProcess, sleep, waitFor } from './helpers.js';

// 61440 trials in chunks of 4096: 15 chunks of ~60 ms each (2 cores), a checkpoint after every one with the interval at 0
const RUN = ['linear', '--strategy', 'accumulate', '--dim', '3', '--samples', '12', '--iterations', '8', '--trials', '61440', '--method', 'full', '--seed', '11'];
const CHUNKS = 15;
const EVERY_CHUNK = { COLLAPSE_CHECKPOINT_INTERVAL_MS: '0' };
const SEED = 20240607;

const root = mkdtempSync(join(tmpdir(), 'collapse-resume-'));
let reference: { iterations: unknown; traceGramInverse: unknown; backend: string };
let referenceStderr = '';

const results = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
const manifest = (dir: string) => readSealed(join(dir, 'manifest.json')) as { status: string; segments: { status: string }[]; backend: string };
const chunksDone = (dir: string) => ((readSealed(join(dir, 'checkpoint.json')) as { state: { chunksDone: number } }).state.chunksDone);

function assertSameResults(dir: string): void {
  const got = results(dir);
  assert.equal(got.backend, reference.backend, 'resumed on the same backend');
  assert.deepStrictEqual(got.iterations, reference.iterations, 'iterations bit for bit');
  assert.deepStrictEqual(got.traceGramInverse, reference.traceGramInverse);
}

/** mulberry32: the kill points come from a fixed seed, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

before(async () => {
  await mainInProcess(['--help']); // load the CLI in this process once: the in-process runs below answer in milliseconds
  // the uninterrupted run, with quiet progress lines on (stderr is a pipe here, not a terminal)
  const dir = join(root, 'reference');
  const run = collapseSync([...RUN, '--out', dir], { COLLAPSE_PROGRESS_INTERVAL_MS: '100' });
  assert.equal(run.code, 0, run.stderr);
  reference = results(dir);
  referenceStderr = run.stderr;
  assert.equal(manifest(dir).status, 'complete');
});

test('progress: quiet lines on stderr when it is not a terminal; none with --quiet', () => {
  assert.match(referenceStderr, /^linear accumulate full: \d+% \d+ trial-it\/s \d+ s left$/m);
  for (const line of referenceStderr.trim().split('\n')) assert.match(line, /^linear accumulate full: /);
});

test('progress: nothing with --quiet or --json, whatever the interval', async () => {
  process.env.COLLAPSE_PROGRESS_INTERVAL_MS = '0';
  try {
    for (const flag of ['--quiet', '--json']) {
      const run = await mainInProcess([...RUN, '--trials', '5000', '--backend', 'cpu', flag]);
      assert.equal(run.code, 0);
      assert.equal(run.stderr, '', flag);
    }
    const loud = await mainInProcess([...RUN, '--trials', '5000', '--backend', 'cpu']);
    assert.match(loud.stderr, /^linear accumulate full: \d+% /m, 'and lines without them');
  } finally {
    delete process.env.COLLAPSE_PROGRESS_INTERVAL_MS;
  }
});

const next = random(SEED);
// kill point i: once the checkpoint of chunk k ∈ {2i+1, 2i+2} exists, a further 0–30 ms (mid-chunk, mid-write, anywhere)
const KILLS = Array.from({ length: 3 }, (_, i) => ({ chunk: 2 * i + 1 + Math.floor(next() * 2), jitter: Math.floor(next() * 30) }));
for (const [i, { chunk, jitter }] of KILLS.entries()) {
  test(`SIGKILL ${jitter} ms after checkpoint ${chunk} of ${CHUNKS} (kill point ${i + 1}, seed ${SEED}), then --resume: bit-identical results`, async () => {
    const dir = join(root, `killed-${i}`);
    const { child, done } = collapseAsync([...RUN, '--out', dir, '--quiet'], EVERY_CHUNK);
    await waitFor(() => existsSync(join(dir, 'checkpoint.json')) && chunksDone(dir) >= chunk, `checkpoint ${chunk}`);
    await sleep(jitter);
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL', 'the run was still going when it was killed');
    assert.equal(existsSync(join(dir, 'results.json')), false, 'no results from a killed run');
    assert.equal(manifest(dir).status, 'running');
    const from = chunksDone(dir);
    // the first resume through the real CLI, the others in this process (same code, no start-up)
    const resumed = i === 0 ? collapseSync(['linear', '--resume', dir, '--quiet']) : await mainInProcess(['linear', '--resume', dir, '--quiet']);
    assert.equal(resumed.code, 0, `resume from chunk ${from}: ${resumed.stderr}`);
    assertSameResults(dir);
    const m = manifest(dir);
    assert.equal(m.status, 'complete');
    assert.deepEqual(m.segments.map((s) => s.status), ['running', 'complete'], 'the killed segment stays marked running');
    assert.equal(existsSync(join(dir, '.lock')), false);
  });
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal}: exit ${code}, one line saying how to resume, checkpoint flushed; the resume completes bit-identical`, async () => {
    const dir = join(root, signal);
    // the first chunk is saved at once; with a long interval, a later checkpoint can only come from the flush
    const { child, done } = collapseAsync([...RUN, '--out', dir, '--quiet'], { COLLAPSE_CHECKPOINT_INTERVAL_MS: '600000' });
    await waitFor(() => existsSync(join(dir, 'checkpoint.json')), 'the first checkpoint');
    const seen = chunksDone(dir);
    // the whole run lasts ~15 chunks of ~50 ms after its first checkpoint: signal early, while it surely still runs
    await sleep(20);
    child.kill(signal);
    const stopped = await done;
    assert.equal(stopped.code, code, stopped.stderr);
    assert.equal(stopped.stderr, `collapse: interrupted; resume with: npx collapse linear --resume ${dir}\n`);
    assert.equal(stopped.stdout, '');
    assert.equal(manifest(dir).status, 'interrupted');
    assert.ok(chunksDone(dir) > seen, `the checkpoint was flushed on ${signal} (chunk ${chunksDone(dir)} > ${seen})`);
    assert.equal(existsSync(join(dir, '.lock')), false, 'lock released');
    if (signal === 'SIGTERM') return; // resuming is the same as after SIGINT
    const resumed = await mainInProcess(['linear', '--resume', dir, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepStrictEqual(JSON.parse(resumed.stdout).iterations, reference.iterations);
    assertSameResults(dir);
  });
}

test('SIGINT without --out: exit 130 and a line saying nothing was saved', async () => {
  const { child, done } = collapseAsync(RUN, { COLLAPSE_PROGRESS_INTERVAL_MS: '0' });
  let progress = false;
  child.stderr?.on('data', () => (progress = true));
  await waitFor(() => progress, 'the first progress line');
  child.kill('SIGINT');
  const stopped = await done;
  assert.equal(stopped.code, 130);
  assert.match(stopped.stderr, /\ncollapse: interrupted; nothing was saved \(run with --out DIR to make a run resumable\)\n$/);
});

test('two runs on one directory: the second is refused (exit 2, the lock named), the first completes intact', async () => {
  const dir = join(root, 'shared');
  const first = collapseAsync([...RUN, '--out', dir, '--quiet']);
  let firstEnded = false;
  void first.done.then(() => (firstEnded = true));
  await waitFor(() => existsSync(join(dir, 'manifest.json')), 'the first run to start');
  // the second run in this process: it starts in milliseconds, so the first is surely still going
  for (const argv of [[...RUN, '--out', dir], [...RUN, '--out', dir, '--force'], ['linear', '--resume', dir]]) {
    const second = await mainInProcess(argv);
    assert.equal(second.code, 2, second.stderr);
    assert.ok(isOneLineError(second.stderr));
    assert.match(second.stderr, /^collapse: .* is in use by another run \(pid \d+, since .*\); wait for it to finish, or remove .*\.lock if no run is using it\n$/);
  }
  assert.equal(firstEnded, false, 'the first run was still going while the others were refused');
  // and a second process too, whenever it gets there: refused while the first runs, or "not empty" after
  const late = await collapseAsync([...RUN, '--out', dir, '--quiet']).done;
  assert.equal(late.code, 2);
  assert.match(late.stderr, /is in use by another run|exists and is not empty/);
  const outcome = await first.done;
  assert.equal(outcome.code, 0, outcome.stderr);
  assertSameResults(dir);
  assert.deepEqual(manifest(dir).segments.map((s) => s.status), ['complete']);
  assert.equal(manifest(dir).status, 'complete');
  assert.equal(readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n').length, 9);
  assert.equal(existsSync(join(dir, '.lock')), false);
});

test('--resume of a complete run, or of a directory that holds no run, is refused with one line', async () => {
  const complete = await mainInProcess(['linear', '--resume', join(root, 'reference')]);
  assert.equal(complete.code, 2);
  assert.match(complete.stderr, /^collapse: --resume .*: the run is already complete; its results are in .*results\.json\n$/);
  const missing = await mainInProcess(['linear', '--resume', join(root, 'nowhere')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^collapse: --resume .*nowhere: no such directory\n$/);
});
