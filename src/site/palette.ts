/**
 * Colours of the explorer's series: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), distinguishable
 * under the common colour-vision deficiencies. Kept here until the figure gallery's shared palette
 * (src/figures/palette.ts) lands; then this module should re-export that one.
 */
export const OKABE_ITO = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'] as const;

/** The colour of series i (cycling). */
export const seriesColour = (i: number): string => OKABE_ITO[i % OKABE_ITO.length];

/** Reference lines (the π²/6 bound): black, dashed where drawn. */
export const REFERENCE_COLOUR = '#000000';
