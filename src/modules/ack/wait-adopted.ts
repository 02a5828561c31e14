// Waits for ACK to act on an AdoptedResource: its ACK.Adopted condition turns True (the Endpoint
// object now exists, bound to the live endpoint) or False (with ACK's reason, a failure).
// Polls with backoff rather than watching: adoption is one step, usually done in a second.
import type { Context, KubeClients } from '../../runner/types.js';
import { withKubeRetry } from '../kit/kube/retry.js';
import { ADOPTED } from './endpoints.js';
import { adoptedCondition, type AdoptedResourceObject } from './adopted.js';
import { sleep } from '../../runner/engine/abort.js';


export async function waitForAdoption(ctx: Context, kube: KubeClients, cluster: string, namespace: string, name: string, timeoutMs: number): Promise<void> {
  const started = Date.now();
  let delay = 50;
  for (;;) {
    const cur = (await withKubeRetry(
      () => kube.custom.getNamespacedCustomObject({ group: ADOPTED.group, version: ADOPTED.version, plural: ADOPTED.plural, namespace, name }),
      { signal: ctx.signal },
    )) as AdoptedResourceObject;
    const cond = adoptedCondition(cur);
    if (cond?.status === 'True') {
      ctx.log(`${cluster}: ${namespace}/${name} adopted (${cond.message ?? cond.reason ?? 'ok'})`);
      return;
    }
    if (cond?.status === 'False') {
      throw new Error(`ACK could not adopt ${namespace}/${name} on ${cluster}: ${cond.reason ?? 'failed'}: ${cond.message ?? ''}`.trim());
    }
    const waited = Date.now() - started;
    if (waited > timeoutMs) {
      throw new Error(`ACK did not report adoption of ${namespace}/${name} on ${cluster} within ${Math.round(timeoutMs / 1000)} s; is the ACK SageMaker controller running there?`);
    }
    ctx.progress(`${cluster}: waiting for ACK to adopt ${namespace}/${name} (${Math.round(waited / 1000)} s)`);
    await sleep(delay, ctx.signal);
    delay = Math.min(delay * 2, 2000);
  }
}
