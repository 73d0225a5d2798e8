/** Small shared pieces of the figure builders: colours, the 95% band trace, subplot axis names, CSV. */
import type { PlotlyObject } from './figure.js';

/** Viridis-like, darkened at the yellow end so a line stays visible on white. */
export const SEQUENTIAL = ['#440154', '#3b528b', '#21918c', '#4aa83c', '#c9a300'];

/** d3's category10: one per strategy or backend, in order. */
export const CATEGORICAL = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function colour(palette: readonly string[], index: number): string {
  return palette[index % palette.length];
}

/** '#rrggbb' with an alpha, for band fills. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

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
