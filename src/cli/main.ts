/** The `collapse` command line: one file per command; here the parser, and error classes mapped to exit codes. */
import { Command, CommanderError, Option } from 'commander';
import { EXIT, NumericError, UsageError } from '../core/errors.js';
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
interface CommandEntry {
  name: string;
  summary: string;
  features?: Features;
  load(): Promise<{ specs: readonly OptionSpec[]; handler: Handler }>;
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'linear',
    summary: 'Monte Carlo of fixed-design linear regression under a strategy, against its closed form',
    features: { config: true, resume: true },
    load: async () => {
      const m = await import('./linear.js');
      return { specs: m.LINEAR_OPTIONS, handler: m.linearCommand };
    },
  },
  {
    name: 'gaussian',
    summary: 'recursive Gaussian fitting (or --model kde) under a strategy, through the generation loop, against its closed forms',
    features: { config: true, resume: true },
    load: async () => {
      const m = await import('./gaussian.js');
      return { specs: m.GAUSSIAN_OPTIONS, handler: m.gaussianCommand };
    },
  },
  {
    name: 'neural',
    summary: 'neural families (lm, vae, diffusion) under replace, accumulate or any strategy: test loss per generation',
    features: { config: true, resume: true },
    load: async () => {
      const m = await import('./neural.js');
      return { specs: m.NEURAL_OPTIONS, handler: m.neuralCommand };
    },
  },
  {
    name: 'verify',
    summary: 'run the built-in grid of cases and give PASS/FAIL against theory',
    features: { config: true, resume: true },
    load: async () => {
      const m = await import('./verify.js');
      return { specs: m.VERIFY_OPTIONS, handler: m.verifyCommand };
    },
  },
  {
    name: 'sweep',
    summary: 'run a grid of cells (sweep run FILE), show its state (sweep status FILE), gather its results (sweep collect FILE)',
    features: { args: ['<action>', '<file>'], ownOutput: true },
    load: async () => {
      const m = await import('./sweep.js');
      return { specs: m.SWEEP_OPTIONS, handler: m.sweepCommand };
    },
  },
  {
    name: 'worker',
    summary: 'take sweep cells from a BullMQ queue on Redis (collapse sweep run FILE --queue URL) and run them',
    features: { ownOutput: true },
    load: async () => {
      const m = await import('./worker.js');
      return { specs: m.WORKER_OPTIONS, handler: m.workerCommand };
    },
  },
  {
    name: 'figures',
    summary: 'the figure gallery: Plotly HTML, PNG and SVG, data as CSV and JSON, index.html',
    features: { resume: true },
    load: async () => {
      const m = await import('./figures.js');
      return { specs: m.FIGURES_OPTIONS, handler: m.figuresCommand };
    },
  },
];

export async function main(argv: string[]): Promise<number> {
  mark('main');
  let code: number = EXIT.ok;
  let debug = argv.includes('--debug');
  const program = new Command('collapse')
    .description('model collapse under replace vs accumulate: closed-form theory and gpu.js Monte Carlo')
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
    if (argv.length === 0) {
      process.stdout.write(program.helpInformation());
      return EXIT.usage;
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
const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, ' ');

function report(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
    const text = error.message.replace(/^error: /, '').replace(/\n\(Did you mean (.*)\?\)/, " (did you mean $1?)").split('\n')[0];
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
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  process.stderr.write(debug && error instanceof Error ? `${error.stack}\n` : `collapse: internal error: ${message} (rerun with --debug for the stack)\n`);
  return EXIT.bug;
}
