/**
 * Entry of a `collapse neural` child process (forked by src/cli/neural.ts with the job as JSON in argv[2]): runs one
 * part and reports over IPC — one message per generation, then `done` with the report or `error` with the exit
 * code and one line. SIGINT/SIGTERM from the parent stop it after the generation in progress, whose predecessor's
 * checkpoint is already on disk. A parent that vanishes (SIGKILL) takes the child with it at once (dieWithParent).
 */
import { Worker } from 'node:worker_threads';
import { describeError, runPartHere, type PartJob, type PartMessage } from './neural-part.js';
import { Interrupted, watchSignals } from './interrupt.js';

/**
 * A fit is seconds of synchronous tfjs work during which this thread runs no timer, so a ppid poll here (as
 * src/sweep/orphan-guard.ts does) would let an orphan finish its fit and hold its lock for 5–15 s. A watchdog thread
 * has its own event loop: when this process is re-parented it SIGKILLs it within ~0.1 s. Nothing is lost: every file
 * is written atomically, the last generation's checkpoint is on disk, and the lock of a dead pid is stale.
 */
function dieWithParent(parent: number): void {
  const code = `const { workerData } = require('node:worker_threads');
setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 100);`;
  new Worker(code, { eval: true, workerData: parent }).unref();
}

const job = JSON.parse(process.argv[2] ?? 'null') as PartJob;
const watch = watchSignals();
const controller = new AbortController();
watch.signal.addEventListener('abort', () => controller.abort(watch.signal.reason));
dieWithParent(process.ppid);
process.on('disconnect', () => controller.abort(new Interrupted('SIGTERM'))); // the parent let go of its child
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
