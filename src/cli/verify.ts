/** `collapse verify`: the built-in grid, theory vs Monte Carlo, PASS/FAIL; exit 4 on any failure. */
import { EXIT, UsageError } from '../core/errors.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { BACKENDS, selectBackend, type BackendRequest } from '../kernels/backend.js';
import { builtInCases, runVerify, type VerifyReport } from '../verify/verify.js';
import { toJson, type CommonFlags } from './linear.js';
import { checkOutDir, environment, fmt, table, writeRunDir } from './output.js';

export const VERIFY_OPTIONS: readonly OptionSpec[] = [
  { flag: 'trials-full', kind: 'int', default: 2000, min: 100, max: 10_000_000, description: 'trials per case, full method' },
  { flag: 'trials-reduced', kind: 'int', default: 20000, min: 100, max: 10_000_000, description: 'trials per case, reduced method' },
  { flag: 'seed', kind: 'int', default: 0, min: 0, max: 0xfffff000, description: 'seed of case 0 (case i uses seed + i)' },
  { flag: 'backend', kind: 'enum', default: 'auto', choices: ['auto', ...BACKENDS], description: 'gpu.js backend' },
  { flag: 'only', kind: 'string', meta: 'text', description: 'run only the cases whose name contains this text' },
  { flag: 'quick', kind: 'boolean', description: 'fewer trials (full 500, reduced 5000): wider bands, same false-failure rate' },
];

function option(flags: Record<string, unknown>, flag: string): unknown {
  const spec = VERIFY_OPTIONS.find((o) => o.flag === flag) as OptionSpec;
  const value = flags[flag];
  return value === undefined ? (spec as { default?: unknown }).default : parseOption(spec, value);
}

export async function verifyCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  const quick = Boolean(flags.quick);
  const trials = {
    full: flags['trials-full'] === undefined && quick ? 500 : (option(flags, 'trials-full') as number),
    reduced: flags['trials-reduced'] === undefined && quick ? 5000 : (option(flags, 'trials-reduced') as number),
  };
  const seed = option(flags, 'seed') as number;
  const only = flags.only === undefined ? undefined : (option(flags, 'only') as string);
  const cases = builtInCases().filter((c) => only === undefined || c.name.includes(only));
  if (cases.length === 0) throw new UsageError(`--only ${JSON.stringify(only)} matches no case; cases look like "accumulate full d=32 T=100 σ²=1"`);
  if (flags.out) checkOutDir(flags.out, Boolean(flags.force));
  const backend = await selectBackend(option(flags, 'backend') as BackendRequest);
  const say = (text: string) => {
    if (!flags.json && !flags.quiet) process.stdout.write(text);
  };
  let report: VerifyReport;
  try {
    say(`collapse verify: ${cases.length} cases on ${backend.name} (${backend.reason}); trials full ${trials.full}, reduced ${trials.reduced}\n`);
    report = await runVerify({
      trials,
      seed,
      backend,
      cases,
      onCase: (index, total, v) =>
        say(`[${String(index + 1).padStart(2)}/${total}] ${v.pass ? 'PASS' : 'FAIL'}  ${v.name}  max|z| ${v.maxAbsZ.toFixed(2)}  max|z|X| ${v.maxAbsZConditional.toFixed(2)}  (${v.report.seconds.toFixed(1)} s)\n`),
    });
  } finally {
    await backend.destroy();
  }
  const json = {
    pass: report.pass,
    zStar: report.zStar,
    familyFalseFailure: report.familyFalseFailure,
    checks: report.checks,
    seconds: report.seconds,
    backend: backend.name,
    backendReason: backend.reason,
    cases: report.cases.map((v) => ({ name: v.name, pass: v.pass, maxAbsZ: v.maxAbsZ, maxAbsZConditional: v.maxAbsZConditional, growth: v.growth, expectedGrowth: v.expectedGrowth, failures: v.failures, run: toJson(v.report) })),
  };
  if (flags.out) {
    writeRunDir(
      flags.out,
      {
        'verify.json': JSON.stringify(json, null, 2) + '\n',
        'environment.json': JSON.stringify(environment({ backend: backend.name, backendReason: backend.reason, trials, seed }), null, 2) + '\n',
      },
      Boolean(flags.force),
    );
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(json) + '\n');
  } else {
    const rows = report.cases.map((v) => {
      const last = v.report.iterations[v.report.iterations.length - 1];
      const expectedGrowth = v.report.accumulateBound !== null ? 'π²/6 = 1.645' : v.expectedGrowth.toFixed(3);
      return [v.pass ? 'PASS' : 'FAIL', v.name, fmt(last.mean), fmt(last.theory), v.maxAbsZ.toFixed(2), v.maxAbsZConditional.toFixed(2), `${v.growth.toFixed(3)} (${expectedGrowth})`];
    });
    process.stdout.write(
      '\n' +
        table(['verdict', 'case', 'mean at n_max', 'theory', 'max|z|', 'max|z|X|', 'growth (expected)'], rows) +
        `\n\n${report.cases.filter((v) => v.pass).length}/${report.cases.length} cases pass; ${report.checks} checks at |z| < ${report.zStar.toFixed(2)} ` +
        `(family false-failure < ${report.familyFalseFailure}); ${report.seconds.toFixed(1)} s\n` +
        'growth: accumulate = largest mean_n / first theory (bounded by π²/6); others = mean_N / mean_1 (theory: replace N, the rest from the exact recursion)\n',
    );
    for (const v of report.cases.filter((c) => !c.pass)) process.stdout.write(`FAIL ${v.name}: ${v.failures.slice(0, 5).join('; ')}\n`);
  }
  return report.pass ? EXIT.ok : EXIT.verifyFailed;
}
