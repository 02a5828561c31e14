// The one poll loop for task types: ask, and when the answer is not final yet, wait a quarter of
// the time waited so far (between minMs and maxMs) and ask again. News of the final state is then
// never late by more than a quarter of the wait, and a slow operation is asked about less and
// less. Progress is reported on every round; Ctrl-C and the task timeout (the signal) stop the
// wait at once; the deadline ends it with a TaskError naming what was awaited. A caller with its
// own cadence (a user-set backoff) passes `delayMs`; a round that knows when the answer is due
// (an expected completion time) says `soonMs`, and the next look is not later than that.
import { sleep } from '../../runner/engine/abort.js';
import { TaskError } from './task-error.js';

export interface PollOptions {
  /** what is awaited, for messages: "Route 53 change C123 to be INSYNC" */
  what: string;
  signal: AbortSignal;
  /** shortest delay between rounds (ms, default 200) */
  minMs?: number;
  /** longest delay between rounds (ms, default 5000) */
  maxMs?: number;
  /** give up after (ms, default 10 minutes) */
  timeoutMs?: number;
  /** told the state after each round that was not final */
  progress?: (state: string, waitedMs: number) => void;
  /** added to the message when the wait is stopped: what happens to the operation then */
  onStop?: string;
  /** the pause before round `round` + 1 (counted from 1), instead of a quarter of the time waited */
  delayMs?: (round: number, waitedMs: number) => number;
}

/** one round's answer: `done` with the value, or the state to report while waiting */
export type PollRound<T> = { done: true; value: T } | { done: false; state: string; soonMs?: number };

export async function poll<T>(options: PollOptions, round: () => Promise<PollRound<T>>): Promise<T> {
  const started = Date.now();
  const min = options.minMs ?? 200;
  const max = options.maxMs ?? 5000;
  const timeout = options.timeoutMs ?? 600_000;
  const stopped = (state: string) =>
    new TaskError(`stopped waiting for ${options.what} (${state})${options.onStop ? `; ${options.onStop}` : ''}`, { code: 'stopped' });
  let last = 'not asked yet';
  for (let asked = 1; ; asked++) {
    let r: PollRound<T>;
    try {
      r = await round();
    } catch (e) {
      if (options.signal.aborted) throw stopped(last);
      throw e;
    }
    if (r.done) return r.value;
    last = r.state;
    const waited = Date.now() - started;
    if (waited > timeout) {
      throw new TaskError(`${options.what}: still ${r.state} after ${Math.round(waited / 1000)} s`, { code: 'timeout', retryable: true });
    }
    options.progress?.(r.state, waited);
    try {
      const planned = options.delayMs ? options.delayMs(asked, waited) : Math.min(Math.max(waited / 4, min), max);
      await sleep(r.soonMs === undefined ? planned : Math.min(planned, Math.max(min, r.soonMs)), options.signal);
    } catch {
      throw stopped(last);
    }
  }
}
