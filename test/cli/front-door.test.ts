/** `collapse --version` and `collapse` alone: the first two things a new user types. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { mainInProcess } from './helpers.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

test('collapse --version (and -V) prints the package version and exits 0', async () => {
  for (const flag of ['--version', '-V']) {
    const out = await mainInProcess([flag]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), VERSION);
    assert.equal(out.stderr, '');
  }
});

test('collapse with no command prints the help, listing every command, and exits 0', async () => {
  const out = await mainInProcess([]);
  assert.equal(out.code, 0);
  assert.match(out.stdout, /^Usage: collapse /);
  for (const command of ['linear', 'gaussian', 'neural', 'verify', 'sweep', 'worker', 'figures']) assert.match(out.stdout, new RegExp(`\\n  ${command}\\b`));
  assert.match(out.stdout, /--version/);
});

test('an unknown command is still a one-line usage error (exit 2)', async () => {
  const out = await mainInProcess(['lineer']);
  assert.equal(out.code, 2);
  assert.match(out.stderr, /^collapse: unknown command 'lineer' \(did you mean linear\?\)\n$/);
});
