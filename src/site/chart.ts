/// <reference lib="dom" />
/**
 * The explorer's Plotly chart: per strategy the exact theory (line), the Monte Carlo mean (markers) with its 95% band,
 * and below, the z-scores; the π²/6 bound for linear regression. Colour, dash and marker differ per series, so no
 * series is told apart by colour alone.
 */
import type { Computed, Family, McResult } from './model.js';
import { REFERENCE_COLOUR, seriesColour } from './palette.js';

interface PlotlyGlobal {
  react(element: HTMLElement, data: object[], layout: object, config: object): Promise<unknown>;
  purge(element: HTMLElement): void;
}
declare const Plotly: PlotlyGlobal;

const DASHES = ['solid', 'dash', 'dot', 'dashdot', 'longdash', 'longdashdot'];
const SYMBOLS = ['circle', 'square', 'diamond', 'triangle-up', 'x', 'cross', 'star', 'hexagon'];

/** '#rrggbb' with an alpha, for the band's fill. */
function translucent(hex: string, alpha: number): string {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

const Y_TITLES: Record<Family, string> = { linear: 'E‖ŵₙ − w*‖²', gaussian: 'E tr Σ̂ₙ / tr Σ₀', categorical: 'E Σ pᵢ² (collision probability)' };

export function drawChart(element: HTMLElement, computed: Computed | null, results: readonly McResult[], family: Family): void {
  if (!computed) {
    Plotly.purge(element);
    return;
  }
  const traces: object[] = [];
  const n = Number(computed.series[0].spec.config.iterations);
  const x = Array.from({ length: n }, (_, i) => i + 1);
  computed.series.forEach((s, i) => {
    const colour = seriesColour(i);
    if (s.theory) {
      traces.push({ x, y: s.theory, mode: 'lines', name: `${s.strategy} (theory)`, legendgroup: s.strategy, line: { color: colour, dash: DASHES[i % DASHES.length], width: 2 } });
    }
    const mc = results.find((r) => r.strategy === s.strategy);
    if (!mc) return;
    // no band where the variance is infinite (T ≤ d + 3): an interval there would mean nothing
    const band = { x: [...x, ...[...x].reverse()], y: [...mc.rows.map((r) => r.ci95?.[1] ?? null), ...[...mc.rows].reverse().map((r) => r.ci95?.[0] ?? null)] };
    if (mc.rows.some((r) => r.ci95 !== null)) traces.push({ ...band, mode: 'lines', fill: 'toself', fillcolor: translucent(colour, 0.18), line: { width: 0 }, hoverinfo: 'skip', showlegend: false, legendgroup: s.strategy, name: `${s.strategy} 95% band` });
    traces.push({
      x, y: mc.rows.map((r) => r.mean), mode: 'markers', name: `${s.strategy} (Monte Carlo, 95% band)`, legendgroup: s.strategy,
      marker: { color: colour, symbol: SYMBOLS[i % SYMBOLS.length], size: 7 },
    });
    if (s.theory) {
      traces.push({ x, y: mc.rows.map((r) => r.z), mode: 'lines+markers', xaxis: 'x2', yaxis: 'y2', showlegend: false, legendgroup: s.strategy, name: `${s.strategy} z`, line: { color: colour, dash: DASHES[i % DASHES.length], width: 1 }, marker: { color: colour, symbol: SYMBOLS[i % SYMBOLS.length], size: 6 } });
    }
  });
  if (computed.bound !== null) {
    traces.push({ x: [1, n], y: [computed.bound, computed.bound], mode: 'lines', name: 'π²/6 × first error (accumulate never exceeds it)', line: { color: REFERENCE_COLOUR, dash: 'dot', width: 1.5 } });
  }
  for (const level of [-1.96, 1.96]) {
    traces.push({ x: [1, n], y: [level, level], mode: 'lines', xaxis: 'x2', yaxis: 'y2', showlegend: false, hoverinfo: 'skip', line: { color: '#767676', dash: 'dot', width: 1 } });
  }
  const layout = {
    margin: { l: 70, r: 20, t: 20, b: 50 },
    height: 560,
    legend: { orientation: 'h', y: -0.12 },
    xaxis: { anchor: 'y', domain: [0, 1], showticklabels: false, matches: 'x2' },
    yaxis: { domain: [0.32, 1], title: { text: Y_TITLES[family] }, rangemode: 'tozero' },
    xaxis2: { anchor: 'y2', domain: [0, 1], title: { text: 'iteration n' }, ...(n <= 20 ? { dtick: 1 } : {}) },
    yaxis2: { domain: [0, 0.24], title: { text: 'z' }, zeroline: true },
    font: { family: 'system-ui, sans-serif', size: 13 },
  };
  void Plotly.react(element, traces, layout, { responsive: true, displaylogo: false });
}
