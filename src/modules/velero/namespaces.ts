// The user profile namespaces: a Kubeflow Profile is cluster-scoped and owns the namespace of
// the same name. Also namespaces by label selector, for clusters that mark them another way.
import { listAll, type KubeClients } from '../kit/index.js';

/** the names of the Profile objects (= their namespaces), sorted */
export async function profileNamespaces(kube: KubeClients, signal?: AbortSignal): Promise<string[]> {
  const items = await listAll<{ metadata: { name: string } }>(
    (cont, limit) => kube.custom.listClusterCustomObject({ group: 'kubeflow.org', version: 'v1', plural: 'profiles', limit, _continue: cont }) as Promise<{ items: { metadata: { name: string } }[] }>,
    { signal },
  );
  return items.map((p) => p.metadata.name).sort();
}

export async function namespacesBySelector(kube: KubeClients, labelSelector: string, signal?: AbortSignal): Promise<string[]> {
  const items = await listAll((cont, limit) => kube.core.listNamespace({ labelSelector, limit, _continue: cont }), { signal });
  return items.map((n) => n.metadata!.name!).sort();
}
