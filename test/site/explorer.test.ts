/**
 * The explorer in a real browser: `npm run site`'s build, loaded from file:// in headless Chromium (Debian's, through
 * playwright-core; WebGL and WebGPU through SwiftShader where there is no GPU). Without /usr/bin/chromium every test is skipped
 * with the reason.
 *
 * Monte Carlo band (C6). Each check is |z| < 6 on a mean of N = 4000 trials, z = (mean − theory)/stderr as the page
 * shows it. The law is skewed, so the band is not read off a normal tail: under fixed design every strategy's error at
 * every n is σ²·c_n·Y with Y = Σ_k λ_k⁻¹ξ_k² (λ: eigenvalues of XᵀX, Wishart(T = 30, I₃); ξ ~ N(0, 1)), the same law up
 * to scale. An independent numpy simulation (4·10⁵ draws) gives Y skewness γ ≈ 2.2 and excess kurtosis ≈ 8.5; Y's upper
 * tail is polynomial of order ~(T − d + 1)/2 = 14 (λ_min near 0), so its moments exist far beyond the fourth.
 * By the Cramér-type moderate-deviation expansion for self-normalised sums (Jing, Shao & Wang 2003), at x = 6 the tail
 * is Φ̄(6)·exp(O(γx³/√N)) with γx³/(6√N) = 1.24: at most 9.9e-10 × e^{2·1.24} ≈ 1.2e-8 per tail even with the
 * factor doubled for self-normalisation; the heavy-tail "one big jump" term N·P(Y > (1 + 6·0.9·√N)·EY) = N·P(Y > 340·EY)
 * is below 1e-30. K = 24 checks (3 backends × 2 strategies × 4 iterations), two tails: < 6e-7 in all.
 * Power: the band is ±6·0.9·EY/√4000 ≈ ±8.5% of the theory, so a 10% error in a formula or a kernel fails.
 * The cpu path is further checked against the CLI's own run (same seed, `--backend cpu`) to 1e-12, and WebGL against
 * the cpu path to float32 kernel precision: both draw the same keyed host normals, so any difference is arithmetic.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildSite } from '../../scripts/build-site.js';
import { CHROMIUM_ARGS, chromiumPath } from '../../src/figures/browser.js';
import { selectBackend } from '../../src/kernels/backend.js';
import { categoricalTheory, realDistribution, runCategorical, validateCategoricalConfig } from '../../src/experiments/categorical.js';
import { runGaussian, validateGaussianConfig } from '../../src/experiments/gaussian.js';
import { runLinear, validateLinearConfig } from '../../src/experiments/linear.js';
import { parseStrategy } from '../../src/strategies/index.js';
import { gaussianTheory } from '../../src/theory/gaussian.js';
import { expectedTestError } from '../../src/theory/linear-fixed-design.js';

const ARTIFACTS = join(import.meta.dirname, '../../artifacts/site');
const Z_BAND = 6;

let browser: Browser | undefined;
let skipReason: string | undefined;
let out = '';
let sources = '';
/** One page for the whole file (a load parses ~6 MB of script: seconds on a busy machine); tests set its state. */
let shared: Page | undefined;
const pageErrors: string[] = [];

before(async () => {
  out = mkdtempSync(join(tmpdir(), 'collapse-site-'));
  // a gallery and an API reference as `npm run figures` and `npm run docs` would leave them, to be carried along
  sources = mkdtempSync(join(tmpdir(), 'collapse-site-sources-'));
  for (const dir of ['figures', 'api']) {
    mkdirSync(join(sources, dir));
    writeFileSync(join(sources, dir, 'index.html'), `<!doctype html><title>${dir}</title>`);
  }
  await buildSite(out, { figures: join(sources, 'figures'), api: join(sources, 'api') });
  const path = chromiumPath();
  if (!existsSync(path)) {
    skipReason = `${path} not found (Debian: apt-get install -y chromium)`;
    return;
  }
  const { chromium } = await import('playwright-core');
  // WebGL and WebGPU without a GPU: ANGLE and Dawn on SwiftShader (Chromium refuses software fallbacks unless told)
  const args = [
    ...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'),
    '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader',
  ];
  browser = await chromium.launch({ executablePath: path, args, timeout: 60_000 });
  shared = await load('');
});

after(async () => {
  await browser?.close();
  for (const dir of [out, sources]) if (dir) rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
});

async function load(fragment: string): Promise<Page> {
  const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(`${pathToFileURL(join(out, 'index.html')).href}${fragment ? `#${fragment}` : ''}`);
  await page.waitForSelector('#theory-table tr');
  return page;
}

/** The shared page showing `fragment` (a state as a shared link holds it), or null after skipping the test with the reason. */
async function open(t: TestContext, fragment?: string): Promise<Page | null> {
  if (!shared) {
    t.skip(skipReason ?? 'the browser did not start');
    return null;
  }
  if (fragment !== undefined) await shared.evaluate((f) => (location.hash = f), fragment);
  return shared;
}

/** Set the strategy list through the controls: remove every chosen one, then add each (with its parameter). */
async function setStrategies(page: Page, strategies: string[]): Promise<void> {
  while ((await page.locator('#strategy-list button').count()) > 0) await page.locator('#strategy-list button').first().click();
  await addStrategies(page, strategies);
}

/** Add strategies through the picker, the parameter typed into its field. */
async function addStrategies(page: Page, strategies: string[]): Promise<void> {
  const forms = await page.locator('#strategy-form option').allTextContents();
  for (const s of strategies) {
    const colon = s.indexOf(':');
    const form = colon < 0 ? s : forms.find((f) => f.startsWith(`${s.slice(0, colon)}:`));
    assert.ok(form && forms.includes(form), `no form for ${s} among ${forms.join(', ')}`);
    await page.selectOption('#strategy-form', form);
    if (colon >= 0) await page.fill('#strategy-parameter', s.slice(colon + 1));
    await page.click('#add-strategy');
  }
}

async function theoryShown(page: Page, strategy: string): Promise<number[]> {
  const cells = page.locator(`#theory-table td[data-kind="theory"][data-strategy="${strategy}"]`);
  return (await cells.allTextContents()).map(Number);
}

function assertClose(got: number[], expected: number[], rel: number, what: string): void {
  assert.equal(got.length, expected.length, `${what}: ${got.length} values shown, ${expected.length} expected`);
  got.forEach((g, i) => assert.ok(Math.abs(g - expected[i]) <= rel * Math.abs(expected[i]), `${what} n=${i + 1}: shown ${g}, library ${expected[i]}, Δ ${g - expected[i]}`));
}

test('the theory shown equals the library\'s (1e-9) as the controls move: linear and Gaussian', async (t) => {
  const page = await open(t, 'family=linear&s=replace&s=accumulate');
  if (!page) return;
  const strategies = ['replace', 'accumulate', 'window:3', 'weights:2^(i-n)'];
  await addStrategies(page, ['window:3', 'weights:2^(i-n)']);
  for (const [field, value] of [['dim', '4'], ['samples', '20'], ['noise', '2.5'], ['iterations', '6']]) await page.fill(`#${field}`, value);
  for (const s of strategies) {
    assertClose(await theoryShown(page, s), expectedTestError(parseStrategy(s), { sigma2: 2.5, dim: 4, samples: 20 }, 6), 1e-9, `linear ${s}`);
  }
  await page.selectOption('#family', 'gaussian');
  await page.fill('#dim', '2');
  await page.fill('#samples', '10');
  await page.selectOption('#estimator', 'unbiased');
  for (const s of strategies) {
    const expected = gaussianTheory(parseStrategy(s), { dim: 2, samples: 10, estimator: 'unbiased' }, 6).traceRatio as number[];
    assertClose(await theoryShown(page, s), expected, 1e-9, `gaussian ${s}`);
  }
  // every form control has a label
  assert.equal(await page.evaluate(() => Array.from(document.querySelectorAll('input, select')).filter((e) => (e as HTMLInputElement).labels?.length === 0).map((e) => e.id).join(',')), '');
});

const MC = 'family=linear&d=3&T=30&sigma2=1&n=4&trials=4000&seed=7&method=full&s=replace&s=accumulate';

interface Shown {
  mean: number;
  stderr: number;
  z: number;
}

async function runInPage(page: Page, backend: string): Promise<{ backend: string; rows: Map<string, Shown[]> }> {
  await page.selectOption('#backend', backend);
  await page.click('#run');
  await page.waitForFunction(() => ['done', 'failed', 'stopped'].includes(document.getElementById('status')?.dataset.state ?? ''), null, { timeout: 60_000 });
  assert.equal(await page.locator('#status').getAttribute('data-state'), 'done', `${await page.locator('#status').textContent()}: ${await page.locator('#message').textContent()}`);
  const rows = new Map<string, Shown[]>();
  for (const s of ['replace', 'accumulate']) {
    const means = await page.locator(`td[data-kind="mean"][data-strategy="${s}"]`).evaluateAll((cells) => cells.map((c) => [Number(c.getAttribute('data-mean')), Number(c.getAttribute('data-stderr'))]));
    const z = (await page.locator(`td[data-kind="z"][data-strategy="${s}"]`).allTextContents()).map(Number);
    rows.set(s, means.map(([mean, stderr], i) => ({ mean, stderr, z: z[i] })));
  }
  return { backend: (await page.locator('#backend-used').getAttribute('data-backend')) ?? '', rows };
}

function assertBand(rows: Map<string, Shown[]>, what: string): void {
  for (const [s, shown] of rows) {
    const theory = expectedTestError(parseStrategy(s), { sigma2: 1, dim: 3, samples: 30 }, 4);
    assert.equal(shown.length, 4, `${what} ${s}: Monte Carlo rows`);
    shown.forEach((r, i) => {
      const z = (r.mean - theory[i]) / r.stderr;
      assert.ok(Math.abs(z - r.z) < 0.006, `${what} ${s} n=${i + 1}: z shown ${r.z}, from mean and stderr ${z}`);
      assert.ok(Math.abs(z) < Z_BAND, `${what} ${s} n=${i + 1}: mean ${r.mean} theory ${theory[i]} z ${z}`);
    });
  }
}

let cpuRows: Map<string, Shown[]> | undefined;

test('Monte Carlo on the cpu path: within the band of the theory, and equal to the CLI\'s run (--backend cpu, same seed)', async (t) => {
  const page = await open(t, MC);
  if (!page) return;
  const { backend, rows } = await runInPage(page, 'cpu');
  assert.equal(backend, 'cpu');
  assertBand(rows, 'cpu');
  cpuRows = rows;
  const cli = await selectBackend('cpu');
  try {
    for (const s of ['replace', 'accumulate']) {
      const config = validateLinearConfig({ strategy: s, dim: 3, samples: 30, noise: 1, iterations: 4, trials: 4000, seed: 7, method: 'full', backend: 'cpu' });
      const report = await runLinear(config, { backend: cli });
      assertClose(rows.get(s)!.map((r) => r.mean), report.iterations.map((r) => r.mean), 1e-12, `page vs CLI ${s} mean`);
      assertClose(rows.get(s)!.map((r) => r.stderr), report.iterations.map((r) => r.stderr), 1e-12, `page vs CLI ${s} stderr`);
    }
  } finally {
    await cli.destroy();
  }
  // the progress bar ran to the end; the downloads carry what the page shows
  assert.equal(await page.locator('#progress').evaluate((p) => (p as HTMLProgressElement).value), 1);
  const [csvFile] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
  const csv = readFileSync(await csvFile.path(), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'strategy,iteration,theory,mean,stderr,ci95_low,ci95_high,z');
  assert.equal(Number(csv[1].split(',')[3]), rows.get('replace')![0].mean);
  const [jsonFile] = await Promise.all([page.waitForEvent('download'), page.click('#download-json')]);
  const json = JSON.parse(readFileSync(await jsonFile.path(), 'utf8'));
  assert.equal(json.series[1].monteCarlo.rows[3].mean, rows.get('accumulate')![3].mean);
  assert.match(json.series[1].command, /--strategy accumulate .*--backend cpu --json$/);
  // the commands printed reproduce the run
  assert.match((await page.locator('#commands').textContent()) ?? '', /^npx collapse linear --strategy replace --dim 3 --samples 30 --noise 1 --iterations 4 --trials 4000 --seed 7 --method full --backend cpu --json$/m);
});

test('Monte Carlo on WebGL (SwiftShader without a GPU): within the band, and the cpu path\'s numbers to float32 precision', async (t) => {
  const page = await open(t, MC);
  if (!page) return;
  const available = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    return canvas.getContext('webgl2') ? 'webgl2' : canvas.getContext('webgl') ? 'webgl' : null;
  });
  if (!available) {
    t.skip('no WebGL context in this Chromium (SwiftShader missing?)');
    return;
  }
  const { backend, rows } = await runInPage(page, available);
  assert.equal(backend, available);
  assertBand(rows, available);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'explorer.png'), fullPage: true });
  if (!cpuRows) return; // the cpu test failed or was skipped: its own report says why
  for (const s of ['replace', 'accumulate']) {
    // float32 kernels on the GPU against float32 kernels evaluated in JS: labels and Xᵀy differ in the last bits
    assertClose(rows.get(s)!.map((r) => r.mean), cpuRows.get(s)!.map((r) => r.mean), 1e-4, `${available} vs cpu ${s} mean`);
  }
});

test('Monte Carlo on WebGPU (SwiftShader\'s adapter without a GPU): in-kernel random streams, within the band', async (t) => {
  const page = await open(t, MC);
  if (!page) return;
  const adapter = await page.evaluate(async () => Boolean(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
  if (!adapter) {
    t.skip('no WebGPU adapter in this Chromium');
    return;
  }
  const { backend, rows } = await runInPage(page, 'webgpu');
  assert.equal(backend, 'webgpu');
  assertBand(rows, 'webgpu');
  // other draws than the host streams of cpu and WebGL (seeded PCG in the kernels): an independent sample
  assert.notEqual(rows.get('replace')![0].mean, cpuRows?.get('replace')![0].mean);
});

test('a Gaussian Monte Carlo in the page equals the CLI\'s runGaussian', async (t) => {
  const page = await open(t, 'family=gaussian&d=2&T=8&n=3&trials=60&seed=3&estimator=mle&s=accumulate');
  if (!page) return;
  await page.click('#run');
  await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'done', null, { timeout: 30_000 });
  assert.equal(await page.locator('#backend-used').getAttribute('data-backend'), 'host');
  const means = await page.locator('td[data-kind="mean"][data-strategy="accumulate"]').evaluateAll((cells) => cells.map((c) => Number(c.getAttribute('data-mean'))));
  const report = await runGaussian(validateGaussianConfig({ model: 'gaussian', strategy: 'accumulate', dim: 2, samples: 8, iterations: 3, trials: 60, seed: 3, estimator: 'mle' }));
  assertClose(means, report.iterations.map((r) => r.mean), 1e-12, 'gaussian page vs CLI');
});

test('the categorical page: the collision-probability theory is the library\'s, a Monte Carlo equals runCategorical', async (t) => {
  const page = await open(t, 'family=gaussian&n=3&trials=200&seed=5&s=replace&s=accumulate');
  if (!page) return;
  await page.selectOption('#family', 'categorical');
  assert.ok(await page.locator('#dim').isHidden(), 'd is not a categorical control');
  await page.fill('#categories', '1'); // validateCategoricalConfig's own message, inline; nothing can run
  assert.match((await page.locator('#message').textContent()) ?? '', /--categories/);
  assert.ok(await page.locator('#run').isDisabled(), 'run is disabled for K = 1');
  for (const [field, value] of [['categories', '40'], ['zipf', '1.1'], ['samples', '15']]) await page.fill(`#${field}`, value);
  const configs = ['replace', 'accumulate'].map((strategy) => validateCategoricalConfig({ strategy, categories: 40, zipf: 1.1, samples: 15, iterations: 3, trials: 200, seed: 5 }));
  for (const config of configs) {
    assertClose(await theoryShown(page, config.strategy), categoricalTheory(config, realDistribution(config)).collision as number[], 1e-9, `categorical ${config.strategy}`);
  }
  await page.click('#run');
  await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'done', null, { timeout: 30_000 });
  assert.equal(await page.locator('#backend-used').getAttribute('data-backend'), 'host');
  for (const config of configs) {
    const shown = await page.locator(`td[data-kind="mean"][data-strategy="${config.strategy}"]`).evaluateAll((cells) => cells.map((c) => [Number(c.getAttribute('data-mean')), Number(c.getAttribute('data-stderr'))]));
    const report = await runCategorical(config);
    assertClose(shown.map(([mean]) => mean), report.iterations.map((r) => r.mean), 1e-12, `categorical ${config.strategy} page vs CLI mean`);
    assertClose(shown.map(([, stderr]) => stderr), report.iterations.map((r) => r.stderr), 1e-12, `categorical ${config.strategy} page vs CLI stderr`);
  }
  assert.match((await page.locator('#commands').textContent()) ?? '', /^npx collapse categorical --strategy accumulate --categories 40 --zipf 1.1 --samples 15 --iterations 3 --trials 200 --seed 5 --json$/m);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'explorer-categorical.png'), fullPage: true });
});

test('a shared URL restores every control and the same values', async (t) => {
  const page = await open(t, 'family=linear&s=accumulate&s=augment:1');
  if (!page) return;
  await addStrategies(page, ['weights:max(0, i - n + 3)']);
  for (const [field, value] of [['dim', '5'], ['samples', '40'], ['noise', '0.5'], ['iterations', '7'], ['trials', '321'], ['seed', '9']]) await page.fill(`#${field}`, value);
  await page.selectOption('#method', 'reduced');
  const url = page.url();
  const table = await page.locator('#theory-table').innerText();
  const second = await load(url.slice(url.indexOf('#') + 1)); // a fresh load, as a shared link opens
  t.after(() => second.close());
  for (const [field, value] of [['dim', '5'], ['samples', '40'], ['noise', '0.5'], ['iterations', '7'], ['trials', '321'], ['seed', '9'], ['method', 'reduced'], ['family', 'linear']]) {
    assert.equal(await second.locator(`#${field}`).inputValue(), value, field);
  }
  assert.deepEqual(await second.locator('#strategy-list li span').allTextContents(), ['accumulate', 'augment:1', 'weights:max(0, i - n + 3)']);
  assert.equal(await second.locator('#theory-table').innerText(), table);
});

test('bad input shows an inline message and runs nothing: T < d + 2, a weights: expression that does not parse', async (t) => {
  const page = await open(t, 'd=10&T=100&n=3&trials=100&backend=auto&s=accumulate');
  if (!page) return;
  const cases: [() => Promise<void>, RegExp][] = [
    [() => page.fill('#samples', '11'), /--samples must be ≥ dim \+ 2 \(= 12\).*got 11/],
    [async () => {
      await page.fill('#samples', '100');
      await setStrategies(page, ['weights:(i +']);
    }, /weights:<expr> needs an expression in n and i that mathjs can parse/],
  ];
  for (const [act, message] of cases) {
    await act();
    const shown = page.locator('#message');
    assert.ok(await shown.isVisible(), 'the message is on the page');
    assert.match((await shown.textContent()) ?? '', message);
    assert.ok(await page.locator('#run').isDisabled(), 'run is disabled');
    await page.evaluate(() => document.getElementById('run')?.click()); // even a scripted click runs nothing
    await page.keyboard.press('Enter');
    await page.waitForTimeout(300);
    assert.equal(await page.locator('#status').getAttribute('data-state'), 'idle');
    assert.equal(await page.locator('td[data-kind="mean"]').count(), 0, 'no Monte Carlo rows');
    assert.equal(await page.locator('#theory-table tr').count(), 0, 'no theory shown for bad input');
  }
  // fixed input clears the message; the run starts from the keyboard and stops on request
  await setStrategies(page, ['accumulate']);
  await page.selectOption('#method', 'reduced');
  await page.fill('#trials', '10000000');
  assert.ok(await page.locator('#message').isHidden());
  await page.focus('#run');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => Number((document.getElementById('progress') as HTMLProgressElement).value) > 0, null, { timeout: 20_000 });
  await page.focus('#stop');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.getElementById('status')?.dataset.state === 'stopped', null, { timeout: 20_000 });
  // auto takes a GPU and passes software renderers by (SwiftShader here), saying why
  const reason = (await page.locator('#backend-used').textContent()) ?? '';
  assert.match(reason, /auto: /);
  if ((await page.locator('#backend-used').getAttribute('data-backend')) === 'cpu') assert.match(reason, /software|no WebGPU|no WebGL/);
});

test('the docs site: README, docs/ and proofs/ rendered, .md links pointing at the rendered pages, gallery and API carried along', async () => {
  const readme = readFileSync(join(out, 'readme.html'), 'utf8');
  assert.match(readme, /<h1[^>]*>collapse-lab<\/h1>/);
  const pages = ['index.html', 'readme.html', ...['docs', 'proofs'].flatMap((dir) => (existsSync(join(out, dir)) ? readdirSync(join(out, dir)).map((f) => `${dir}/${f}`) : []))];
  assert.ok(pages.some((p) => p.startsWith('proofs/')), 'proofs rendered');
  for (const [dir, label] of [['figures', 'Figures'], ['api', 'API']]) {
    assert.equal(readFileSync(join(out, dir, 'index.html'), 'utf8'), `<!doctype html><title>${dir}</title>`, `${dir} copied`);
    assert.ok(readme.includes(`<a href="${dir}/index.html">${label}</a>`), `the nav links ${dir}`);
  }
  await assert.rejects(buildSite(join(out, 'never'), { figures: join(sources, 'api', 'missing') }), /--figures .*no index.html there/);
  assert.ok(!existsSync(join(out, 'never')), 'a bad --figures writes nothing');
  for (const page of pages.filter((p) => p.endsWith('.html'))) {
    const html = readFileSync(join(out, page), 'utf8');
    for (const [, href] of html.matchAll(/href="([^"#]+)(#[^"]*)?"/g)) {
      if (/^[a-z]+:/i.test(href)) continue;
      const target = join(out, dirname(page), href);
      // a link to a markdown file that the site renders must have become its .html
      assert.ok(!(href.endsWith('.md') && existsSync(target.replace(/\.md$/, '.html'))), `${page}: ${href} not rewritten`);
      if (href.endsWith('.html') || href.endsWith('.css') || href.endsWith('.js')) assert.ok(existsSync(target), `${page}: ${href} does not resolve`);
    }
  }
});
