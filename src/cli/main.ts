/** The `collapse` command line: one file per command; here the parser, and error classes mapped to exit codes. */
import { Command, CommanderError, Option } from 'commander';
import { echo, environmentFault, EXIT, NumericError, UsageError } from '../core/errors.js';
import { packageVersion } from '../core/provenance.js';
import { didYouMean } from '../core/suggest.js';
import { describeOption, type OptionSpec } from '../core/schema.js';
import { mark, printTiming } from '../core/timing.js';
import { Interrupted } from './interrupt.js';

const OUTPUT_OPTIONS: readonly OptionSpec[] = [
  { flag: 'json', kind: 'boolean', description: 'print one JSON object instead of the table' },
  { flag: 'out', kind: 'string', meta: 'dir', description: 'also write the run to this directory (manifest, config, environment, results JSON and CSV; checkpoints where the command has them)' },
  { flag: 'force', kind: 'boolean', description: 'replace an existing non-empty --out directory (never one a live run holds)' },
  { flag: 'quiet', kind: 'boolean', description: 'no progress on stderr' },
  { flag: 'debug', kind: 'boolean', description: 'print stack traces of internal errors' },
];
const CONFIG_OPTION: OptionSpec = { flag: 'config', kind: 'string', meta: 'file', description: 'read options from a JSON or YAML file (keys are the option names); flags override it' };
const RESUME_OPTION: OptionSpec = { flag: 'resume', kind: 'string', meta: 'dir', description: 'continue the interrupted run in this --out directory (configuration from its manifest)' };

/** What a command supports beyond the output options: --config FILE, --resume DIR. */
interface Features {
  config?: boolean;
  resume?: boolean;
  /** positional arguments, e.g. ['<action>', '<file>']: the handler gets them as flags.args */
  args?: readonly string[];
  /** the command declares its own --out/--json/--quiet/--debug (they mean something else there) */
  ownOutput?: boolean;
}

function addOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    const { flags, help } = describeOption(spec);
    const def = 'default' in spec && spec.default !== undefined ? ` (default ${spec.default})` : '';
    // values stay raw strings here; the schema validates them, so every error names the flag and the allowed range
    command.addOption(new Option(flags, help + def));
  }
  return command;
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type Handler = (flags: Record<string, unknown>) => Promise<number>;

/**
 * The commands, each loaded only when it runs: a command's module pulls in its whole stack (tfjs for neural, Plotly
 * and the browser for figures, BullMQ for sweeps), and every short `collapse linear` paid for all of them.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  features?: Features;
  load(): Promise<{ specs: readonly OptionSpec[]; handler: Handler }>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'linear', summary: 'Monte Carlo of fixed-design linear regression under a strategy, against its closed form', features: { config: true, resume: true }, load: () => import('./linear.js').then((m) => ({ specs: m.LINEAR_OPTIONS, handler: m.linearCommand })) },
  { name: 'gaussian', summary: 'recursive Gaussian fitting (or --model kde) under a strategy, through the generation loop, against its closed forms', features: { config: true, resume: true }, load: () => import('./gaussian.js').then((m) => ({ specs: m.GAUSSIAN_OPTIONS, handler: m.gaussianCommand })) },
  { name: 'categorical', summary: 'categorical (token) resampling — Zipf or SUBTLEX-US word counts — under a strategy, through the generation loop, against its exact collision probability', features: { config: true, resume: true }, load: () => import('./categorical.js').then((m) => ({ specs: m.CATEGORICAL_OPTIONS, handler: m.categoricalCommand })) },
  { name: 'strong', summary: 'strong model collapse: a share of labels from a shifted teacher puts a floor under least squares (scaling table and chain), exact theory beside Monte Carlo', features: { config: true, resume: true }, load: () => import('./strong.js').then((m) => ({ specs: m.STRONG_OPTIONS, handler: m.strongCommand })) },
  { name: 'curate', summary: 'linear regression with a verifier (projecting, or filtering by residual) through the generation loop: Monte Carlo beside the exact theory and the long-run limit', features: { config: true, resume: true }, load: () => import('./curate.js').then((m) => ({ specs: m.CURATE_OPTIONS, handler: m.curateCommand })) },
  { name: 'neural', summary: 'neural families (lm, vae, diffusion) under replace, accumulate or any strategy: test loss per generation', features: { config: true, resume: true }, load: () => import('./neural.js').then((m) => ({ specs: m.NEURAL_OPTIONS, handler: m.neuralCommand })) },
  { name: 'loop', summary: 'your own model family (--family external --spec FILE: a program in any language) through the generation loop under every strategy', features: { config: true, resume: true }, load: () => import('./loop.js').then((m) => ({ specs: m.LOOP_OPTIONS, handler: m.loopCommand })) },
  { name: 'verify', summary: 'run the built-in grid of cases and give PASS/FAIL against theory', features: { config: true, resume: true }, load: () => import('./verify.js').then((m) => ({ specs: m.VERIFY_OPTIONS, handler: m.verifyCommand })) },
  { name: 'sweep', summary: 'run a grid of cells (sweep run FILE), show its state (sweep status FILE), gather its results (sweep collect FILE)', features: { args: ['<action>', '<file>'], ownOutput: true }, load: () => import('./sweep.js').then((m) => ({ specs: m.SWEEP_OPTIONS, handler: m.sweepCommand })) },
  { name: 'worker', summary: 'take sweep cells from a BullMQ queue on Redis (collapse sweep run FILE --queue URL) and run them', features: { ownOutput: true }, load: () => import('./worker.js').then((m) => ({ specs: m.WORKER_OPTIONS, handler: m.workerCommand })) },
  { name: 'theory', summary: 'exact error factors of a strategy per iteration, its limit, and with --optimize the best parameter (no Monte Carlo)', features: { ownOutput: true }, load: () => import('./theory.js').then((m) => ({ specs: m.THEORY_OPTIONS, handler: m.theoryCommand })) },
  { name: 'figures', summary: 'the figure gallery: Plotly HTML, PNG, SVG and PDF, data as CSV and JSON, index.html', features: { resume: true }, load: () => import('./figures.js').then((m) => ({ specs: m.FIGURES_OPTIONS, handler: m.figuresCommand })) },
];

let pipeWatched = false;
/**
 * `collapse … | head -1`: once the reader is gone, a write fails with EPIPE (an 'error' event, or an exception out of
 * the next write): stop quietly, as Unix tools do, instead of a stack trace. Files are written atomically, so a run
 * directory is left as a killed run leaves it (resumable).
 */
function exitQuietlyOnBrokenPipe(): void {
  if (pipeWatched) return;
  pipeWatched = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(EXIT.ok);
      throw error;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  mark('main');
  exitQuietlyOnBrokenPipe();
  let code: number = EXIT.ok;
  let debug = argv.includes('--debug');
  const program = new Command('collapse')
    .description('model collapse under replace vs accumulate: closed-form theory and gpu.js Monte Carlo')
    .version(packageVersion(), '-V, --version', 'print the version of collapse-lab and exit')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: () => undefined });
  const register = (name: string, summary: string, specs: readonly OptionSpec[], handler: Handler, features: Features = {}) => {
    const all = [...specs, ...(features.ownOutput ? [] : OUTPUT_OPTIONS), ...(features.config ? [CONFIG_OPTION] : []), ...(features.resume ? [RESUME_OPTION] : [])];
    const command = addOptions(program.command(name).description(summary), all);
    const args = features.args ?? [];
    for (const arg of args) command.argument(arg);
    command.exitOverride().configureOutput({ writeErr: () => undefined }).action(async (...values: unknown[]) => {
      const parsed = values[args.length] as Record<string, unknown>;
      // commander camel-cases '--trials-full'; the schema and the handlers speak the flag names
      const flags: Record<string, unknown> = {};
      for (const spec of all) flags[spec.flag] = parsed[camel(spec.flag)];
      if (args.length > 0) flags.args = values.slice(0, args.length);
      debug = Boolean(flags.debug);
      code = await handler(flags);
    });
  };
  try {
    // the named command alone, so only its modules load; anything else (help, a typo, no command) needs them all
    const named = COMMANDS.find((entry) => entry.name === argv[0]);
    for (const entry of named ? [named] : COMMANDS) {
      const { specs, handler } = await entry.load();
      register(entry.name, entry.summary, specs, handler, entry.features);
    }
    mark('commandLoaded');
    // no command: the help, as a first look (exit 0); an unknown command is still a usage error
    if (argv.length === 0) {
      process.stdout.write(program.helpInformation());
      return EXIT.ok;
    }
    const names = program.commands.map((c) => c.name());
    if (argv[0] === 'help' && argv.length > 1 && !names.includes(argv[1])) {
      // commander prints nothing and exits 0 here
      throw new UsageError(`help: no command ${JSON.stringify(echo(argv[1], 40))}; commands: ${names.join(', ')}${didYouMean(argv[1], names)}`);
    }
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    return report(error, debug);
  } finally {
    printTiming();
  }
}

/** Messages may quote user input (paths, values): keep the promise of one line on stderr. */
const oneLine = (text: string) => echo(text.replace(/\s*[\r\n]+\s*/g, ' '), 2000);

function report(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
    const text = echo(error.message.replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)/, " (did you mean $1?)").split('\n')[0], 300);
    process.stderr.write(`collapse: ${text}\n`);
    return EXIT.usage;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`collapse: ${oneLine(error.message)}\n`);
    return EXIT.usage;
  }
  if (error instanceof NumericError) {
    process.stderr.write(`collapse: numeric fault: ${oneLine(error.message)}\n`);
    return EXIT.numeric;
  }
  if (error instanceof Interrupted) {
    process.stderr.write('collapse: interrupted\n');
    return error.exitCode;
  }
  if ((error as NodeJS.ErrnoException | null)?.code === 'EPIPE') process.exit(EXIT.ok); // see exitQuietlyOnBrokenPipe
  const fault = environmentFault(error);
  if (fault !== null) {
    process.stderr.write(`collapse: ${oneLine(fault)}\n`);
    return EXIT.environment;
  }
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  process.stderr.write(debug && error instanceof Error ? `${error.stack}\n` : `collapse: internal error: ${message} (rerun with --debug for the stack)\n`);
  return EXIT.bug;
}
