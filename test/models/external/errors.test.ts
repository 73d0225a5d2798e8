/**
 * An external family's failures, each one line naming what failed: a bad spec (unknown key, a placeholder a command
 * may not use or must use), a command that exits non-zero (its code and the last line of its stderr), one that hangs
 * (killed after the spec's timeout), one that cannot start, wrong output (item count, metrics that are not finite
 * numbers). Tiny inline node programs stand in for a family, so every case costs a few process starts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { checkLoopState, loadLoopSpec, runExternalLoop, validateLoopConfig } from '../../../src/experiments/external.js';
import { isOneLineError, mainInProcess } from '../../cli/helpers.js';
import { FAMILY, js } from './inline-family.js';

const work = mkdtempSync(join(tmpdir(), 'collapse-external-errors-'));
after(() => rmSync(work, { recursive: true, force: true }));

let count = 0;
function spec(overrides: Record<string, unknown>): string {
  const file = join(work, `spec-${++count}.json`);
  writeFileSync(file, JSON.stringify({ name: 'inline', ...FAMILY, ...overrides }));
  return file;
}

async function loopError(overrides: Record<string, unknown>, strategy = 'replace', iterations = 2): Promise<string> {
  const config = validateLoopConfig({ spec: spec(overrides), strategy, iterations, samples: 4, 'test-samples': 3, seeds: 1 });
  try {
    await runExternalLoop(config, loadLoopSpec(config));
  } catch (error) {
    assert.ok(error instanceof UsageError, String(error));
    assert.ok(!error.message.includes('\n'), error.message);
    return error.message;
  }
  assert.fail('the run succeeded');
}

test('a working inline family runs, and its pool carries the weights PoolPart has: accumulate averages the sets', async () => {
  const config = validateLoopConfig({ spec: spec({}), strategy: 'replace,accumulate', iterations: 3, samples: 4, 'test-samples': 3, seeds: 1 });
  const report = await runExternalLoop(config, loadLoopSpec(config));
  // real items 0, 1, 2, 3 → model 1 = 1.5. replace: 2.5, 3.5. accumulate: (1.5 + 2.5)/2 = 2, then the sets' means
  // 1.5, 2.5 and 3 with weight ⅓ each = 7/3
  const [replace, accumulate] = report.strategies.map((s) => s.iterations.map((r) => r.metrics.mean.mean));
  assert.deepEqual(replace, [1.5, 2.5, 3.5]);
  [1.5, 2, 7 / 3].forEach((expected, i) => assert.ok(Math.abs(accumulate[i] - expected) < 1e-12, `accumulate n = ${i + 1}: ${accumulate[i]}`));
});

test('a spec is checked before anything runs: unknown keys, placeholders, the shape of a command', () => {
  const load = (overrides: Record<string, unknown>) => () => loadLoopSpec(validateLoopConfig({ spec: spec(overrides) }));
  assert.throws(load({ evalute: 'x' }), /unknown key "evalute" \(did you mean 'evaluate'\?\)/);
  assert.throws(load({ fit: ['prog', '{pool}', '{seed}', '{out}'] }), /fit uses \{out\}; it may use \{pool\}, \{seed\}, \{model\}/);
  assert.throws(load({ sample: 'prog {model} {out}' }), /sample must pass \{n\} to the program/);
  assert.throws(load({ real: [] }), /real must be a command/);
  assert.throws(load({ timeout: -1 }), /timeout must be seconds/);
  assert.throws(() => validateLoopConfig({}), /--family external needs --spec FILE/);
});

test('a command that fails: one line with the command, its exit code and the last line of its stderr', async () => {
  const message = await loopError({ fit: [...js("process.stderr.write('loading\\nValueError: singular pool\\n'); process.exit(3)"), '{pool}', '{model}'] });
  assert.match(message, /^external family inline: fit command \(.+\) exited with code 3: ValueError: singular pool$/);
});

test('a command that hangs is killed after the spec timeout', async () => {
  const started = performance.now();
  const message = await loopError({ timeout: 1, sample: [...js('setTimeout(() => {}, 60_000)'), '{model}', '{n}', '{out}'] });
  assert.match(message, /^external family inline: sample command \(.+\) timed out after 1 s and was killed \(nothing on stderr\)$/);
  assert.ok(performance.now() - started < 20_000);
});

test('a program that cannot start, and output that is not what was asked for', async () => {
  assert.match(await loopError({ real: ['./no-such-program', '{n}', '{out}'] }), /real command \(\.\/no-such-program .+\) could not start: ENOENT$/);
  assert.match(await loopError({ real: [...js("fs.writeFileSync(a[1], '1\\n2')"), '{n}', '{out}'] }), /real command exited 0 but wrote 2 items; 3 were asked for$/);
  assert.match(await loopError({ real: [...js("fs.writeFileSync(a[1], '1\\n{oops\\n3')"), '{n}', '{out}'] }), /real command exited 0 but line 2 of its output is not JSON/);
  assert.match(await loopError({ fit: [...js(''), '{pool}', '{model}'] }), /fit command exited 0 but wrote no model at \{model\}$/);
  assert.match(await loopError({ evaluate: [...js("fs.writeFileSync(a[2], JSON.stringify({ loss: null }))"), '{model}', '{test}', '{out}'] }), /evaluate command exited 0 but metric "loss" is null, not a finite number$/);
  assert.match(await loopError({ evaluate: [...js("fs.writeFileSync(a[2], JSON.stringify({ loss: 1e200 }))"), '{model}', '{test}', '{out}'] }), /metric "loss" is 1e\+200, not a finite number within ±1e\+100$/);
  // every evaluate call is a new process: its pid names a metric no other call names
  assert.match(await loopError({ evaluate: [...js("fs.writeFileSync(a[2], JSON.stringify({ ['m' + process.pid]: 1 }))"), '{model}', '{test}', '{out}'] }), /evaluate command exited 0 but its metrics are "m\d+", earlier "m\d+" \(the same names every call\)$/);
});

test('collapse loop: a failing command is one line on stderr, exit 2, and the run directory says failed', async () => {
  const out = join(work, 'failed-run');
  const result = await mainInProcess(['loop', '--spec', spec({ fit: [...js("console.error('boom'); process.exit(4)"), '{pool}', '{model}'] }), '--iterations', '1', '--samples', '3', '--test-samples', '2', '--seeds', '1', '--out', out, '--quiet']);
  assert.equal(result.code, 2);
  assert.ok(isOneLineError(result.stderr), result.stderr);
  assert.match(result.stderr, /fit command \(.+\) exited with code 4: boom\n$/);
  const manifest = await import('../../../src/core/run-store.js').then((m) => m.readManifest(out, 'loop'));
  assert.equal(manifest.status, 'failed');
});

test('a resume refuses a spec that changed since the run started, and a state that does not fit the run', () => {
  const config = validateLoopConfig({ spec: spec({}), strategy: 'replace', iterations: 2, seeds: 1 });
  const loaded = loadLoopSpec(config);
  const good = { specSha256: loaded.sha256, completed: { 'replace/seed-0': [{ mean: 1 }, { mean: 2 }] } };
  assert.deepEqual(checkLoopState(good, config, loaded, 'DIR'), good);
  assert.throws(() => checkLoopState({ ...good, specSha256: '0'.repeat(64) }, config, loaded, 'DIR'), /--resume DIR: --spec .+ changed since the run started/);
  assert.throws(() => checkLoopState({ ...good, completed: { 'accumulate/seed-0': [{}, {}] } }, config, loaded, 'DIR'), /does not fit the run .+trajectory accumulate\/seed-0/);
  assert.throws(() => checkLoopState({ ...good, completed: {}, current: 'replace/seed-0', trajectory: { done: 5 } }, config, loaded, 'DIR'), /does not fit the run/);
});

test('a re-sealed loop state is range-checked: completed metrics finite and within ±1e100', () => {
  const config = validateLoopConfig({ spec: spec({}), strategy: 'replace', iterations: 2, seeds: 1 });
  const loaded = loadLoopSpec(config);
  const state = (rows: unknown) => ({ specSha256: loaded.sha256, completed: { 'replace/seed-0': rows } });
  for (const rows of [[{ mean: 1 }, { mean: 5e303 }], [{ mean: 1 }, { mean: 'NaN' }], [{ mean: 1 }, null]]) {
    assert.throws(() => checkLoopState(state(rows), config, loaded, 'DIR'), /--resume DIR: its checkpoint.json does not fit the run .+trajectory replace\/seed-0/, JSON.stringify(rows));
  }
  assert.doesNotThrow(() => checkLoopState(state([{ mean: 1 }, { mean: -1e99 }]), config, loaded, 'DIR'));
});

test('the committed example specs load, and every program they name exists beside them', async () => {
  const { existsSync } = await import('node:fs');
  for (const file of ['examples/external/python/gaussian.yaml', 'examples/external/node/gaussian.yaml']) {
    const loaded = loadLoopSpec(validateLoopConfig({ spec: new URL(`../../../${file}`, import.meta.url).pathname }));
    for (const words of Object.values(loaded.commands)) assert.ok(existsSync(join(loaded.cwd, words[1])), `${file}: ${words[1]}`);
  }
});
