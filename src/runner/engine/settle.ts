// How the runner waits on a task it may have to stop: a timeout or Ctrl-C ends the wait at once,
// but the task itself is still given a bounded time to finish what it started.
import { sleep } from './abort.js';

// After a timeout or Ctrl-C a task gets this long to stop cleanly (Terraform releasing its state
// lock, an in-flight request finishing) before the run moves on without it.
const STOP_GRACE_MS = 65_000;

/**
 * The task's promise, or the abort (timeout, Ctrl-C) if that comes first; after an abort the task
 * is still awaited, up to a grace period, so that nothing it started is left half-done behind us.
 */
export async function settleOrAbort<T>(work: Promise<T>, aborted: Promise<never>, log: (m: string) => void): Promise<T> {
  try {
    return await Promise.race([work, aborted]);
  } catch (e) {
    let finished = false;
    const grace = new Promise<void>((resolve) => {
      const t = setTimeout(resolve, STOP_GRACE_MS);
      t.unref();
      work.then(
        () => {
          finished = true;
          clearTimeout(t);
          resolve();
        },
        () => {
          finished = true;
          clearTimeout(t);
          resolve();
        },
      );
    });
    await Promise.race([grace, new Promise<void>((r) => setImmediate(r))]);
    if (!finished) {
      log('waiting for the task to stop cleanly');
      await grace;
      if (!finished) log(`the task did not stop within ${STOP_GRACE_MS / 1000}s; moving on`);
    }
    throw e;
  }
}

/** waits ms, or less if the signal aborts (a retry delay must not hold up Ctrl-C) */
export const sleepUnlessAborted = (ms: number, signal: AbortSignal): Promise<void> => sleep(ms, signal).catch(() => undefined);
