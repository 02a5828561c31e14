// Kubeflow's Profile (cluster-scoped, owns a namespace) and Notebook (a pod template the
// notebook controller turns into a StatefulSet). Pod templates stay opaque: the real CRD
// spells out the whole PodSpec, which the sandbox has no use for.
import type { KubeObject } from '../store-api.js';
import { anyObj, conditions, crd, int, list, obj, root, str } from './schema.js';

function profile(): KubeObject {
  const spec = obj({
    owner: obj({ kind: str(), name: str(), apiGroup: str(), namespace: str() }, { required: ['kind', 'name'] }),
    plugins: list(obj({ kind: str(), apiVersion: str(), spec: anyObj() })),
    resourceQuotaSpec: anyObj(),
  });
  const status = obj({ conditions: list(obj({ type: str(), status: str(), message: str() })) });
  const version = (name: string, storage: boolean) => ({ name, storage, statusSubresource: true, schema: root(spec, status) });
  return crd({
    group: 'kubeflow.org',
    kind: 'Profile',
    plural: 'profiles',
    scope: 'Cluster',
    versions: [version('v1', true), version('v1beta1', false)],
  });
}

function notebook(): KubeObject {
  const spec = obj({ template: obj({ spec: anyObj() }) });
  const status = obj({
    conditions: conditions(),
    readyReplicas: int({ format: 'int32' }),
    containerState: anyObj(),
  });
  const version = (name: string, storage: boolean) => ({ name, storage, statusSubresource: true, schema: root(spec, status) });
  return crd({
    group: 'kubeflow.org',
    kind: 'Notebook',
    plural: 'notebooks',
    scope: 'Namespaced',
    versions: [version('v1', true), version('v1beta1', false)],
  });
}

export function kubeflowCrds(): KubeObject[] {
  return [profile(), notebook()];
}
