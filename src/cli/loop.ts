/**
 * `collapse loop --family external --spec FILE`: your own model family, in any language, through the generation loop
 * under every strategy. With --out DIR the run lives in a run directory (manifest, config, environment, results JSON
 * and CSV; a checkpoint after every generation); --resume DIR continues it where it stopped.
 */
import { environment } from '../core/environment.js';
import { parseOption } from '../core/schema.js';
import { checkLoopState, LOOP_OPTIONS, loadLoopSpec, loopCsv, runExternalLoop, validateLoopConfig, type ExternalLoopConfig, type LoopReport, type LoopState } from '../experiments/external.js';
import type { ExternalSpec } from '../models/external/spec.js';
import { fmt, progressReporter, table } from './output.js';
import { runCommand, type CommonFlags, type RunBackend } from './run-command.js';

export { LOOP_OPTIONS };

/** The external program stands in for a backend: its spec goes with it to the run. */
interface ExternalBackend extends RunBackend {
  spec: ExternalSpec;
}

export function loopCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  return runCommand<ExternalLoopConfig, LoopState | undefined, LoopReport, ExternalBackend>(
    {
      name: 'loop',
      options: LOOP_OPTIONS,
      validate: validateLoopConfig,
      normalise: (spec, raw) => (spec.flag === 'strategy' ? validateLoopConfig({ spec: 'x', strategy: raw }).strategy : parseOption(spec, raw)),
      checkState: (config, checkpoint, dir) => {
        const spec = loadLoopSpec(config); // read whether or not there is a checkpoint: a resume needs the spec file
        const state = checkpoint ? checkLoopState(checkpoint.state, config, spec, dir) : undefined;
        const done = state ? Object.keys(state.completed).length : 0;
        return { resumedFrom: state ? `trajectory ${done + 1} of ${config.strategy.length * config.seeds}` : 'the start (no checkpoint had been written)', checked: state };
      },
      backend: (config) => {
        const spec = loadLoopSpec(config);
        return { name: 'external', reason: `external family ${spec.name}: its own program, one process per call (${spec.file})`, spec };
      },
      // the program got the terminal's Ctrl-C as well: whatever it failed with, the signal stopped the run
      signalExplainsFailure: true,
      run: async ({ config, backend, store, dir, resumed, priorSeconds, signal, quiet }) => {
        const progress = progressReporter(quiet, `loop ${backend.spec.name}`);
        try {
          return await runExternalLoop(config, backend.spec, { store, resume: resumed ? { state: resumed, label: dir as string, elapsedSeconds: priorSeconds } : undefined, signal, onProgress: progress });
        } finally {
          progress.end();
        }
      },
      write: (report, store, { backend }) => {
        store.writeJson('environment.json', environment({ backend: 'external', backendReason: backend.reason, spec: backend.spec.file, specSha256: backend.spec.sha256 }));
        store.writeJson('results.json', report);
        store.writeText('results.csv', loopCsv(report));
      },
      print: (report, { dir }) => {
        process.stdout.write(flags.json ? JSON.stringify(report) + '\n' : render(report, dir));
        return 0;
      },
    },
    flags,
  );
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
