/**
 * What a figure is (one file per figure, one line in index.ts): an id, a title, and `make`, which computes the data
 * and returns the Plotly figure, its caption and its data as JSON and CSV. Builders (data → Plotly JSON) are pure
 * functions exported by each figure's module, so tests check them without a browser or a Monte Carlo.
 */
import type { Backend } from '../kernels/backend.js';
import type { CollapseDefinition } from '../models/collapse-profile.js';

/** A Plotly trace or layout: plain JSON (plotly.js has no types installed; the browser validates it). */
export type PlotlyObject = Record<string, unknown>;

/** A Plotly figure as plain JSON: traces and layout. */
export interface PlotlyFigure {
  data: PlotlyObject[];
  layout: PlotlyObject;
}

/** Size of the static images: PNG pixels are width·scale × height·scale; SVG is width × height. */
export interface ImageSize {
  width: number;
  height: number;
  scale: number;
}

/** What the gallery gives each figure: --quick, the seed, the command line, the shared backend, the repository root, a logger. */
export interface FigureContext {
  /** --quick: fewer trials (wider bands), fewer iterations where the figure says so */
  quick: boolean;
  /** base seed; a figure's k-th Monte Carlo run uses seed + k */
  seed: number;
  /** the command line that made this gallery, quoted in every caption */
  command: string;
  /** the gpu.js backend, selected on first use and shared by every figure */
  backend(): Promise<Backend>;
  /** the repository root (bench/results/ lives there) */
  root: string;
  /** one progress line on stderr (silent with --quiet) */
  log(line: string): void;
}

/** A made figure: Plotly JSON, caption, its data as JSON and CSV, and the image size. */
export interface FigureOutput {
  figure: PlotlyFigure;
  /** plain text; the gallery and the HTML page show it, followed by the command */
  caption: string;
  /** written as <id>.json: the settings and every number plotted */
  data: unknown;
  /** written as <id>.csv: one row per plotted point (long format) */
  csv: string;
  image: ImageSize;
}

/** Why a figure was not made. */
export interface Skipped {
  skipped: string;
}

/** A gallery figure: an id, a title, and `make`, which computes its data and returns the Plotly figure. */
export interface Figure {
  /** file stem and --only name, e.g. 'linear-paper' */
  readonly id: string;
  readonly title: string;
  /** Computes the data and the figure, or says why it is skipped (e.g. no neural run to read). */
  make(context: FigureContext): Promise<FigureOutput | Skipped>;
  /** which definitions of collapse (src/models/collapse-profile.ts) the plotted quantities measure: definition → quantity */
  readonly measures?: Readonly<Partial<Record<CollapseDefinition, string>>>;
}

/** The caption the gallery shows: the figure's own, then which definitions of collapse its quantities measure. */
export function captionWithDefinitions(figure: Figure, caption: string): string {
  const entries = Object.entries(figure.measures ?? {});
  if (entries.length === 0) return caption;
  const named = entries.map(([definition, quantity]) => `${definition} (${quantity})`).join('; ');
  return `${caption} Definitions of collapse measured (Schaeffer et al. 2025, the \`profile\` names): ${named}.`;
}

/** Whether a figure returned a reason to skip instead of an output. */
export function isSkipped(result: FigureOutput | Skipped): result is Skipped {
  return 'skipped' in result;
}
