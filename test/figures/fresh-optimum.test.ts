/**
 * The fresh-optimum figure's builder on synthetic Monte Carlo points and the exact grid: the limit line's minimum
 * sits at 1/φ within one grid step, the lines are the exact recursion, the traces and the CSV carry every value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildFresh, freshCaption, freshCsv, freshGrid, freshOptimum, QUICK_FRESH, type FreshOptimumData } from '../../src/figures/fresh-optimum.js';
import { FIGURES } from '../../src/figures/index.js';
import { LINE_STYLES, POINT_STYLE } from '../../src/figures/palette.js';

const PHI_INVERSE = (Math.sqrt(5) - 1) / 2;

function data(grid = 200): FreshOptimumData {
  const settings = { ...QUICK_FRESH, grid, shares: [0.3, 0.618, 1], trials: 100 };
  const e1 = 0.5;
  const point = (share: number, ratio: number) => ({
    share, command: `npx collapse linear --strategy fresh:${share}`, backend: 'cpu', trials: 100,
    row: { iteration: 20, mean: ratio * e1, stderr: 0.01, ci95: [(ratio - 0.02) * e1, (ratio + 0.03) * e1] as [number, number], theory: ratio * e1, z: 0, zConditional: 0 },
  });
  return { settings, firstError: e1, grid: freshGrid(grid, settings.horizons), optimum: freshOptimum(), points: [point(0.3, 1.14), point(0.618, 0.62), point(1, 1)] };
}

test('the limit line: its minimum over the grid is within one grid step of 1/φ, and its value there is 1/φ to O(step²)', () => {
  for (const grid of [50, 200, 997]) {
    const points = freshGrid(grid, [2]);
    const best = points.reduce((a, b) => (b.limit < a.limit ? b : a));
    assert.ok(Math.abs(best.p - PHI_INVERSE) <= 1 / grid, `grid ${grid}: minimum at ${best.p}`);
    assert.ok(best.limit >= PHI_INVERSE - 1e-15 && best.limit - PHI_INVERSE < 2 / grid ** 2, `grid ${grid}: ${best.limit}`);
  }
  const optimum = freshOptimum();
  assert.ok(Math.abs(optimum.p - PHI_INVERSE) < 1e-15 && Math.abs(optimum.limit - PHI_INVERSE) < 1e-15);
});

test('the exact lines: S₁ = 1 recursion values at p = 1/2 (1, 3/4, …, 11/16 at n = 3), L(1/2) = 2/3, L(1) = S_n(1) = 1', () => {
  const grid = freshGrid(4, [2, 3, 20]);
  assert.deepEqual(grid.map((g) => g.p), [0.25, 0.5, 0.75, 1]);
  assert.deepEqual(grid[1].factors.slice(0, 2), [3 / 4, 11 / 16]);
  assert.equal(grid[1].limit, 2 / 3);
  assert.deepEqual(grid[3].factors, [1, 1, 1]);
  assert.equal(grid[3].limit, 1);
  // p = 1/4: L = (1/8 − 1/2 + 1)/(1/4 · 7/4) = 10/7, and S_n rises towards it from S₁ = 1
  assert.ok(Math.abs(grid[0].limit - 10 / 7) < 1e-15);
  assert.ok(grid[0].factors[0] < grid[0].factors[1] && grid[0].factors[1] < grid[0].factors[2] && grid[0].factors[2] < 10 / 7);
});

test('the traces: three dashed Sₙ lines and the dashed limit over the grid, the optimum star at (1/φ, 1/φ), Monte Carlo ÷ E₁ with asymmetric 95% bars', () => {
  const d = data();
  const { data: traces, layout } = buildFresh(d);
  const exact = traces.filter((t) => t.mode === 'lines' && Array.isArray(t.x) && (t.x as unknown[]).length === d.settings.grid);
  assert.equal(exact.length, 4);
  assert.ok(exact.every((t) => (t.line as { dash: string }).dash === LINE_STYLES.theory.dash));
  assert.deepEqual(exact.map((t) => String(t.name).match(/n = (\d+)|n → ∞/)?.[0]), ['n = 2', 'n = 5', 'n = 20', 'n → ∞']);
  assert.deepEqual(exact[3].y, d.grid.map((g) => g.limit));
  const star = traces.find((t) => (t.marker as { symbol?: string } | undefined)?.symbol === 'star');
  assert.ok(star);
  assert.deepEqual([star.x, star.y], [[d.optimum.p], [d.optimum.limit]]);
  assert.match(String(star.name), /1\/φ ≈ 0\.6180/);
  const mc = traces.find((t) => /^Monte Carlo, n = 20$/.test(String(t.name)));
  assert.ok(mc);
  assert.equal((mc.marker as { symbol: string }).symbol, POINT_STYLE.symbol);
  assert.deepEqual(mc.x, [0.3, 0.618, 1]);
  (mc.y as number[]).forEach((y, i) => assert.ok(Math.abs(y - [1.14, 0.62, 1][i]) < 1e-12));
  const bars = mc.error_y as { array: number[]; arrayminus: number[] };
  bars.array.forEach((v) => assert.ok(Math.abs(v - 0.03) < 1e-12));
  bars.arrayminus.forEach((v) => assert.ok(Math.abs(v - 0.02) < 1e-12));
  assert.match(JSON.stringify(layout.annotations), /p\* = 1\/φ ≈ 0\.618/);
  // the y range keeps the optimum and every Monte Carlo bar in view
  const [lo, hi] = (layout.yaxis as { range: number[] }).range;
  assert.ok(lo < d.optimum.limit && hi > 1.17);
});

test('the CSV: one row per exact value (n and the limit per p), the optimum, and each Monte Carlo point ÷ E₁ with its interval and theory', () => {
  const d = data(10);
  const lines = freshCsv(d).trim().split('\n');
  assert.equal(lines[0], 'kind,p,n,ratio,ratio_low,ratio_high,theory_ratio,trials');
  assert.equal(lines.length, 1 + 10 * 4 + 1 + 3);
  assert.ok(lines.includes('exact,0.5,limit,0.6666666666666666,,,,'));
  assert.ok(lines.includes('exact,1,20,1,,,,'));
  assert.ok(lines.some((l) => /^optimum,0\.618033988749894\d*,limit,0\.618033988749894/.test(l)));
  const mc = lines.filter((l) => l.startsWith('monte-carlo,')).map((l) => l.split(',').map(Number));
  assert.deepEqual(mc.map((r) => r[1]), [0.3, 0.618, 1]);
  mc.forEach((r, i) => {
    const ratio = [1.14, 0.62, 1][i];
    assert.ok(Math.abs(r[3] - ratio) < 1e-12 && Math.abs(r[4] - (ratio - 0.02)) < 1e-12 && Math.abs(r[5] - (ratio + 0.03)) < 1e-12 && Math.abs(r[6] - ratio) < 1e-12);
    assert.equal(r[7], 100);
  });
});

test('the caption names what is exact (L1, L4) and that the points are Monte Carlo with 95% intervals; the figure is in the gallery', () => {
  const caption = freshCaption(data(), true);
  assert.match(caption, /exact \(proofs\/strategy-limits\.md L1/);
  assert.match(caption, /1\/φ ≈ 0\.6180.*\(L4\)/);
  assert.match(caption, /Monte Carlo means at n = 20 with 95% intervals/);
  assert.match(caption, /--quick: 100 trials per point instead of 20,000/);
  const figure = FIGURES.find((f) => f.id === 'fresh-optimum');
  assert.ok(figure && figure.measures?.anyRiskIncrease);
});
