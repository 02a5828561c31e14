// Waiting for a Route 53 change to reach every name server (GetChange PENDING -> INSYNC) through
// the kit's poll(): a quarter of the time waited between asks, from 200 ms (Route 53 allows five
// GetChange calls a second per account) to 5 s, a progress line each round, and a prompt stop on
// Ctrl-C or the task timeout.
import { GetChangeCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { poll, type Context } from '../kit/index.js';

export async function waitInsync(ctx: Pick<Context, 'signal' | 'log' | 'progress'>, r53: Route53Client, changeId: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  await poll<void>(
    {
      what: `Route 53 change ${changeId} to be INSYNC`,
      signal: ctx.signal,
      timeoutMs,
      progress: (state, waited) => ctx.progress(`Route 53 change ${changeId}: ${state} (${Math.round(waited / 1000)} s)`),
      onStop: 'it was submitted and completes on its own',
    },
    async () => {
      const status = (await r53.send(new GetChangeCommand({ Id: changeId }), { abortSignal: ctx.signal })).ChangeInfo?.Status;
      return status === 'INSYNC' ? { done: true, value: undefined } : { done: false, state: status ?? 'unknown' };
    },
  );
  ctx.log(`Route 53 change ${changeId} INSYNC after ${Math.round((Date.now() - started) / 1000)} s`);
}
