/**
 * collapse-lab's public API: what `import { … } from 'collapse-lab'` gives. Everything here is re-exported from the
 * module that defines it (one definition, one TSDoc comment: the API reference, `npm run docs`, is generated from
 * those). Anything not listed here is internal and may change without notice.
 *
 * The pieces, in the order a researcher meets them:
 *
 * - strategies: how model n's training pool is formed (`parseStrategy('window:3')`, the registry, the pool weights);
 * - theory: the closed forms and the exact coefficient recursion they come from (linear regression, ridge, Gaussian);
 * - Monte Carlo: `runLinear` (gpu.js kernels) and `runGaussian`, each against its closed form;
 * - the generation loop: `runTrials` / `runTrajectory` over any {@link ModelFamily} — bring your own model;
 * - keys and statistics: `rootKey`, `foldIn`, `KeyedGenerator`, `Moments`, `zStar`;
 * - verify, the figure builders, and the run store behind `--out` / `--resume`.
 *
 * @packageDocumentation
 */

// ---- strategies ----
export { parseStrategy, STRATEGIES, PARAMETERISED, STRATEGY_FORMS, STRATEGY_EXAMPLES, dataPlan, sourceOf } from './strategies/index.js';
export type { PoolStrategy, DataPlan, ParameterisedStrategy } from './strategies/index.js';
export { numericPlan, type NumericPlan } from './strategies/plan.js';
export { fraction, fractionToNumber, Fraction } from './core/fraction.js';

// ---- theory ----
export { errorCoefficients, noiseFactors, noiseFactorsNumeric, EXACT_ITERATIONS } from './theory/pool-weights.js';
export { inverseSquareSum, ACCUMULATE_BOUND } from './theory/harmonic.js';
export { expectedTestError, conditionalTestError, traceInverseWishartMean, type LinearSetting } from './theory/linear-fixed-design.js';
export { randomDesignReplaceError } from './theory/linear-random-design.js';
export { ridgePolynomials, ridgeConditionalError, type RidgePolynomials } from './theory/ridge.js';
export {
  gaussianTheory,
  gaussianMomentsExact,
  gaussianMomentsNumeric,
  replaceVarianceRatio,
  replaceDetRatio,
  replaceSdRatio,
  replaceLogDetRatio,
  accumulateMeanError,
  singleSetDepths,
  c4,
  GAUSSIAN_METRICS,
  type GaussianMetric,
  type GaussianSetting,
  type GaussianMoments,
  type Estimator,
} from './theory/gaussian.js';

export { collisionProbabilities, replaceCollision, anchoredSurvival, fixationTimeApproximation, RATIONAL, FLOAT, type Arithmetic } from './theory/categorical.js';
export { trainingDistribution, hutterErrorExact, hutterError, tailPlateau, mixedErrorBound, type TailSource } from './theory/tails.js';
export { freshLimit, augmentLimit, strategyLimit, optimiseLimit, type StrategyLimit, type LimitOptimum } from './theory/strategy-limits.js';
export { chainedHutterError, chainedHutterErrors, chainedHutterErrorExact } from './theory/tails-chain.js';
export { optimiseWeights, type WeightsOptimum } from './theory/weights-optimum.js';

// ---- Monte Carlo entry points ----
export { runLinear, validateLinearConfig, hasTheory, LINEAR_OPTIONS, type LinearConfig, type LinearReport } from './experiments/linear.js';
export type { ConfigOf, Defaulted, OptionValue, OptionSpec, IntOption, NumberOption, EnumOption, StringOption, BooleanOption } from './core/schema.js';
export { METHODS, type Method, type Progress, type SimulationControl, type MonteCarloCheckpoint, type MomentsState, SumMax, type SumMaxState } from './models/linear/monte-carlo.js';
export { runGaussian, validateGaussianConfig, GAUSSIAN_MODELS, GAUSSIAN_OPTIONS, type GaussianConfig, type GaussianReport, type HostRunHeader, type HostRunReport, type GaussianIterationRow, type GaussianRunOptions, type MetricRow } from './experiments/gaussian.js';
export { runCategorical, validateCategoricalConfig, CATEGORICAL_OPTIONS, categoricalTheory, realDistribution, type CategoricalConfig, type CategoricalReport, type CategoricalRunOptions } from './experiments/categorical.js';
export type { RealDistribution } from './models/categorical/distribution.js';
export { runTails, type TailsConfig, type TailsReport, type TailsRow } from './experiments/hutter.js';
export {
  teacherRows, strongBiasFactor, strongCollapseError, strongCollapseAsymptotic, strongChainPolynomials, strongChainExpectation, strongChainConditional,
  strongChainApproximation, evaluatePolynomial, type StrongChain, type StrongChainPolynomials, type StrongConditional, type StrongError,
} from './theory/strong-collapse.js';
export { runStrong, validateStrongConfig, STRONG_OPTIONS, type StrongConfig, type StrongReport, type StrongScalingRow, type StrongChainRow, type StrongBandInputs } from './experiments/strong.js';
export { strongCases, judgeStrong } from './experiments/verify-strong.js';
export { COLLAPSE_DEFINITIONS, type CollapseDefinition, type CollapseProfile, type ProfileEntry } from './models/collapse-profile.js';
export { linearProfile, neuralProfile, type NeuralCurve } from './experiments/profiles.js';
export { caseDefinitions } from './verify/definitions.js';
export { selectBackend, BACKENDS, type Backend, type BackendName, type BackendRequest, type GpuKernel, type KernelActivity } from './kernels/backend.js';

// ---- model families and the generation loop ----
export type { ModelFamily, Metrics, Pool, PoolPart, TrajectoryCodec } from './models/model.js';
export { gaussianFamily, fitGaussian, gaussianMetrics, type GaussianData, type GaussianModel, type GaussianOptions, type SetStats } from './models/gaussian/family.js';
export { kdeFamily, silvermanBandwidth, type KdeModel, type KdeOptions } from './models/gaussian/kde.js';
export {
  runTrials,
  runTrajectory,
  loopPlan,
  formPool,
  LOOP_STREAM,
  type LoopConfig,
  type LoopPlan,
  type TrialOptions,
  type TrialSummary,
  type TrialsCheckpoint,
  type TrajectoryState,
  type TrajectoryControl,
} from './loop/generation-loop.js';
export { curate, parseCurationRule, curationName, CURATION_FORMS, type Curation, type CurationRule } from './loop/curation.js';
export { TrajectoryCheckpoints, type StoredTrajectory, type BlobRef } from './loop/checkpoint.js';

// ---- a family in any language: the external-process route of `collapse loop` ----
export { externalFamily, type ExternalFamily, type ExternalModel, type ExternalData } from './models/external/family.js';
export { loadSpec, fillCommand, COMMANDS, type ExternalSpec, type CommandName } from './models/external/spec.js';
export { ExternalCommandError, runCommand } from './models/external/process.js';
export { runExternalLoop, validateLoopConfig, loadLoopSpec, LOOP_FAMILIES, LOOP_OPTIONS, type ExternalLoopConfig, type LoopReport, type LoopControl, type LoopState, type LoopStrategyReport } from './experiments/external.js';

// ---- keys, statistics, errors ----
export { rootKey, foldIn, KeyedGenerator, normalStream, fillNormal, sampleDistinct, type Key } from './core/rng.js';
export { STREAM_ROLES, STREAM } from './core/streams.js';
export { Moments, zStar, normalQuantile, twoSidedP, FAMILY_FALSE_FAILURE, Z95 } from './core/stats.js';
export { UsageError, NumericError, EXIT } from './core/errors.js';

// ---- verify ----
export { runVerify, builtInCases, judge, judgeGaussian, type VerifyCase, type VerifyReport, type VerifyOptions, type CaseVerdict } from './experiments/verify.js';
export { categoricalCases, tailsCases, empiricalBernsteinBand, type BernsteinCase } from './experiments/verify-bernstein.js';
export { buildRows, rowsToCsv, type IterationRow, type IntervalRow } from './verify/report.js';

// ---- figures: the gallery list and the pure builders (data → Plotly JSON) ----
export { FIGURES } from './figures/index.js';
export { isSkipped, type Figure, type FigureContext, type FigureOutput, type PlotlyFigure, type PlotlyObject, type ImageSize, type Skipped } from './figures/figure.js';
export { buildLinearPaper, computeLinearPaper, type LinearPaperData, type LinearPaperSettings, type LinearPaperRun } from './figures/linear-paper.js';
export { buildBound, computeBound, type BoundData, type BoundSettings, type BoundRun } from './figures/accumulation-bound.js';
export { buildGaussian, computeGaussian, type GaussianFigureData, type GaussianFigureSettings, type GaussianCurve } from './figures/gaussian-collapse.js';

// ---- the run store (--out, --resume) ----
export { RunStore, readManifest, readCheckpoint, preflightOut, configDigest, canonicalJson, MANIFEST_FILE, CHECKPOINT_FILE, type Manifest, type Checkpoint, type NewRun, type RunStatus, type Segment } from './core/run-store.js';
export { writeFileAtomic, readSealed } from './core/atomic-file.js';
