/**
 * `collapse loop --family external --spec FILE`: your own model family, in any language, through the generation loop
 * under every strategy. With --out DIR the run lives in a run directory (manifest, config, environment, results JSON
 * and CSV; a checkpoint after every generation); --resume DIR continues it where it stopped.
 */
import { withConfigFile } from '../core/config-file.js';
import { inspectRun, preflightOut, type Checkpoint, type Manifest } from '../core/run-store.js';
import { parseOption } from '../core/schema.js';
import { checkLoopState, LOOP_OPTIONS, loadLoopSpec, loopCsv, runExternalLoop, validateLoopConfig, type ExternalLoopConfig, type LoopReport } from '../experiments/external.js';
import { Interrupted, interruptedLine, watchSignals } from './interrupt.js';
import type { CommonFlags } from './linear.js';
import { environment } from '../core/environment.js';
import { fmt, progressReporter, table } from './output.js';
import { configFromManifest, openRun, rejectResumeConflicts } from './resume.js';

export { LOOP_OPTIONS };

const pathFlag = (flag: 'out' | 'config' | 'resume', value: unknown) => parseOption({ flag, kind: 'string', meta: 'path', description: '' }, value) as string;

function checkResume(dir: string, flags: Record<string, unknown>) {
  return (manifest: Manifest, checkpoint: Checkpoint<unknown> | null) => {
    const config = configFromManifest(manifest, dir, flags, LOOP_OPTIONS, validateLoopConfig, (spec, raw) => (spec.flag === 'strategy' ? validateLoopConfig({ spec: 'x', strategy: raw }).strategy : parseOption(spec, raw)));
    const spec = loadLoopSpec(config);
    const state = checkpoint ? checkLoopState(checkpoint.state, config, spec, dir) : undefined;
    const done = state ? Object.keys(state.completed).length : 0;
    return { resumedFrom: state ? `trajectory ${done + 1} of ${config.strategy.length * config.seeds}` : 'the start (no checkpoint had been written)', checked: { config, spec, state, elapsed: checkpoint?.elapsedSeconds ?? 0 } };
  };
}

export async function loopCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  let config: ExternalLoopConfig;
  let dir: string | undefined;
  const resuming = flags.resume !== undefined;
  if (resuming) {
    dir = pathFlag('resume', flags.resume);
    rejectResumeConflicts(flags, dir);
    config = inspectRun(dir, 'loop', checkResume(dir, flags)).checked.config; // read-only first
  } else {
    const raw = Object.fromEntries(LOOP_OPTIONS.map((spec) => [spec.flag, flags[spec.flag]]));
    const configFile = flags.config === undefined ? undefined : pathFlag('config', flags.config);
    config = withConfigFile(configFile, raw, LOOP_OPTIONS, 'loop', validateLoopConfig);
    dir = flags.out === undefined ? undefined : pathFlag('out', flags.out);
    if (dir !== undefined) preflightOut(dir, Boolean(flags.force));
  }
  const spec = loadLoopSpec(config);
  const backendReason = `external family ${spec.name}: its own program, one process per call (${spec.file})`;
  const { store, checked, priorSeconds } = openRun(dir, resuming, 'loop', checkResume(dir as string, {}), {
    force: Boolean(flags.force),
    run: { command: 'loop', config: { ...config }, seed: config.seed, backend: 'external', backendReason },
  });
  const watch = watchSignals();
  try {
    if (!resuming) store?.writeJson('config.json', config);
    const progress = progressReporter(Boolean(flags.quiet) || Boolean(flags.json), `loop ${spec.name}`);
    let report: LoopReport;
    try {
      report = await runExternalLoop(config, spec, {
        store,
        resume: checked?.state ? { state: checked.state, label: dir as string, elapsedSeconds: priorSeconds } : undefined,
        signal: watch.signal,
        onProgress: progress,
      });
    } finally {
      progress.end();
    }
    if (store) {
      store.writeJson('environment.json', environment({ backend: 'external', backendReason, spec: spec.file, specSha256: spec.sha256 }));
      store.writeJson('results.json', report);
      store.writeText('results.csv', loopCsv(report));
      store.finish('complete'); // last: a manifest that says complete has its results beside it
    }
    process.stdout.write(flags.json ? JSON.stringify(report) + '\n' : render(report, dir));
    return 0;
  } catch (error) {
    const interrupted = error instanceof Interrupted ? error : watch.interrupted();
    store?.finish(interrupted ? 'interrupted' : 'failed', interrupted ? undefined : error instanceof Error ? error.message : String(error));
    if (interrupted) {
      process.stderr.write(interruptedLine('loop', store ? dir : undefined) + '\n');
      return interrupted.exitCode;
    }
    throw error;
  } finally {
    watch.dispose();
  }
}

function render(report: LoopReport, out?: string): string {
  const c = report.config;
  const names = [...new Set(report.strategies.flatMap((s) => s.iterations.flatMap((r) => Object.keys(r.metrics))))];
  const header = ['strategy', 'n', ...names.flatMap((n) => [n, 'stderr'])];
  const rows = report.strategies.flatMap((s) =>
    s.iterations.map((r) => [s.strategy, String(r.iteration), ...names.flatMap((n) => [fmt(r.metrics[n]?.mean ?? null), fmt(r.metrics[n]?.stderr ?? null, 3)])]),
  );
  const lines = [
    `collapse loop: family ${report.family.name} (external), ${c.strategy.join(', ')}, m=${c.samples}, ${c['test-samples']} held-out items, ${c.iterations} iterations, seeds ${c.seed}…${c.seed + c.seeds - 1}`,
    `${report.seconds.toFixed(2)} s; the mean of every metric over the ${c.seeds} seeds and its standard error (Monte Carlo only: no closed form is known for a family collapse-lab cannot see); primary metric ${report.metric} (iterations[].mean)`,
    '',
    table(header, rows),
  ];
  if (out) lines.push('', `wrote ${out}/{config.json, environment.json, results.json, results.csv}`);
  return lines.join('\n') + '\n';
}
