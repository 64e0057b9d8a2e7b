import type { Worker } from 'node:worker_threads';

/**
 * Asks a store worker thread to close its connection and exit (it is sent `'stop'`), held until it
 * has (a process otherwise idle must wait for it), and terminated if it has not after 2 s.
 */
export function stopWorker(worker: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2000);
    timer.unref();
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.ref();
    worker.postMessage('stop');
  });
}
