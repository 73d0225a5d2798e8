/**
 * Every role a random stream plays, in one table: the index a role folds into its parent key, foldIn(parent, index)
 * (core/rng.ts). Two roles under the same parent key must never share an index, or their streams would be the same
 * numbers; keeping every index distinct (test/core/streams.test.ts) rules that out without tracking parents. The
 * values are part of every result: changing one changes the numbers of every run that draws from it.
 * Neural families' keys under a run's root are their registry's (models/neural/index.ts).
 */
export const STREAM_ROLES = {
  // the linear Monte Carlo, under the run's root key rootKey(seed)
  design: 1, // fixed design: a trial's X and w*; random design: a trial's w* (then foldIn(·, trial))
  noise: 2, // data set s's label noise, and under random design its X (then foldIn(·, s))
  wishart: 3, // the reduced method's design: eigenvalues of XᵀX from the tridiagonal Wishart model
  subsample: 4, // accumulate-subsample: the rows each fit draws (then foldIn(·, step n), trial)
  // the generation loop: loopTrial under a run's root key (runTrials), the rest under one trajectory's key
  loopTrial: 16, // the key of trajectory t of runTrials (then foldIn(·, t))
  loopData: 17, // the data sets a trajectory draws (then foldIn(·, data set s))
  loopPool: 18, // forming pool n from the data sets (then foldIn(·, n))
  loopFit: 19, // fitting model n (then foldIn(·, n))
  loopTest: 20, // the held-out test set
  loopCurate: 22, // curation: the candidates of data set s, round r (then foldIn(·, s), r), src/loop/curation.ts
  // neural runs, under a trajectory's key
  neuralGrid: 21, // the figures' sample grids (then foldIn(·, n)): drawing them changes no other stream
  neuralTrajectory: 1000, // seeds: trajectory k ≥ 1 of a family takes foldIn(family key, 1000 + k)
  // neural families, under a fit's key (foldIn(loopFit key, n)), beside the families' own training keys 0–2
  convergeSplit: 7, // the converge schedule's held-out validation split of the pool
  convergeValidation: 8, // diffusion under converge: the noise of its validation loss
} as const;

/** The linear Monte Carlo's roles ({@link STREAM_ROLES}), under the run's root key. */
export const STREAM = { design: STREAM_ROLES.design, noise: STREAM_ROLES.noise, wishart: STREAM_ROLES.wishart, subsample: STREAM_ROLES.subsample } as const;

/** The generation loop's roles ({@link STREAM_ROLES}): `trial` under a run's root key, the others under a trajectory's key. */
export const LOOP_STREAM = { trial: STREAM_ROLES.loopTrial, data: STREAM_ROLES.loopData, pool: STREAM_ROLES.loopPool, fit: STREAM_ROLES.loopFit, test: STREAM_ROLES.loopTest, curate: STREAM_ROLES.loopCurate } as const;
