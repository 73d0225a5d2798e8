/** The figure list: one line per figure, in gallery order. Add a file and a line here to add a figure. */
import { accumulationBound } from './accumulation-bound.js';
import { categoricalCollapse } from './categorical-collapse.js';
import { curation } from './curation.js';
import type { Figure } from './figure.js';
import { freshOptimumFigure } from './fresh-optimum.js';
import { gaussianCollapse } from './gaussian-collapse.js';
import { kernelThroughput } from './kernel-throughput.js';
import { linearPaper } from './linear-paper.js';
import { lmSizeTemperature } from './lm-size-temperature.js';
import { neuralCollapse } from './neural-collapse.js';
import { strongCollapse } from './strong-collapse.js';
import { sweepTable } from './sweep-table.js';
import { taleOfTails } from './tale-of-tails.js';

export type { Figure, FigureContext, FigureOutput, PlotlyFigure } from './figure.js';

/** The figure gallery, in order: one entry per figure (`collapse figures`). Each figure's module also exports its pure builder (data → Plotly JSON). */
export const FIGURES: readonly Figure[] = [
  linearPaper,
  accumulationBound,
  freshOptimumFigure,
  gaussianCollapse,
  neuralCollapse,
  lmSizeTemperature,
  categoricalCollapse,
  taleOfTails,
  strongCollapse,
  curation,
  sweepTable,
  kernelThroughput,
];
