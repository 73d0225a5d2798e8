/** `collapse verify`: the built-in grid, theory vs Monte Carlo, PASS/FAIL; exit 4 on any failure. */
import { environment } from '../core/environment.js';
import { EXIT, UsageError } from '../core/errors.js';
import { parseOption, type ConfigOf, type OptionSpec } from '../core/schema.js';
import type { LinearReport } from '../experiments/linear.js';
import { builtInCases, runVerify, type CaseVerdict, type VerifyCase, type VerifyReport } from '../experiments/verify.js';
import { implausibleVerdict } from '../experiments/verify-stored.js';
import { BACKENDS, selectBackend, type Backend, type BackendRequest } from '../kernels/backend.js';
import { toJson } from './linear.js';
import { fmt, table } from './output.js';
import { runCommand, type CommonFlags } from './run-command.js';
import { caseDefinitions } from '../verify/definitions.js';

/** The options of `collapse verify`: one declaration for the flags, --help, validation and {@link VerifyConfig}. */
export const VERIFY_OPTIONS = [
  { flag: 'trials-full', kind: 'int', default: 2000, min: 100, max: 10_000_000, description: 'trials per case, full method' },
  { flag: 'trials-reduced', kind: 'int', default: 20000, min: 100, max: 10_000_000, description: 'trials per case, reduced method' },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xfffff000, description: 'seed of case 0 (case i uses seed + i)' },
  { flag: 'backend', kind: 'enum', default: 'auto', choices: ['auto', ...BACKENDS], description: 'gpu.js backend' },
  { flag: 'only', kind: 'string', meta: 'text', description: 'run only the cases whose name contains this text, or that check this definition of collapse (e.g. anyRiskIncrease; the profile names)' },
  { flag: 'quick', kind: 'boolean', description: 'fewer trials (full 500, reduced 5000): wider bands, same false-failure rate' },
] as const satisfies readonly OptionSpec[];

/**
 * The resolved configuration of a verify run (flag names as keys, as in --config files and manifest.json), derived
 * from {@link VERIFY_OPTIONS}, but `quick` is always set (false without --quick).
 */
export type VerifyConfig = Omit<ConfigOf<typeof VERIFY_OPTIONS>, 'quick'> & { quick: boolean };

/** Defaults and checks for every verify option; --quick lowers the trials that were not given. */
export function validateVerifyConfig(raw: Record<string, unknown>): VerifyConfig {
  const value = (flag: string) => {
    const spec = VERIFY_OPTIONS.find((o) => o.flag === flag) as OptionSpec;
    return raw[flag] === undefined ? (spec as { default?: unknown }).default : parseOption(spec, raw[flag]);
  };
  const quick = value('quick') === true;
  const config: VerifyConfig = {
    'trials-full': raw['trials-full'] === undefined && quick ? 500 : (value('trials-full') as number),
    'trials-reduced': raw['trials-reduced'] === undefined && quick ? 5000 : (value('trials-reduced') as number),
    seed: value('seed') as number,
    backend: value('backend') as BackendRequest,
    quick,
  };
  if (raw.only !== undefined) config.only = value('only') as string;
  const cases = builtInCases().filter((c) => config.only === undefined || matches(c, config.only));
  if (cases.length === 0) throw new UsageError(`--only ${JSON.stringify(config.only)} matches no case; cases look like "accumulate full d=32 T=100 σ²=1"`);
  return config;
}

/** --only TEXT: the case's name contains TEXT, or TEXT names a definition of collapse the case checks. */
const matches = (c: VerifyCase, only: string) => c.name.includes(only) || (caseDefinitions(c.kind, c.name) as string[]).includes(only);
const selected = (config: VerifyConfig): VerifyCase[] => builtInCases().filter((c) => config.only === undefined || matches(c, config.only));

/** The resume check: the verdicts of the first cases, each one this run could have given. */
function checkState(config: VerifyConfig, checkpoint: { state: unknown } | null, dir: string) {
  const cases = selected(config);
  const stored = checkpoint ? (checkpoint.state as { cases?: unknown } | null)?.cases : []; // NaN kept by the run store
  const bad = (why: string) => new UsageError(`--resume ${dir}: its checkpoint.json does not fit the cases of the run in its manifest.json (${why}); nothing was changed`);
  if (!Array.isArray(stored) || stored.length >= cases.length) throw bad('the number of cases');
  for (const [i, v] of stored.entries()) {
    const why = implausibleVerdict(v, cases[i]); // sealed with a checksum, not a signature: range-checked as well
    if (why !== null) throw bad(why);
  }
  const completed = stored as CaseVerdict[];
  return { resumedFrom: `case ${completed.length + 1} of ${cases.length}`, checked: completed };
}

/** A proven case's largest deviation over its band (fails at ≥ 1), or — for a case judged by z. */
function bandText(v: CaseVerdict): string {
  return v.worstBandRatio === undefined || Number.isNaN(v.worstBandRatio) ? 'band —' : `band ${v.worstBandRatio.toFixed(2)}`;
}

/** The false-failure claim, only as strong as it is shown. */
export function claimText(report: VerifyReport): string {
  const { proven, normalApproximation } = report.claim;
  const share = (x: number) => x.toExponential(1);
  const lines = [`false failure (a correct implementation failing by chance), ${report.checks} events sharing ${report.familyFalseFailure.toExponential(0)}:`];
  if (proven.checks > 0) {
    lines.push(
      `  proven, ${proven.checks} events: ≤ ${share(proven.falseFailure)} for any number of trials and any skew — finite-sample bands (proofs P12): least squares ` +
        'by Laurent–Massart (the z|X residual, given the designs) plus Bernstein (the mean of tr((XᵀX)⁻¹)); ridge z|X and strong-collapse z|X (S6) by Laurent–Massart plus the exactly normal term; ' +
          'Gaussian logDetRatio along single-set chains by ' +
        'Chernoff with its exact moments; the curated Gaussian trace ratio by median of means with its exact variance (proofs/curation.md V4); ' +
        '"band" = largest deviation / its band edge (≥ 1 fails)',
    );
  }
  if (normalApproximation.checks > 0) {
    lines.push(
      `  normal approximation, ${normalApproximation.checks} checks at |z| < ${report.zStar.toFixed(2)}: ≈ ${share(normalApproximation.falseFailure)}, not proven — the ` +
        "other Gaussian metrics (a skewed mean's t has a heavier tail: an audit simulated the replace/MLE d = 3 detRatio at P(t < −5) ~700× the normal's, so detRatio is not judged)",
    );
  }
  return lines.join('\n') + '\n';
}

/** The verify.json object: the run's verdicts, each linear case's run in the `linear --json` shape. */
function verifyJson(report: VerifyReport, backend: Backend) {
  return {
    pass: report.pass,
    zStar: report.zStar,
    familyFalseFailure: report.familyFalseFailure,
    checks: report.checks,
    claim: report.claim,
    seconds: report.seconds,
    backend: backend.name,
    backendReason: backend.reason,
    cases: report.cases.map((v) => ({ name: v.name, definitions: caseDefinitions(v.kind, v.name), pass: v.pass, worstBandRatio: v.worstBandRatio ?? null, maxAbsZ: v.maxAbsZ, maxAbsZConditional: v.maxAbsZConditional, growth: v.growth, expectedGrowth: v.expectedGrowth, failures: v.failures, run: v.kind === 'linear' ? toJson(v.report as LinearReport) : v.report })),
  };
}

export function verifyCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  const say = (text: string) => {
    if (!flags.json && !flags.quiet) process.stdout.write(text);
  };
  const trialsOf = (config: VerifyConfig) => ({ full: config['trials-full'], reduced: config['trials-reduced'] });
  return runCommand<VerifyConfig, CaseVerdict[], { report: VerifyReport; json: ReturnType<typeof verifyJson> }, Backend>(
    {
      name: 'verify',
      options: VERIFY_OPTIONS,
      validate: validateVerifyConfig,
      writeConfig: false, // verify.json holds the run; the manifest its configuration
      checkState,
      // a resumed run keeps its own backend (and the reason it was chosen), so every verdict comes from one backend
      backend: async (config, stored) => {
        const backend = await selectBackend((stored?.name ?? config.backend) as BackendRequest);
        return stored?.reason ? { ...backend, reason: stored.reason } : backend;
      },
      run: async ({ config, backend, resumed, priorSeconds, signal, save }) => {
        const trials = trialsOf(config);
        const cases = selected(config);
        const completed: readonly CaseVerdict[] = resumed ?? [];
        say(`collapse verify: ${cases.length} cases on ${backend.name} (${backend.reason}); trials full ${trials.full}, reduced ${trials.reduced}\n`);
        if (completed.length > 0) say(`resuming: ${completed.length} cases already judged (${completed.filter((v) => v.pass).length} PASS), continuing at case ${completed.length + 1}\n`);
        const report = await runVerify({
          trials,
          seed: config.seed,
          backend,
          cases,
          completed,
          onCase: (index, total, v, verdicts) => {
            say(`[${String(index + 1).padStart(2)}/${total}] ${v.pass ? 'PASS' : 'FAIL'}  ${v.name}  ${bandText(v)}  max|z| ${Number.isNaN(v.maxAbsZ) ? '—' : v.maxAbsZ.toFixed(2)}  max|z|X| ${Number.isNaN(v.maxAbsZConditional) ? '—' : v.maxAbsZConditional.toFixed(2)}  (${v.report.seconds.toFixed(1)} s)\n`);
            // every case is a resume point: a case takes seconds to minutes, a checkpoint milliseconds
            if (index + 1 < total) save({ cases: verdicts });
            if (index + 1 < total) signal.throwIfAborted(); // stop between cases (after the last one, finish)
          },
        });
        const whole = { ...report, seconds: report.seconds + priorSeconds };
        return { report: whole, json: verifyJson(whole, backend) };
      },
      write: ({ json }, store, { config }) => {
        store.writeJson('verify.json', json);
        store.writeJson('environment.json', environment({ backend: json.backend, backendReason: json.backendReason, trials: trialsOf(config), seed: config.seed }));
      },
      print: ({ report, json }) => {
        printVerify(report, json, Boolean(flags.json));
        return report.pass ? EXIT.ok : EXIT.verifyFailed;
      },
    },
    flags,
  );
}

function printVerify(report: VerifyReport, json: ReturnType<typeof verifyJson>, asJson: boolean): void {
  if (asJson) {
    process.stdout.write(JSON.stringify(json) + '\n');
  } else {
    const rows = report.cases.map((v) => {
      const last = v.report.iterations[v.report.iterations.length - 1];
      const bounded = 'accumulateBound' in v.report && v.report.accumulateBound !== null;
      const expectedGrowth = bounded ? 'π²/6 = 1.645' : Number.isNaN(v.expectedGrowth) ? 'no closed form' : v.expectedGrowth.toFixed(3);
      return [v.pass ? 'PASS' : 'FAIL', v.name, caseDefinitions(v.kind, v.name).join(', '), fmt(last.mean), fmt(last.theory), bandText(v).replace('band ', ''), Number.isNaN(v.maxAbsZ) ? '—' : v.maxAbsZ.toFixed(2), Number.isNaN(v.maxAbsZConditional) ? '—' : v.maxAbsZConditional.toFixed(2), `${v.growth.toFixed(3)} (${expectedGrowth})`];
    });
    process.stdout.write(
      '\n' +
        table(['verdict', 'case', 'definitions checked', 'mean at n_max', 'theory', 'band', 'max|z|', 'max|z|X|', 'growth (expected)'], rows) +
        `\n\n${report.cases.filter((v) => v.pass).length}/${report.cases.length} cases pass; ${report.seconds.toFixed(1)} s\n` +
        claimText(report) +
        'growth: accumulate = largest mean_n / first theory (bounded by π²/6); others = mean_N / mean_1 (theory: replace N, the rest from the exact recursion)\n',
    );
    for (const v of report.cases.filter((c) => !c.pass)) process.stdout.write(`FAIL ${v.name}: ${v.failures.slice(0, 5).join('; ')}\n`);
  }
}
