/**
 * Ctrl-C and SIGTERM: the first signal aborts the work through an AbortSignal (commands stop at their next
 * checkpoint boundary, flush, say how to resume and exit 130/143); a second one exits at once — every file on disk
 * is written atomically, so what is there stays consistent.
 */

export const INTERRUPT_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
export type InterruptSignal = keyof typeof INTERRUPT_EXIT;

/** The reason an interrupted command's AbortSignal carries. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
  constructor(readonly signal: InterruptSignal) {
    super(`interrupted by ${signal}`);
  }
  get exitCode(): number {
    return INTERRUPT_EXIT[this.signal];
  }
}

export interface SignalWatch {
  readonly signal: AbortSignal;
  /** the Interrupted reason once a signal arrived, else null */
  interrupted(): Interrupted | null;
  dispose(): void;
}

/** Watch SIGINT/SIGTERM until dispose(). */
export function watchSignals(): SignalWatch {
  const controller = new AbortController();
  const handlers = (Object.keys(INTERRUPT_EXIT) as InterruptSignal[]).map((name) => {
    const handler = () => {
      if (controller.signal.aborted) {
        process.stderr.write(`collapse: ${name} again; stopping now (files already written are complete)\n`);
        process.exit(INTERRUPT_EXIT[name]);
      }
      controller.abort(new Interrupted(name));
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    interrupted: () => (controller.signal.aborted ? (controller.signal.reason as Interrupted) : null),
    dispose() {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}

const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The one line an interrupted command prints. */
export function interruptedLine(command: string, dir: string | undefined, resumable = true): string {
  if (dir === undefined) return 'collapse: interrupted; nothing was saved (run with --out DIR to make a run resumable)';
  if (!resumable) return `collapse: interrupted; ${dir} is marked interrupted (collapse ${command} keeps no checkpoints; rerun it with --force)`;
  return `collapse: interrupted; resume with: npx collapse ${command} --resume ${shellWord(dir)}`;
}
