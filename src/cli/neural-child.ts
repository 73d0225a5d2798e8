/**
 * Entry of a `collapse neural` child process (forked by src/cli/neural.ts with the job as JSON in argv[2]): runs one
 * part and reports over IPC — one message per generation, then `done` with the report or `error` with the exit
 * code and one line. SIGINT/SIGTERM from the parent, or the parent vanishing (IPC disconnect, e.g. a SIGKILL),
 * stop it after the generation in progress, whose predecessor's checkpoint is already on disk.
 */
import { describeError, runPartHere, type PartJob, type PartMessage } from './neural-part.js';
import { Interrupted, watchSignals } from './interrupt.js';

const job = JSON.parse(process.argv[2] ?? 'null') as PartJob;
const watch = watchSignals();
const controller = new AbortController();
watch.signal.addEventListener('abort', () => controller.abort(watch.signal.reason));
const parent = process.ppid;
const orphaned = () => controller.abort(new Interrupted('SIGTERM'));
process.on('disconnect', orphaned);
// a parent killed with SIGKILL: re-parented (ppid changes) even where the IPC close goes unnoticed
setInterval(() => process.ppid !== parent && orphaned(), 1000).unref();
const send = (message: PartMessage) => new Promise<void>((resolve) => (process.connected && process.send ? process.send(message, () => resolve()) : resolve()));

let code = 0;
try {
  const report = await runPartHere(job, controller.signal, (message) => void send(message));
  await send({ type: 'done', part: job.part.part, report });
} catch (error) {
  const described = describeError(error);
  code = described.code;
  await send({ type: 'error', part: job.part.part, ...described });
} finally {
  watch.dispose();
}
if (process.connected) process.disconnect();
process.exitCode = code;
