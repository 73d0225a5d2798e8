/** The explorer draws with the figure gallery's palette (src/figures/palette.ts): one colour-blind-safe set everywhere. */
import { CATEGORICAL, colour, NEUTRAL } from '../figures/palette.js';

/** The colour of series i (cycling), as the gallery colours strategies. */
export const seriesColour = (i: number): string => colour(CATEGORICAL, i);

/** Reference lines (the π²/6 bound), the gallery's reference grey. */
export const REFERENCE_COLOUR = NEUTRAL.reference;
