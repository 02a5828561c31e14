// The user profile namespaces of a cluster: each Kubeflow Profile owns the namespace of its name.
import { kubeCallError, listAll, type KubeClients } from '../kit/index.js';

interface Profile {
  metadata?: { name?: string };
}

export async function profileNamespaces(kube: KubeClients, signal: AbortSignal): Promise<string[]> {
  try {
    const profiles = await listAll<Profile>(
      (cont, limit) => kube.custom.listClusterCustomObject({ group: 'kubeflow.org', version: 'v1', plural: 'profiles', limit, _continue: cont }) as Promise<{ items: Profile[]; metadata?: { _continue?: string; continue?: string } }>,
      { limit: 500, baseMs: 50, retryConflict: false, signal },
    );
    return profiles.flatMap((p) => (p.metadata?.name ? [p.metadata.name] : [])).sort();
  } catch (e) {
    throw kubeCallError('listing Kubeflow Profiles', e);
  }
}
