// Waits for ACK to act on an AdoptedResource: its ACK.Adopted condition turns True (the Endpoint
// object now exists, bound to the live endpoint) or False (with ACK's reason, a failure).
// Polls (the kit's poll(), from 50 ms up to 2 s apart) rather than watching: adoption is one
// step, usually done in a second.
import { TaskError, poll, withKubeRetry, type Context, type KubeClients } from '../kit/index.js';
import { ADOPTED } from './endpoints.js';
import { adoptedCondition, type AdoptedResourceObject } from './adopted.js';

export async function waitForAdoption(
  ctx: Pick<Context, 'signal' | 'log' | 'progress'>,
  kube: KubeClients,
  cluster: string,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const key = `${namespace}/${name}`;
  try {
    const message = await poll<string>(
      {
        what: `ACK to adopt ${key} on ${cluster}`,
        signal: ctx.signal,
        minMs: 50,
        maxMs: 2000,
        timeoutMs,
        progress: (_state, waited) => ctx.progress(`${cluster}: waiting for ACK to adopt ${key} (${Math.round(waited / 1000)} s)`),
      },
      async () => {
        const cur = (await withKubeRetry(
          () => kube.custom.getNamespacedCustomObject({ group: ADOPTED.group, version: ADOPTED.version, plural: ADOPTED.plural, namespace, name }),
          { signal: ctx.signal },
        )) as AdoptedResourceObject;
        const cond = adoptedCondition(cur);
        if (cond?.status === 'False') {
          throw new TaskError(`ACK could not adopt ${key} on ${cluster}: ${cond.reason ?? 'failed'}: ${cond.message ?? ''}`.trim(), { code: 'adoptionFailed' });
        }
        return cond?.status === 'True' ? { done: true, value: cond.message ?? cond.reason ?? 'ok' } : { done: false, state: 'not adopted yet' };
      },
    );
    ctx.log(`${cluster}: ${key} adopted (${message})`);
  } catch (e) {
    if (e instanceof TaskError && e.code === 'timeout') {
      throw new TaskError(`ACK did not report adoption of ${key} on ${cluster} within ${Math.round(timeoutMs / 1000)} s; is the ACK SageMaker controller running there?`, {
        code: 'adoptionTimeout',
        retryable: true,
      });
    }
    throw e;
  }
}
