/**
 * The one palette of every figure: colours, marker symbols and line styles. Plain data and pure functions, no Node
 * imports, so a browser page (an explorer) can import this module as it is and draw in the same colours.
 *
 * Categorical colours are Okabe & Ito's colour-blind-safe set ("Color Universal Design", 2008), ordered so that
 * neighbours differ in lightness as well as hue; its yellow is left out (unreadable as a line on white). Ordered
 * values (σ²) use viridis, which stays ordered in lightness under every common colour-vision deficiency, sampled
 * from 0 to 0.8 of its range: its yellow end is too light for a line on white, and a yellow darkened in its place
 * came within 3 L* of the green before it under protanopia. Greys are for reference lines and axes.
 */

export const OKABE_ITO = {
  blue: '#0072B2',
  orange: '#E69F00',
  green: '#009E73',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  sky: '#56B4E9',
  black: '#000000',
} as const;

/** One colour per strategy or backend, in order (replace is blue and accumulate orange wherever both appear first). */
export const CATEGORICAL: readonly string[] = [
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.green,
  OKABE_ITO.vermillion,
  OKABE_ITO.purple,
  OKABE_ITO.sky,
  OKABE_ITO.black,
];

/** Five viridis stops, 0 to 0.8 of its range, for ordered values (σ² = 0.01 … 100). */
export const SEQUENTIAL: readonly string[] = ['#440154', '#414487', '#2a788e', '#22a884', '#7ad151'];

/** Reference lines (π²/6), axis lines, grid lines, the line-style key's neutral ink. */
export const NEUTRAL = { ink: '#333333', reference: '#666666', axis: '#444444', grid: '#e5e5e5', minorGrid: '#f3f3f3' } as const;

/** Marker symbols paired with CATEGORICAL: a second cue where colours alone would not tell two lines apart. */
export const SYMBOLS: readonly string[] = ['circle', 'diamond', 'square', 'triangle-up', 'x', 'triangle-down', 'star'];

/** How each statistic is drawn, in every figure: the key in each legend says the same. */
export const LINE_STYLES = {
  monteCarlo: { dash: 'solid', width: 3, opacity: 0.6 },
  theory: { dash: 'dash', width: 1.8 },
  median: { dash: 'dot', width: 2.2 },
  reference: { dash: 'dashdot', width: 1.5 },
} as const;

/** Monte Carlo drawn as points (a few sample sizes, each with its 95% interval as a bar) rather than as a line. */
export const POINT_STYLE = { symbol: 'circle-open', size: 8, lineWidth: 2 } as const;

/** Every colour a figure may draw with (tests check each trace against it). */
export const PALETTE_COLOURS: readonly string[] = [...new Set([...CATEGORICAL, ...SEQUENTIAL, ...Object.values(NEUTRAL), '#ffffff'])];

export function colour(palette: readonly string[], index: number): string {
  return palette[index % palette.length];
}

export function symbol(index: number): string {
  return SYMBOLS[index % SYMBOLS.length];
}

/** '#rrggbb' with an alpha, for band fills. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
