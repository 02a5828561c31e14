// Waiting for a Route 53 change to reach every name server (GetChange PENDING -> INSYNC), with
// a progress line and prompt stop on Ctrl-C or the task timeout. Each poll waits a quarter of
// the time waited so far (at least the first delay, at most the longest): the news of INSYNC is
// never late by more than a quarter of the wait, and a slow change is asked about less and less.
import { GetChangeCommand, type Route53Client } from '@aws-sdk/client-route-53';
import type { Context } from '../../runner/types.js';
import { sleep } from '../../runner/engine/abort.js';


export interface SyncOptions {
  /** shortest poll delay (ms, default 200: Route 53 allows five GetChange calls a second per account) */
  minMs?: number;
  /** longest poll delay (ms, default 5000) */
  maxMs?: number;
  /** give up after (ms, default 10 minutes) */
  timeoutMs?: number;
}

export async function waitInsync(ctx: Context, r53: Route53Client, changeId: string, opts: SyncOptions = {}): Promise<void> {
  const started = Date.now();
  const min = opts.minMs ?? 200;
  const max = opts.maxMs ?? 5000;
  const timeout = opts.timeoutMs ?? 600_000;
  for (;;) {
    let status: string | undefined;
    try {
      status = (await r53.send(new GetChangeCommand({ Id: changeId }), { abortSignal: ctx.signal })).ChangeInfo?.Status;
    } catch (e) {
      if (ctx.signal.aborted) throw new Error(`stopped waiting for Route 53 change ${changeId}; it was submitted and completes on its own`);
      throw e;
    }
    const secs = Math.round((Date.now() - started) / 1000);
    if (status === 'INSYNC') {
      ctx.log(`Route 53 change ${changeId} INSYNC after ${secs} s`);
      return;
    }
    if (Date.now() - started > timeout) throw new Error(`Route 53 change ${changeId} still ${status} after ${secs} s`);
    ctx.progress(`Route 53 change ${changeId}: ${status ?? 'unknown'} (${secs} s)`);
    const waited = Date.now() - started;
    try {
      await sleep(Math.min(Math.max(waited / 4, min), max), ctx.signal);
    } catch {
      throw new Error(`stopped waiting for Route 53 change ${changeId} (${status}); it was submitted and completes on its own`);
    }
  }
}
