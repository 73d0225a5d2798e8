/** A sweep of `collapse loop` cells (an external family): run locally, resumed cells skipped, collected one row per strategy and generation. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { collapseSync } from '../cli/helpers.js';
import { FAMILY } from '../models/external/inline-family.js';

const work = mkdtempSync(join(tmpdir(), 'collapse-sweep-loop-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('sweep run and collect over collapse loop cells', () => {
  const spec = join(work, 'inline.json');
  writeFileSync(spec, JSON.stringify({ name: 'inline', ...FAMILY }));
  const sweep = join(work, 'sweep.yaml');
  writeFileSync(sweep, `command: loop\nout: ${join(work, 'out')}\nbase: { spec: ${spec}, iterations: 2, samples: 4, test-samples: 2, seeds: 1 }\ngrid: { strategy: [replace, accumulate] }\n`);
  const run = collapseSync(['sweep', 'run', sweep]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout + run.stderr, /2 cells: 2 run, 0 already complete, 0 failed/);
  const again = collapseSync(['sweep', 'run', sweep]);
  assert.match(again.stdout + again.stderr, /2 cells: 0 run, 2 already complete, 0 failed/);
  const collected = collapseSync(['sweep', 'collect', sweep, '--format', 'json']);
  assert.equal(collected.code, 0, collected.stderr);
  const table = JSON.parse(collected.stdout) as { rows: Record<string, unknown>[] };
  const means = table.rows.map((r) => [r.part, r.iteration, r['metrics.mean.mean']]);
  // the family's only metric is its primary one, so each row's mean (what the sweep-table figure plots) is it too
  assert.deepEqual(table.rows.map((r) => r.mean), means.map((m) => m[2]));
  // the inline family: model 1 = 1.5 (the real items 0…3); replace then 2.5; accumulate (1.5 + 2.5)/2 = 2
  assert.deepEqual(means, [['replace', 1, 1.5], ['replace', 2, 2.5], ['accumulate', 1, 1.5], ['accumulate', 2, 2]]);
});
