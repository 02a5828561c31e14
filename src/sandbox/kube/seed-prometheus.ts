// The Prometheus server of a Kubeflow on AWS cluster (the AMP add-on): its config map, with or
// without the Kubeflow scrape jobs, and its deployment. The upgrade adds the jobs on green; blue
// was configured when it was deployed. The text is the sandbox's own, shaped like the add-on's.
import type { KubeObject } from './store-api.js';

export const PROMETHEUS = {
  namespace: 'monitoring',
  configMap: 'prometheus-server-conf',
  configKey: 'prometheus.yml',
  rulesKey: 'prometheus.rules',
  deployment: 'prometheus-deployment',
};

/** the scrape jobs the upgrade procedure adds for Kubeflow's own components */
export const KUBEFLOW_SCRAPE_JOBS: { job: string; target: string }[] = [
  { job: 'ml-pipeline', target: 'ml-pipeline.kubeflow.svc:8888' },
  { job: 'katib-controller', target: 'katib-controller.kubeflow.svc:8080' },
  { job: 'notebook-controller', target: 'notebook-controller-service.kubeflow.svc:8080' },
];

const RULES = `groups:
- name: kubeflow-sandbox
  rules:
  - alert: PodMemoryHigh
    expr: sum(container_memory_working_set_bytes{namespace!=""}) by (namespace) > 8e9
    for: 5m
    labels:
      severity: warning
    annotations:
      summary: A namespace uses more than 8 GB of memory
`;

function prometheusYaml(region: string, workspaceId: string, withKubeflowJobs: boolean): string {
  const kubeflowJobs = withKubeflowJobs
    ? KUBEFLOW_SCRAPE_JOBS.map(
        (j) => `  - job_name: '${j.job}'
    scrape_interval: 60s
    static_configs:
      - targets: ['${j.target}']
`,
      ).join('\n') + '\n'
    : '';
  return `global:
  scrape_interval: 15s
  evaluation_interval: 15s
remote_write:
  - url: https://aps-workspaces.${region}.amazonaws.com/workspaces/${workspaceId}/api/v1/remote_write
    sigv4:
      region: ${region}
    queue_config:
      capacity: 2500
      max_samples_per_send: 1000
      max_shards: 200
rule_files:
  - /etc/prometheus/prometheus.rules
scrape_configs:
${kubeflowJobs}  - job_name: 'kubernetes-apiservers'
    scheme: https
    kubernetes_sd_configs:
      - role: endpoints
    tls_config:
      ca_file: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token
    relabel_configs:
      - source_labels: [__meta_kubernetes_namespace, __meta_kubernetes_service_name, __meta_kubernetes_endpoint_port_name]
        action: keep
        regex: default;kubernetes;https

  - job_name: 'kubernetes-pods'
    kubernetes_sd_configs:
      - role: pod
    relabel_configs:
      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
        action: keep
        regex: true
      - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
        action: replace
        regex: ([^:]+)(?::\\d+)?;(\\d+)
        replacement: $1:$2
        target_label: __address__
      - source_labels: [__meta_kubernetes_namespace]
        target_label: kubernetes_namespace

  - job_name: 'kube-state-metrics'
    static_configs:
      - targets: ['kube-state-metrics.kube-system.svc.cluster.local:8080']
`;
}

export function prometheusObjects(opts: { region: string; workspaceId: string; withKubeflowJobs: boolean }): KubeObject[] {
  const labels = { app: 'prometheus-server' };
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: PROMETHEUS.configMap, namespace: PROMETHEUS.namespace, labels: { name: PROMETHEUS.configMap } },
      data: {
        [PROMETHEUS.rulesKey]: RULES,
        [PROMETHEUS.configKey]: prometheusYaml(opts.region, opts.workspaceId, opts.withKubeflowJobs),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: PROMETHEUS.deployment, namespace: PROMETHEUS.namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'amp-iamproxy-ingest-service-account',
            containers: [
              {
                name: 'prometheus',
                image: 'quay.io/prometheus/prometheus:v2.42.0',
                args: ['--storage.tsdb.retention.time=1h', '--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus/'],
                ports: [{ containerPort: 9090 }],
                volumeMounts: [
                  { name: 'prometheus-config-volume', mountPath: '/etc/prometheus/' },
                  { name: 'prometheus-storage-volume', mountPath: '/prometheus/' },
                ],
              },
            ],
            volumes: [
              { name: 'prometheus-config-volume', configMap: { name: PROMETHEUS.configMap, defaultMode: 420 } },
              { name: 'prometheus-storage-volume', emptyDir: {} },
            ],
          },
        },
      },
      status: { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1, observedGeneration: 1 },
    },
  ];
}
