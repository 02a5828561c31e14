// k8s-info: reads Kubernetes objects and returns them as outputs. It never changes anything, so it
// is `ok` in every mode and its outputs are known in check mode too: preflight assertions
// ("Velero is installed on both clusters") and final checks read through it.
import { defineTask, getOrUndefined, isRetryable, kubeMessage, kubeStatus, listAll, TaskError } from './kit/index.js';
import type { K8SInfoOutputs, K8SInfoParams } from './generated/k8s-info.js';

type KubeObj = { metadata?: { name?: string; namespace?: string } };

const nameOf = (o: KubeObj): string => (o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name ?? ''}` : (o.metadata?.name ?? ''));

export default defineTask<K8SInfoParams, K8SInfoOutputs>({
  name: 'k8s-info',
  messages: {
    missing: '{{kind}} {{object}} does not exist on {{where}}',
    notServed: '{{cluster}} does not serve {{kind}} ({{apiVersion}})',
    readFailed: 'cannot read {{kind}} from {{where}}: {{message}}',
  },
  describe: (p) => [
    `read ${p.kind}${p.name ? ` ${p.name}` : 's'} (${p.api_version})${p.namespace ? ` in ${p.namespace}` : ''}${p.label_selector ? ` matching ${p.label_selector}` : ''} on ${p.cluster}`,
  ],
  async check(p, ctx) {
    const kube = ctx.kube(p.cluster);
    const where = `${p.cluster} (context ${kube.context})`;
    try {
      if (p.name) {
        const ref = { apiVersion: p.api_version, kind: p.kind, metadata: { name: p.name, namespace: p.namespace } };
        // a 404 is an absent object (or a kind the cluster does not serve: the same answer to a read by name)
        const obj = await getOrUndefined(() => kube.objects.read(ref), ctx.signal);
        if (obj) return { changes: [], outputs: { exists: true, object: obj, objects: [obj], count: 1, names: [nameOf(obj)] } };
        if (!p.allow_missing) {
          throw this.error('missing', { kind: p.kind, object: `${p.namespace ? `${p.namespace}/` : ''}${p.name}`, where }, { hint: 'set allow_missing: true if that is acceptable' });
        }
        return { changes: [], outputs: { exists: false, object: null, objects: [], count: 0, names: [] } };
      }
      const items = await listAll<KubeObj>(
        (cont, limit) => kube.objects.list(p.api_version, p.kind, p.namespace, undefined, undefined, undefined, p.field_selector, p.label_selector, limit, cont),
        { signal: ctx.signal, limit: 500 },
      );
      return {
        changes: [],
        outputs: { exists: items.length > 0, object: null, objects: items, count: items.length, names: items.map(nameOf) },
        notes: [`${items.length} ${p.kind}(s) on ${p.cluster}`],
      };
    } catch (e) {
      if (e instanceof TaskError) throw e;
      if (kubeStatus(e) === 404) {
        throw this.error('notServed', { cluster: p.cluster, kind: p.kind, apiVersion: p.api_version }, { hint: 'is the CRD installed? check api_version and kind' });
      }
      throw this.error('readFailed', { kind: p.kind, where, message: kubeMessage(e) }, { retryable: isRetryable(e), cause: e });
    }
  },
  apply() {
    // check read everything; there is nothing to apply
    return Promise.resolve({});
  },
});
