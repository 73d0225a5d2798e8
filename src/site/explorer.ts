/// <reference lib="dom" />
/**
 * The explorer page (site/index.html): controls → state (in the URL fragment) → exact theory on every change →
 * "Run Monte Carlo" on gpu.js in the page → Plotly chart, table and downloads. Everything it computes comes from
 * model.ts and monte-carlo.ts, which call the library the CLI runs.
 */
import { STRATEGY_FORMS } from '../strategies/index.js';
import { BROWSER_BACKENDS, selectBrowserBackend } from './browser-backend.js';
import { command, compute, decodeState, encodeState, FAMILIES, toCsv, toJson, type Computed, type ExplorerState, type McResult } from './model.js';
import { runSeries } from './monte-carlo.js';
import { drawChart } from './chart.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`explorer: #${id} is missing from the page`);
  return element as T;
};

const NUMBER_FIELDS = ['dim', 'samples', 'categories', 'zipf', 'noise', 'iterations', 'trials', 'seed'] as const;
const SELECT_FIELDS = ['family', 'method', 'estimator', 'backend'] as const;

let state: ExplorerState = decodeState(location.hash);
let computed: Computed | null = null;
let results: McResult[] = [];
let running: AbortController | null = null;

function fillOptions(select: HTMLSelectElement, values: readonly string[]): void {
  select.replaceChildren(...values.map((v) => new Option(v, v)));
}

/** Controls ← state (on load and when the fragment changes). */
function showState(): void {
  for (const field of NUMBER_FIELDS) $<HTMLInputElement>(field).value = state[field];
  for (const field of SELECT_FIELDS) $<HTMLSelectElement>(field).value = state[field];
  renderStrategyList();
}

function renderStrategyList(): void {
  const list = $<HTMLUListElement>('strategy-list');
  list.replaceChildren(
    ...state.strategies.map((name) => {
      const item = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = name;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = '×';
      remove.dataset.remove = name;
      remove.setAttribute('aria-label', `Remove ${name}`);
      remove.addEventListener('click', () => {
        state.strategies = state.strategies.filter((s) => s !== name);
        changed();
      });
      item.append(label, remove);
      return item;
    }),
  );
}

/** State ← controls, then recompute. */
function readControls(): void {
  for (const field of NUMBER_FIELDS) state[field] = $<HTMLInputElement>(field).value.trim();
  for (const field of SELECT_FIELDS) (state as unknown as Record<string, string>)[field] = $<HTMLSelectElement>(field).value;
}

function changed(): void {
  results = []; // a Monte Carlo belongs to the state it ran with
  if (!running) setStatus('', 'idle');
  history.replaceState(null, '', `#${encodeState(state)}`);
  renderStrategyList();
  update();
}

function showMessage(text: string): void {
  const message = $('message');
  message.textContent = text;
  message.hidden = text === '';
}

/** Recompute the theory and redraw; a bad control shows its one-line message and disables the run. */
function update(): void {
  const linear = state.family === 'linear';
  const categorical = state.family === 'categorical';
  $('dim-row').hidden = categorical;
  $('categories-row').hidden = !categorical;
  $('zipf-row').hidden = !categorical;
  $('samples-label').textContent = categorical ? 'm (items per data set)' : 'T (samples per generation)';
  $('noise-row').hidden = !linear;
  $('method-row').hidden = !linear;
  $('estimator-row').hidden = state.family !== 'gaussian';
  $('backend-row').hidden = !linear;
  try {
    computed = compute(state);
    showMessage('');
  } catch (error) {
    computed = null;
    showMessage(error instanceof Error ? error.message : String(error));
  }
  $<HTMLButtonElement>('run').disabled = computed === null || running !== null;
  for (const id of ['download-csv', 'download-json']) $<HTMLButtonElement>(id).disabled = computed === null;
  render();
}

let chartPending = 0;

/** The table and commands at once; the chart once a burst of changes settles (typing "100" draws once, not thrice). */
function render(): void {
  clearTimeout(chartPending);
  chartPending = window.setTimeout(() => drawChart($('plot'), computed, results, state.family), 80);
  renderTable();
  $('commands').textContent = computed ? computed.series.map((s) => command(s.spec, results.find((r) => r.strategy === s.strategy)?.backend)).join('\n') : '';
}

/** Theory (and Monte Carlo) values in full: the numbers the chart draws, to 12 significant digits. */
function renderTable(): void {
  const table = $<HTMLTableElement>('theory-table');
  if (!computed) {
    table.replaceChildren();
    return;
  }
  const head = document.createElement('tr');
  const cellOf = (tag: 'th' | 'td', text: string, attributes: Record<string, string> = {}) => {
    const cell = document.createElement(tag);
    cell.textContent = text;
    for (const [k, v] of Object.entries(attributes)) cell.setAttribute(k, v);
    return cell;
  };
  head.append(cellOf('th', 'n', { scope: 'col' }));
  for (const s of computed.series) {
    head.append(cellOf('th', `${s.strategy} theory`, { scope: 'col' }));
    if (results.some((r) => r.strategy === s.strategy)) head.append(cellOf('th', `${s.strategy} Monte Carlo`, { scope: 'col' }), cellOf('th', 'z', { scope: 'col' }));
  }
  const rows = [head];
  const n = Number(computed.series[0].spec.config.iterations);
  for (let i = 0; i < n; i++) {
    const row = document.createElement('tr');
    row.append(cellOf('th', String(i + 1), { scope: 'row' }));
    for (const s of computed.series) {
      const t = s.theory?.[i];
      row.append(cellOf('td', t === undefined ? '—' : t.toPrecision(12), { 'data-strategy': s.strategy, 'data-n': String(i + 1), 'data-kind': 'theory' }));
      const mc = results.find((r) => r.strategy === s.strategy)?.rows[i];
      if (mc) {
        row.append(
          cellOf('td', `${mc.mean.toPrecision(6)} ± ${(1.959963984540054 * mc.stderr).toPrecision(2)}`, { 'data-strategy': s.strategy, 'data-n': String(i + 1), 'data-kind': 'mean', 'data-mean': String(mc.mean), 'data-stderr': String(mc.stderr) }),
          cellOf('td', mc.z === null ? '—' : mc.z.toFixed(2), { 'data-strategy': s.strategy, 'data-n': String(i + 1), 'data-kind': 'z' }),
        );
      }
    }
    rows.push(row);
  }
  table.replaceChildren(...rows);
  const notes = computed.series.filter((s) => s.noTheory).map((s) => `${s.strategy}: ${s.noTheory}`);
  $('notes').textContent = notes.join(' · ');
}

function setStatus(text: string, phase: 'idle' | 'running' | 'done' | 'stopped' | 'failed'): void {
  const status = $('status');
  status.textContent = text;
  status.dataset.state = phase;
}

async function run(): Promise<void> {
  readControls();
  update();
  if (!computed || running) return; // bad input: the message says why; nothing runs
  const plan = computed;
  running = new AbortController();
  const progress = $<HTMLProgressElement>('progress');
  $<HTMLButtonElement>('run').disabled = true;
  $<HTMLButtonElement>('stop').disabled = false;
  progress.value = 0;
  results = [];
  setStatus('starting…', 'running');
  try {
    // the Gaussian and categorical families run their generation loop on the host (as the CLI does): no gpu.js backend
    const backend = plan.series.some((s) => s.spec.family === 'linear') ? await selectBrowserBackend(state.backend as (typeof BROWSER_BACKENDS)[number] | 'auto') : null;
    const where = backend?.name ?? 'host';
    $('backend-used').textContent = backend ? `${backend.name} (${backend.reason})` : 'host (float64 generation loop on typed arrays; no gpu.js kernels)';
    $('backend-used').dataset.backend = where;
    try {
      const started = performance.now();
      await runSeries(plan, backend, (f) => {
        progress.value = f;
        setStatus(`running on ${where}: ${(100 * f).toFixed(0)}%`, 'running');
      }, running.signal, (result) => {
        results.push(result);
        render();
      });
      setStatus(`done on ${where}: ${plan.series.length} series in ${((performance.now() - started) / 1000).toFixed(1)} s`, 'done');
    } finally {
      await backend?.destroy();
    }
  } catch (error) {
    if (running.signal.aborted) setStatus(`stopped; ${results.length} of ${plan.series.length} series finished`, 'stopped');
    else {
      setStatus('failed', 'failed');
      showMessage(error instanceof Error ? error.message.split('\n')[0] : String(error));
    }
  } finally {
    running = null;
    $<HTMLButtonElement>('stop').disabled = true;
    $<HTMLButtonElement>('run').disabled = computed === null;
    render();
  }
}

function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function addStrategy(): void {
  const form = $<HTMLSelectElement>('strategy-form').value;
  const parameter = $<HTMLInputElement>('strategy-parameter').value.trim();
  const colon = form.indexOf(':');
  const name = colon < 0 ? form : `${form.slice(0, colon)}:${parameter}`;
  if (!state.strategies.includes(name)) state.strategies.push(name);
  $<HTMLInputElement>('strategy-parameter').value = '';
  changed();
}

function syncParameter(): void {
  const form = $<HTMLSelectElement>('strategy-form').value;
  const input = $<HTMLInputElement>('strategy-parameter');
  const takes = form.includes(':');
  input.disabled = !takes;
  input.placeholder = takes ? form.slice(form.indexOf(':') + 1) : 'no parameter';
}

function init(): void {
  fillOptions($('family'), FAMILIES);
  fillOptions($('backend'), ['auto', ...BROWSER_BACKENDS]);
  fillOptions($('strategy-form'), STRATEGY_FORMS);
  showState();
  syncParameter();
  for (const field of [...NUMBER_FIELDS, ...SELECT_FIELDS]) {
    $(field).addEventListener(field === 'family' || SELECT_FIELDS.includes(field as never) ? 'change' : 'input', () => {
      readControls();
      changed();
    });
  }
  $('strategy-form').addEventListener('change', syncParameter);
  $('add-strategy').addEventListener('click', addStrategy);
  $('strategy-parameter').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      addStrategy();
    }
  });
  $('run').addEventListener('click', () => void run());
  $('stop').addEventListener('click', () => running?.abort(new Error('stopped')));
  $('download-csv').addEventListener('click', () => computed && download('collapse-explorer.csv', 'text/csv', toCsv(computed, results)));
  $('download-json').addEventListener('click', () => computed && download('collapse-explorer.json', 'application/json', toJson(state, computed, results)));
  $('copy-link').addEventListener('click', () => void navigator.clipboard?.writeText(location.href));
  window.addEventListener('hashchange', () => {
    if (`#${encodeState(state)}` === location.hash) return;
    state = decodeState(location.hash);
    showState();
    changed();
  });
  history.replaceState(null, '', `#${encodeState(state)}`);
  setStatus('', 'idle');
  update();
}

init();
