// Where Prometheus is, by how it was installed (issue 13, point 6). The manifests' kustomize
// add-on for Amazon Managed Prometheus (deployments/add-ons/prometheus in awslabs/kubeflow-manifests)
// puts its server config map at monitoring/prometheus-server-conf and its deployment at
// monitoring/prometheus-deployment; the Terraform deployment installs Prometheus with EKS
// Blueprints' Helm add-on, in namespace prometheus, whose chart names both <release>-server:
// prometheus/prometheus-server. Single names given in the task override these.
import type { PrometheusScrapeParams } from '../generated/prometheus-scrape.js';

export interface PrometheusLocation {
  configmap: { namespace: string; name: string; key: string };
  deployment: { namespace: string; name: string };
}

const BY_INSTALL: Record<PrometheusScrapeParams['install'], { configmap: { namespace: string; name: string }; deployment: { namespace: string; name: string } }> = {
  kustomize: { configmap: { namespace: 'monitoring', name: 'prometheus-server-conf' }, deployment: { namespace: 'monitoring', name: 'prometheus-deployment' } },
  terraform: { configmap: { namespace: 'prometheus', name: 'prometheus-server' }, deployment: { namespace: 'prometheus', name: 'prometheus-server' } },
};

export function prometheusLocation(p: Pick<PrometheusScrapeParams, 'install' | 'configmap' | 'deployment'>): PrometheusLocation {
  const d = BY_INSTALL[p.install];
  return {
    configmap: { namespace: p.configmap.namespace ?? d.configmap.namespace, name: p.configmap.name ?? d.configmap.name, key: p.configmap.key },
    deployment: { namespace: p.deployment.namespace ?? d.deployment.namespace, name: p.deployment.name ?? d.deployment.name },
  };
}

/** where the other install method would have put it, for a hint */
export function otherInstall(p: Pick<PrometheusScrapeParams, 'install'>): { install: string; configmap: string } {
  const other = p.install === 'kustomize' ? 'terraform' : 'kustomize';
  const c = BY_INSTALL[other].configmap;
  return { install: other, configmap: `${c.namespace}/${c.name}` };
}
