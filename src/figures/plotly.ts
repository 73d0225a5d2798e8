/**
 * Small shared pieces of the figure builders: the 95% band trace, subplot axis names, log axes labelled by their
 * values, the line-style key, CSV. Colours, symbols and line styles live in palette.ts.
 */
import type { PlotlyObject } from './figure.js';
import { LINE_STYLES, NEUTRAL, POINT_STYLE, withAlpha } from './palette.js';

/** Axis lines and grid shared by every panel. */
export const AXIS_STYLE = { showline: true, mirror: true, linecolor: NEUTRAL.axis, gridcolor: NEUTRAL.grid } as const;

/**
 * Subplot k (0-based): `trace` goes into a trace ({ xaxis: 'x2', yaxis: 'y2' }), `x`/`y` are the axis ids
 * (annotation refs), `xaxis`/`yaxis` the layout keys ('xaxis2', 'yaxis2').
 */
export function axisRef(k: number): { trace: { xaxis: string; yaxis: string }; x: string; y: string; xaxis: string; yaxis: string } {
  const s = k === 0 ? '' : String(k + 1);
  return { trace: { xaxis: `x${s}`, yaxis: `y${s}` }, x: `x${s}`, y: `y${s}`, xaxis: `xaxis${s}`, yaxis: `yaxis${s}` };
}

/**
 * The 95% band as one closed polygon (fill 'toself'): along the upper edge, back along the lower. On a log axis a
 * non-positive lower edge would break the polygon, so it is floored at `floor` there (the data files keep the raw
 * interval).
 */
export function bandTrace(
  x: readonly number[],
  low: readonly number[],
  high: readonly number[],
  style: { colour: string; legendgroup: string; axes?: { xaxis: string; yaxis: string }; floor?: number },
): PlotlyObject {
  const floor = style.floor ?? -Infinity;
  return {
    type: 'scatter',
    mode: 'lines',
    x: [...x, ...[...x].reverse()],
    y: [...high.map((v) => Math.max(v, floor)), ...[...low].reverse().map((v) => Math.max(v, floor))],
    fill: 'toself',
    fillcolor: withAlpha(style.colour, 0.2),
    line: { width: 0, color: style.colour },
    hoverinfo: 'skip',
    showlegend: false,
    legendgroup: style.legendgroup,
    name: `${style.legendgroup} 95% band`,
    ...(style.axes ?? {}),
  };
}

/** RFC 4180 CSV with one header line; null becomes an empty cell. */
export function toCsv(columns: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.map(cell).join(','), ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
}

/** A number as a figure label: 0.01, 316, 1e+2 → '0.01', '316', '100'. */
export function label(x: number): string {
  return String(Number(x.toPrecision(6)));
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/**
 * A log-axis tick as its full value: 0.05, 1, 20, 1000; far from 1 (or with `power`) as 10⁻⁵ or 2×10⁶ — never a
 * bare mantissa.
 */
export function tickText(value: number, power = false): string {
  const e = Math.floor(Math.log10(value) + 1e-9);
  if (!power && e >= -3 && e <= 4) return label(value);
  const m = Number((value / 10 ** e).toPrecision(6));
  const ten = `10${[...String(e)].map((c) => SUPERSCRIPT[c]).join('')}`;
  return m === 1 ? ten : `${label(m)}×${ten}`;
}

/** Tick series from coarse to fine: a series is used when it puts at least three ticks on the axis. */
const SERIES = [[1], [1, 2, 5], [1, 1.5, 2, 3, 5, 7], [1, 2, 3, 4, 5, 6, 7, 8, 9]];

/**
 * A log axis over `values` (the positive ones): its range (padded a little) and explicit ticks, decades where they
 * give three ticks or more, else 1-2-5 (finer only on a very short axis), each labelled with its full value so no
 * label is a bare "5"; the other integers × 10ᵏ get grid lines without labels.
 */
export function logAxis(values: readonly number[]): PlotlyObject {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return { type: 'log' };
  const low = Math.log10(Math.min(...positive));
  const high = Math.log10(Math.max(...positive));
  const pad = Math.max(0.03 * (high - low), 0.02);
  const range = [low - pad, high + pad];
  const inRange = (v: number) => Math.log10(v) >= range[0] - 1e-9 && Math.log10(v) <= range[1] + 1e-9;
  const at = (mantissas: readonly number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(range[0]); e <= Math.ceil(range[1]); e++) {
      for (const m of mantissas) {
        const v = Number((m * 10 ** e).toPrecision(12));
        if (inRange(v)) out.push(v);
      }
    }
    return out;
  };
  const tickvals = SERIES.map(at).find((ticks) => ticks.length >= 3) ?? at(SERIES[SERIES.length - 1]);
  const minor = at(SERIES[SERIES.length - 1]).filter((v) => !tickvals.includes(v));
  // decades written one way on one axis: all as powers of ten once any of them needs one
  const exponents = tickvals.map((v) => Math.floor(Math.log10(v) + 1e-9));
  const power = tickvals.every((v, i) => Math.abs(v / 10 ** exponents[i] - 1) < 1e-9) && exponents.some((e) => e < -3 || e > 4);
  return {
    type: 'log',
    range,
    tickmode: 'array',
    tickvals,
    ticktext: tickvals.map((v) => tickText(v, power)),
    minor: { tickmode: 'array', tickvals: minor, showgrid: true, gridcolor: NEUTRAL.minorGrid, ticks: '' },
  };
}

export type StatisticKind = 'monteCarlo' | 'monteCarloPoints' | 'theory' | 'median' | 'reference';

const KEY_NAMES: Record<StatisticKind, string> = {
  monteCarlo: 'Monte Carlo mean (shaded: 95% band)',
  monteCarloPoints: 'Monte Carlo mean (bars: 95% interval)',
  theory: 'exact theory',
  median: 'Monte Carlo median',
  reference: 'reference level',
};

/** Name of the legend group that explains the line styles. */
export const KEY_GROUP = 'line style';

/**
 * Legend-only traces (no points) in neutral ink: the key to what solid, dashed, dotted and open circles mean.
 * `names` renames an entry where a figure's reference level has a name of its own (a plateau).
 */
export function lineStyleKey(
  kinds: readonly StatisticKind[],
  axes?: { xaxis: string; yaxis: string },
  names: Partial<Record<StatisticKind, string>> = {},
): PlotlyObject[] {
  return kinds.map((kind, i) => {
    const look =
      kind === 'monteCarloPoints'
        ? { mode: 'markers', marker: { color: NEUTRAL.ink, symbol: POINT_STYLE.symbol, size: POINT_STYLE.size, line: { width: POINT_STYLE.lineWidth } } }
        : { mode: 'lines', line: { color: NEUTRAL.ink, dash: LINE_STYLES[kind].dash, width: LINE_STYLES[kind].width } };
    return {
      type: 'scatter',
      ...look,
      x: [null],
      y: [null],
      name: names[kind] ?? KEY_NAMES[kind],
      legendgroup: KEY_GROUP,
      ...(i === 0 ? { legendgrouptitle: { text: 'line style' } } : {}),
      hoverinfo: 'skip',
      showlegend: true,
      ...(axes ?? {}),
    };
  });
}

/**
 * A row's 95% interval. Every figure draws configurations whose variance is finite (linear T ≥ d + 4, bounded
 * categorical and Hutter values), so a row without one is a bug in the figure's settings, not a value to hide.
 */
export function interval(row: { ci95: readonly [number, number] | null }): [number, number] {
  if (row.ci95 === null) throw new Error('a figure row has no 95% interval (infinite variance): the figure settings must avoid T ≤ d + 3');
  return [row.ci95[0], row.ci95[1]];
}
