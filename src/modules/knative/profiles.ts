// The user profile namespaces of a cluster: each Kubeflow Profile owns the namespace of its name.
import type { KubeClients } from '../../runner/types.js';
import { callError, withRetry } from './kube-calls.js';

export async function profileNamespaces(kube: KubeClients, signal: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  try {
    do {
      const page = (await withRetry(
        () => kube.custom.listClusterCustomObject({ group: 'kubeflow.org', version: 'v1', plural: 'profiles', limit: 500, _continue: token }),
        { signal },
      )) as { items?: { metadata?: { name?: string } }[]; metadata?: { _continue?: string; continue?: string } };
      for (const p of page.items ?? []) if (p.metadata?.name) names.push(p.metadata.name);
      token = page.metadata?.continue ?? page.metadata?._continue ?? undefined;
    } while (token);
  } catch (e) {
    throw callError('listing Kubeflow Profiles', e);
  }
  return names.sort();
}
