/**
 * `collapse neural`: the three neural families (src/models/neural/) under replace, accumulate or any strategy, the
 * paper's protocol (a fresh model per generation, m synthetic items per generation, test loss on held-out real
 * data). Each (family, strategy) pair is a part; parts run two at a time in child processes (tfjs-wasm is single-
 * threaded, so two processes use both cores; COLLAPSE_NEURAL_PROCESSES changes it), or here when there is one.
 *
 * With --out DIR: DIR/manifest.json (the whole configuration), DIR/runs/<part>/ one run directory per part
 * (src/cli/neural-part.ts: a checkpoint after every generation), and at the end DIR/results.json (the --json object),
 * results.csv, neural-collapse.json and neural-collapse.csv (the figure's data). --resume DIR continues every part
 * that is not complete from its last checkpointed generation, bit-identical to a run never stopped (same backend).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NumericError, UsageError } from '../core/errors.js';
import type { Manifest, RunStore } from '../core/run-store.js';
import { parseOption, type OptionSpec } from '../core/schema.js';
import { buildNeuralFigure, neuralFigureCsv } from '../figures/neural-collapse.js';
import { resolveNeuralBackend, resumeNeuralBackend, storedNeuralBackend, type ResolvedNeuralBackend } from '../models/neural/backend.js';
import { checkEvery, DEFAULT_PATIENCE } from '../models/neural/converge.js';
import { neuralProfile } from '../experiments/profiles.js';
import { aggregateRun } from '../experiments/neural-seeds.js';
import { checkDataFiles, NEURAL_OPTIONS, neuralGroups, neuralParts, parseStrategyList, partDirName, validateNeuralConfig, type NeuralConfig, type NeuralPart, type NeuralPartReport } from '../experiments/neural.js';
import { Interrupted, type InterruptSignal } from './interrupt.js';
import { checkPartDir, partsCsv, partStatus, runPartHere, type PartJob, type PartMessage } from './neural-part.js';
import { environment } from '../core/environment.js';
import { fmt, table } from './output.js';
import { runCommand, type CommonFlags, type RunBackend, type RunContext } from './run-command.js';

export { NEURAL_OPTIONS };

const normalise = (spec: OptionSpec, raw: unknown) => (spec.flag === 'strategy' ? parseStrategyList(raw) : spec.flag === 'model' ? validateNeuralConfig({ model: raw }).model : parseOption(spec, raw));

/**
 * The --json object: one report per curve, keyed `<model>-<strategy>` (e.g. "vae-accumulate"), with `.<schedule>`
 * when several schedules ran; with --seeds K its iterations summarise the K trajectories (src/experiments/neural-seeds.ts).
 */
export type NeuralJson = Record<string, NeuralPartReport>;

/** The tfjs backend a run records (`tfjs-<name>`), with the choice the parts run on. */
type NeuralRunBackend = RunBackend & { resolved: ResolvedNeuralBackend };

export function neuralCommand(flags: Record<string, unknown> & CommonFlags): Promise<number> {
  let storedBackend: ResolvedNeuralBackend | undefined; // the resumed run's, read with its manifest
  return runCommand<NeuralConfig, undefined, { ordered: NeuralJson; width: number; seconds: number }, NeuralRunBackend>(
    {
      name: 'neural',
      options: NEURAL_OPTIONS,
      validate: validateNeuralConfig,
      normalise,
      checkManifest: (manifest: Manifest, dir: string) => {
        if (manifest.config.part !== undefined) {
          throw new UsageError(`--resume ${dir}: this is one part of a neural run; resume the run directory that holds its runs/ folder`);
        }
        storedBackend = { name: storedNeuralBackend(manifest.backend, dir), reason: '' };
      },
      checkState: (config, _checkpoint, dir) => {
        for (const part of neuralParts(config)) {
          // every part read-only before anything is written: a damaged part refuses the whole resume
          const partDir = join(dir, 'runs', partDirName(part.part));
          if (partStatus(partDir).status === 'started') checkPartDir({ part, dir: partDir, resume: true, backend: storedBackend as ResolvedNeuralBackend });
        }
        return { resumedFrom: 'each part from its last checkpointed generation', checked: undefined };
      },
      prepare: checkDataFiles,
      // before anything is written: one line if it cannot run; a resumed run keeps its own
      backend: async (config, stored, dir) => {
        const resolved = stored ? await resumeNeuralBackend(stored.name, stored.reason, dir as string) : await resolveNeuralBackend(config.backend);
        return { name: `tfjs-${resolved.name}`, reason: resolved.reason, resolved };
      },
      run: runParts,
      write: ({ ordered, width }, store, { backend }) => {
        store.writeJson('environment.json', environment({ backend: backend.name, backendReason: backend.reason, processes: width }));
        store.writeJson('results.json', ordered);
        store.writeText('results.csv', partsCsv(Object.values(ordered)));
        store.writeJson('neural-collapse.json', { data: Object.values(ordered), figure: buildNeuralFigure(Object.values(ordered)) });
        store.writeText('neural-collapse.csv', neuralFigureCsv(Object.values(ordered)));
      },
      print: ({ ordered, width, seconds }, { config, dir }) => {
        process.stdout.write(flags.json ? JSON.stringify(ordered) + '\n' : render(config, ordered, seconds, width, dir));
        return 0;
      },
    },
    flags,
  );
}

/** How many parts run at once. */
function processes(parts: number): number {
  const wanted = Number(process.env.COLLAPSE_NEURAL_PROCESSES ?? 2);
  return Math.max(1, Math.min(parts, Number.isInteger(wanted) && wanted >= 1 ? wanted : 2));
}

const childEntry = () => {
  const here = fileURLToPath(import.meta.url);
  return { path: here.replace(/neural\.(ts|js)$/, 'neural-child.$1'), execArgv: here.endsWith('.ts') ? ['--import', 'tsx'] : [] };
};

/** Run one part in a child process; resolves with its report, rejects with the error class its exit code means. */
function runPartInChild(job: PartJob, notify: (m: PartMessage) => void, children: Set<ChildProcess>): Promise<NeuralPartReport> {
  const entry = childEntry();
  // detached: a terminal's Ctrl-C reaches the parent only, which forwards exactly one signal
  const child = fork(entry.path, [JSON.stringify(job)], { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
  children.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let report: NeuralPartReport | undefined;
  let failure: { code: number; message: string } | undefined;
  child.on('message', (m: PartMessage) => {
    if (m.type === 'done') report = m.report;
    else if (m.type === 'error') failure = m;
    else notify(m);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (code === 0 && report) return resolve(report);
      const message = failure?.message ?? (stderr.trim().split('\n').pop() || `exited with ${signal ?? code}`);
      const exit = failure?.code ?? code ?? 1;
      if (exit === 130 || exit === 143) return reject(new Interrupted(exit === 130 ? 'SIGINT' : 'SIGTERM'));
      if (exit === 2) return reject(new UsageError(`${job.part.part}: ${message}`));
      if (exit === 3) return reject(new NumericError(`${job.part.part}: ${message}`));
      reject(new Error(`${job.part.part}: ${message}`));
    });
  });
}

/** Every part not complete yet, `processes()` at a time; the reports in the order of the configuration. */
async function runParts({ config, store, signal, quiet, backend }: RunContext<NeuralConfig, undefined, NeuralRunBackend>): Promise<{ ordered: NeuralJson; width: number; seconds: number }> {
  const started = performance.now();
  const parts = neuralParts(config);
  const children = new Set<ChildProcess>();
  const stop = () => {
    for (const child of children) child.kill((signal.reason as Interrupted).signal as InterruptSignal);
  };
  signal.addEventListener('abort', stop);
  try {
    const progress = progressLines(quiet, parts.length, config.iterations);
    const reports = new Map<string, NeuralPartReport>();
    const queue: PartJob[] = [];
    for (const part of parts) {
      const dir = store ? join(store.dir, 'runs', partDirName(part.part)) : undefined;
      const status = dir ? partStatus(dir) : { status: 'new' as const };
      if (status.status === 'complete') reports.set(part.part, status.report);
      else queue.push({ part, dir, resume: status.status === 'started', backend: backend.resolved });
    }
    const width = processes(queue.length);
    const runOne = (partJob: PartJob) => (width === 1 ? runPartHere(partJob, signal, progress) : runPartInChild(partJob, progress, children));
    const errors: unknown[] = [];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (signal.aborted || errors.length > 0) return;
        try {
          reports.set(next.part.part, await runOne(next));
        } catch (error) {
          errors.push(error);
          // one part failed: stop the others cleanly (they stay resumable); after a signal they already have theirs,
          // and a second one would make them exit at once, without marking their runs interrupted
          if (!(error instanceof Interrupted) && !signal.aborted) for (const child of children) child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
    progress.end();
    // a part's own error wins over the interruptions of the siblings it made the parent stop (and their exit 143)
    const failure = errors.find((e) => !(e instanceof Interrupted));
    if (failure !== undefined) throw failure;
    const interrupted = (signal.aborted ? (signal.reason as Interrupted) : undefined) ?? errors.find((e): e is Interrupted => e instanceof Interrupted);
    if (interrupted) throw interrupted;
    const ordered: NeuralJson = aggregateRun(neuralGroups(config), (part) => reports.get(part) as NeuralPartReport);
    for (const report of Object.values(ordered)) report.profile = neuralProfile(report);
    return { ordered, width, seconds: (performance.now() - started) / 1000 };
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

/** Progress on stderr: a live line on a terminal, one line per generation otherwise, nothing with --quiet/--json. */
function progressLines(quiet: boolean, parts: number, iterations: number): ((m: PartMessage) => void) & { end(): void } {
  const tty = process.stderr.isTTY === true;
  let done = 0;
  let drawn = false;
  const report = (m: PartMessage) => {
    if (m.type !== 'generation') return;
    done++;
    if (quiet) return;
    const text = `neural ${m.part}: generation ${m.n}/${iterations} loss ${fmt(m.metrics.loss ?? null)} (${m.seconds.toFixed(0)} s); ${done}/${parts * iterations} generations in all`;
    process.stderr.write(tty ? `\r\x1b[K${text}` : `${text}\n`);
    drawn = tty;
  };
  return Object.assign(report, {
    end() {
      if (drawn) process.stderr.write('\r\x1b[K');
    },
  });
}

/** What the paper reports, for trends only (our models are scaled-down stand-ins). */
const PAPER: Readonly<Record<string, string>> = {
  lm: 'paper (GPT-2 9M on TinyStories): test cross-entropy 1.82 → 2.39 after 4 replace iterations vs 1.74 accumulate',
  vae: 'paper (VAE on CelebA): test loss rises iteration after iteration under replace, stays near the first under accumulate',
  diffusion: 'paper (GeoDiff on GEOM-Drugs): test loss rises under replace, stays flat under accumulate',
};

/** Whether generation 1 clearly beats the family's target baseline (its whole 95% interval below it), per strategy. */
function beatsLine(parts: readonly NeuralPartReport[], base: NonNullable<NeuralPartReport['baselines']>): string {
  const target = base.values[base.target];
  const upper = (p: NeuralPartReport) => p.iterations[0].ci95?.[1] ?? p.iterations[0].mean;
  const losing = parts.filter((p) => !(upper(p) < target));
  if (losing.length === 0) return `  generation 1 beats the ${base.target} baseline (${fmt(target)}) under every strategy${parts[0].iterations[0].ci95 ? ' (its whole 95% interval below it)' : ''}`;
  return `  generation 1 does NOT beat the ${base.target} baseline (${fmt(target)}): ${losing.map((p) => `${p.strategy} ${withBand(p.iterations[0])}`).join(', ')} — undertrained at these sizes; read its trends with care`;
}

/** A loss with its 95% interval's half-width when there is one. */
const withBand = (row: { mean: number; ci95: [number, number] | null }) => (row.ci95 ? `${fmt(row.mean)} ± ${fmt((row.ci95[1] - row.ci95[0]) / 2)}` : fmt(row.mean));

const SCHEDULE_LABEL: Readonly<Record<string, string>> = {
  epochs: "the paper's protocol: passes over the pool, so accumulate's cost grows",
  steps: "matched compute: the same optimiser steps whatever the pool's size",
  converge: "early stopping on a validation split of each fit's own pool (never the test set); steps: where each fit stopped",
};

const scheduleText = (s: { kind: string; amount: number; patience?: number }) =>
  s.kind === 'converge' ? `≤ ${s.amount} steps (patience ${s.patience ?? DEFAULT_PATIENCE} checks, one every ${checkEvery(s.amount)} steps)` : `${s.amount} ${s.kind}`;

function render(config: NeuralConfig, reports: NeuralJson, seconds: number, width: number, out?: string): string {
  const seeds = config.seeds;
  const lines = [`collapse neural: ${config.model.join(', ')} × ${config.strategy.join(', ')}, ${config.iterations} iterations, seed ${config.seed}${seeds > 1 ? `, ${seeds} seeds` : ''}${config.quick ? ', --quick' : ''}; ${seconds.toFixed(1)} s, ${width} process${width === 1 ? '' : 'es'}`];
  lines.push('scaled-down stand-ins: compare trends with the paper, not absolute numbers');
  if (seeds > 1) {
    lines.push(`± is the half-width of a 95% Student-t interval over the ${seeds} seeds (t with ${seeds - 1} df; exact only for normal per-seed losses, so an approximation); replace − accumulate is paired seed by seed`);
  }
  const groups = neuralGroups(config);
  for (const model of config.model) {
    const mine = groups.filter((g) => g.model === model);
    const first = reports[mine[0].id];
    lines.push('', `${model}: ${first.metric}${/held-out/.test(first.metric) ? '' : ' on held-out real data'} (lower is better)`, `  ${first.standIn}`);
    if (PAPER[model]) lines.push(`  ${PAPER[model]}`);
    const base = first.baselines;
    if (base) {
      const refs = Object.entries(base.references ?? {}).map(([name, v]) => `; ${name} floor ${fmt(v)}`).join('');
      lines.push(`  baselines on the same test set (${base.description}${seeds > 1 ? `; means over the ${seeds} seeds` : ''}): ${Object.entries(base.values).map(([name, v]) => `${name} ${fmt(v)}`).join(', ')}${refs}`);
    }
    for (const schedule of [...new Set(mine.map((g) => g.schedule))]) {
      const parts = mine.filter((g) => g.schedule === schedule).map((g) => reports[g.id]);
      const kind = parts[0].schedule.kind;
      // the loss side by side, the paired difference, and at most two other metrics (--json and results.csv have them all)
      const difference = parts.find((p) => p.pairedDifference)?.pairedDifference;
      const names = [...new Set(parts.flatMap((p) => p.iterations.flatMap((r) => Object.keys(r.metrics))))].filter((n) => n !== 'loss');
      const extra = (kind === 'converge' ? ['steps', ...names.filter((n) => n !== 'steps')] : names).slice(0, 2);
      const header = ['n', ...config.strategy, ...(difference ? [`replace − ${difference.minus}`] : []), ...extra.flatMap((name) => config.strategy.map((s) => `${name} ${s}`))];
      const rows = Array.from({ length: config.iterations }, (_, i) => [
        String(i + 1),
        ...parts.map((p) => withBand(p.iterations[i])),
        ...(difference ? [withBand(difference.iterations[i])] : []),
        ...extra.flatMap((name) => parts.map((p) => fmt(p.iterations[i].metrics[name] ?? null))),
      ]);
      lines.push('', `  schedule ${schedule ?? kind}: ${parts.map((p) => `${p.strategy} ${scheduleText(p.schedule)}`).join(', ')} per fit (${SCHEDULE_LABEL[kind] ?? kind}); backend ${parts[0].backend}`);
      lines.push('', table(header, rows));
      if (base) lines.push(beatsLine(parts, base));
    }
  }
  if (out) lines.push('', `wrote ${out}/{manifest.json, results.json, results.csv, neural-collapse.json, neural-collapse.csv} and runs/<part>/ (checkpoints${config.model.includes('vae') ? ', vae samples/generation-<n>.png' : ''})`);
  return lines.join('\n') + '\n';
}
