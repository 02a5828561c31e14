// Resolving which namespaces a task acts on: an explicit list, a namespace label selector, or
// the namespaces of the cluster's Kubeflow Profiles.
import { TaskError, type KubeClients } from '../kit/index.js';
import { namespacesBySelector, profileNamespaces } from './namespaces.js';

export interface NamespaceScope {
  namespaces?: string[];
  namespace_selector?: string;
}

export function scopeText(p: NamespaceScope, cluster: string): string {
  if (p.namespaces?.length) return `namespaces ${p.namespaces.join(', ')}`;
  if (p.namespace_selector) return `namespaces labelled ${p.namespace_selector} on ${cluster}`;
  return `the profile namespaces of ${cluster}`;
}

export function checkScope(p: NamespaceScope): void {
  if (p.namespaces?.length && p.namespace_selector) {
    throw new TaskError('velero-annotate takes namespaces or namespace_selector, not both', { code: 'scope', hint: 'keep the list, or the label selector' });
  }
}

export async function resolveNamespaces(kube: KubeClients, p: NamespaceScope, signal: AbortSignal): Promise<string[]> {
  checkScope(p);
  if (p.namespaces?.length) return [...new Set(p.namespaces)];
  if (p.namespace_selector) return namespacesBySelector(kube, p.namespace_selector, signal);
  return profileNamespaces(kube, signal);
}
