/**
 * Preloaded into every cell's child process (`node --import …/orphan-guard.js`): if the worker that started it dies
 * (SIGKILL, a lost machine), the child is re-parented; it then stops itself with SIGTERM, so it flushes its checkpoint
 * and releases the cell's lock for the worker that picks the cell up again. Node has no parent-death signal.
 */
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch); // once: a second SIGTERM would make the command exit before its checkpoint is flushed
  process.kill(process.pid, 'SIGTERM');
}, 100);
watch.unref();
