/**
 * checkJob: a worker runs only the cell a job's command and options define, in its sweep's directory; anything a
 * `sweep run` would not have written is a one-line refusal (no Redis needed here; queue-edges.test.ts runs it).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { checkJob, jobData } from '../../src/sweep/job.js';
import { loadSweep } from '../../src/sweep/spec.js';
import { SWEEP_COMMANDS } from '../../src/sweep/commands.js';

const dir = mkdtempSync(join(tmpdir(), 'collapse-job-'));
const file = join(dir, 'grid.json');
writeFileSync(file, JSON.stringify({ command: 'linear', base: { dim: 3, samples: 12, iterations: 2 }, grid: { strategy: ['replace', 'window:2'] }, seeds: 2 }));
const sweep = loadSweep(file, join(dir, 'sweeps'));

test('a job sweep run wrote is accepted and gives back the same cell', () => {
  for (const cell of sweep.cells) {
    const checked = checkJob(JSON.parse(JSON.stringify(jobData(sweep, cell, 't'))));
    assert.deepEqual(checked, { sweep: sweep.name, cell, timeoutSeconds: sweep.timeoutSeconds });
    assert.deepEqual(checkJob(jobData(sweep, cell, 't'), [dir]).cell, cell, 'inside --root');
  }
});

test('anything else is one UsageError line saying why', () => {
  const cell = sweep.cells[0];
  const job = jobData(sweep, cell, 't');
  const cases: [unknown, RegExp, string[]?][] = [
    [null, /^its data is not a mapping$/],
    [{ ...job, sweep: '../x' }, /^sweep must be a sweep name/],
    [{ ...job, root: 'relative/dir' }, /^root must be the sweep's directory as an absolute path; got "relative\/dir"$/],
    [{ ...job, root: `${sweep.out}/../elsewhere` }, /^root must be the sweep's directory as an absolute path/],
    [{ ...job, timeoutSeconds: 0 }, /^timeoutSeconds must be an integer in \[1, 604800\]; got 0$/],
    [{ ...job, cell: { ...cell, command: 'rm' } }, new RegExp(`^cell\\.command must be one of ${SWEEP_COMMANDS.map((c) => c.name).join(', ')}; got "rm"$`)],
    [{ ...job, cell: { ...cell, options: { ...cell.options, out: '/tmp' } } }, /cell\.options\.out: out is set by the sweep for each cell/],
    [{ ...job, cell: { ...cell, options: { ...cell.options, force: true } } }, /cell\.options\.force: force is set by the sweep/],
    [{ ...job, cell: { ...cell, options: { ...cell.options, 'x\ny': 1 } } }, /cell\.options\."x\\ny": unknown option "x\\ny"/],
    [{ ...job, cell: { ...cell, options: { ...cell.options, strategy: 'bogus' } } }, /: --strategy must be one of .*; got "bogus"$/],
    [{ ...job, cell: { ...cell, options: { ...cell.options, dim: 'x'.repeat(10_000) } } }, /…/],
    [{ ...job, cell: { ...cell, id: sweep.cells[1].id } }, /^cell\.id "[0-9a-f]{16}" is not the id of its options \([0-9a-f]{16}\)$/],
    [{ ...job, cell: { ...cell, dir: '/home/someone/thesis' } }, /^cell\.dir "\/home\/someone\/thesis" is not the cell's directory in its sweep/],
    [job, /^its sweep directory .* is not inside --root \/nowhere$/, ['/nowhere']],
  ];
  for (const [data, why, roots] of cases) {
    assert.throws(() => checkJob(data, roots), (e: unknown) => e instanceof UsageError && !e.message.includes('\n') && e.message.length < 700 && why.test(e.message), `${JSON.stringify(data)?.slice(0, 200)} → ${(() => { try { checkJob(data, roots); return 'accepted'; } catch (e) { return (e as Error).message; } })()}`);
  }
});
