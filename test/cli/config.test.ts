/** --config through the command line (in process): values from the file, flags over them, errors naming the file. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSealed } from '../../src/core/atomic-file.js';
import { isOneLineError, mainInProcess } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'collapse-cli-config-'));
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

test('linear --config: the file sets the run, flags override it, the manifest records the result', async () => {
  const config = file('run.yaml', 'strategy: replace\ndim: 2\nsamples: 8\niterations: 2\ntrials: 30\nseed: 9\nbackend: cpu\nmethod: reduced\n');
  const out = join(dir, 'run');
  const result = await mainInProcess(['linear', '--config', config, '--trials', '40', '--out', out, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const json = JSON.parse(result.stdout);
  assert.equal(json.config.strategy, 'replace');
  assert.equal(json.config.trials, 40);
  assert.equal(json.config.seed, 9);
  const manifest = readSealed(join(out, 'manifest.json')) as { config: Record<string, unknown>; status: string; seed: number };
  assert.equal(manifest.status, 'complete');
  assert.deepEqual(manifest.config, JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')));
  assert.equal(manifest.seed, 9);
});

const BAD: [string, string, string[], RegExp][] = [
  ['linear', 'a.yaml', ['dim: abc'], /^collapse: --config \S+a\.yaml: dim must be an integer in \[1, 1024\]; got "abc"$/],
  ['linear', 'b.json', ['{"dimm": 3}'], /unknown key "dimm" \(did you mean 'dim'\?\)$/],
  ['linear', 'c.yaml', ['strategy: acumulate'], /c\.yaml: strategy must be one of .* \(did you mean 'accumulate'\?\)$/],
  ['linear', 'd.yaml', ['out: somewhere'], /out is not part of a run's configuration; pass --out on the command line$/],
  ['verify', 'e.yaml', ['trials-full: 5'], /e\.yaml: trials-full must be an integer in \[100, 10000000\]; got 5$/],
  ['verify', 'f.yaml', ['only: no such case'], /f\.yaml: only "no such case" matches no case/],
  ['verify', 'g.yaml', ['quick: yes'], /g\.yaml: quick must be true or false; got "yes"$/],
  ['verify', 'h.yaml', ['trials_full: 500'], /unknown key "trials_full" \(did you mean 'trials-full'\?\)$/],
];
for (const [command, name, lines, pattern] of BAD) {
  test(`${command} --config ${name} (${lines.join('; ')}): exit 2, one line naming the file and key, nothing written`, async () => {
    const out = join(dir, `never-${name}`);
    const result = await mainInProcess([command, '--config', file(name, lines.join('\n') + '\n'), '--out', out]);
    assert.equal(result.code, 2, result.stderr);
    assert.ok(isOneLineError(result.stderr), result.stderr);
    assert.match(result.stderr.trimEnd(), pattern);
    assert.equal(existsSync(out), false);
  });
}
