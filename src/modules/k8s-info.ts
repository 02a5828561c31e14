// k8s-info: reads Kubernetes objects and returns them as outputs. It never changes anything, so it
// is `ok` in every mode and its outputs are known in check mode too: preflight assertions
// ("Velero is installed on both clusters") and final checks read through it.
import { UserError } from '../runner/errors.js';
import { loadTaskSchema } from '../runner/load/package-root.js';
import type { TaskModule } from '../runner/types.js';
import { withKubeRetry } from './kit/kube/retry.js';

interface K8sInfoParams {
  cluster: string;
  api_version: string;
  kind: string;
  namespace?: string;
  name?: string;
  label_selector?: string;
  field_selector?: string;
  allow_missing?: boolean;
}

type KubeObj = { metadata?: { name?: string; namespace?: string } };

const statusCode = (e: unknown): number | undefined => (e as { code?: number }).code ?? (e as { statusCode?: number }).statusCode;

const k8sInfo: TaskModule<K8sInfoParams> = {
  name: 'k8s-info',
  schema: loadTaskSchema('k8s-info'),
  describe: (p) => [
    `read ${p.kind}${p.name ? ` ${p.name}` : 's'} (${p.api_version})${p.namespace ? ` in ${p.namespace}` : ''}${p.label_selector ? ` matching ${p.label_selector}` : ''} on ${p.cluster}`,
  ],
  async check(p, ctx) {
    const kube = ctx.kube(p.cluster);
    const where = `${p.cluster} (context ${kube.context})`;
    try {
      if (p.name) {
        const name = p.name;
        try {
          const obj = await withKubeRetry(() => kube.objects.read({ apiVersion: p.api_version, kind: p.kind, metadata: { name, namespace: p.namespace } }), { signal: ctx.signal });
          return { changes: [], outputs: { exists: true, object: obj, objects: [obj], count: 1 } };
        } catch (e) {
          if (statusCode(e) === 404 && p.allow_missing) return { changes: [], outputs: { exists: false, object: null, objects: [], count: 0 } };
          if (statusCode(e) === 404) throw new UserError(`${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name} does not exist on ${where}`, { hint: 'set allow_missing: true if that is acceptable' });
          throw e;
        }
      }
      const items: KubeObj[] = [];
      let cont: string | undefined;
      do {
        const page = await withKubeRetry(() => kube.objects.list(p.api_version, p.kind, p.namespace, undefined, undefined, undefined, p.field_selector, p.label_selector, 500, cont), { signal: ctx.signal });
        items.push(...(page.items as KubeObj[]));
        cont = (page.metadata as { _continue?: string; continue?: string } | undefined)?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue;
      } while (cont && !ctx.signal.aborted);
      return {
        changes: [],
        outputs: { exists: items.length > 0, objects: items, count: items.length, names: items.map((o) => (o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata?.name}` : o.metadata?.name)) },
        notes: [`${items.length} ${p.kind}(s) on ${p.cluster}`],
      };
    } catch (e) {
      if (e instanceof UserError) throw e;
      const code = statusCode(e);
      if (code === 404) throw new UserError(`${p.cluster} does not serve ${p.kind} (${p.api_version})`, { hint: 'is the CRD installed? check api_version and kind' });
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new Error(`cannot read ${p.kind} from ${where}: ${msg}`);
    }
  },
  async apply() {
    return {};
  },
};

export default k8sInfo;
