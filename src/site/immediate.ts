/**
 * setImmediate for the browser build (injected by scripts/build-site.ts): the Monte Carlo yields to the event loop
 * with it between kernel calls. A MessageChannel message runs as a task without setTimeout's 4 ms clamp.
 */
const channel = new MessageChannel();
const queue: (() => void)[] = [];
channel.port1.onmessage = () => queue.shift()?.();

export function setImmediate(callback: (...args: unknown[]) => void, ...args: unknown[]): void {
  queue.push(() => callback(...args));
  channel.port2.postMessage(null);
}
