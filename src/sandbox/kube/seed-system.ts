// What every Kubeflow on AWS cluster has before any user arrives: the system namespaces, the
// notebook controller, Velero with its storage location, the ACK SageMaker controller, the
// ingress, Knative's config-domain, Prometheus. Blue runs the older Kubeflow release and was
// configured during its own deployment; green (and the third cluster, when there is one) is fresh
// from Terraform.
import type { Scenario, Side } from '../scenario.js';
import type { KubeObject } from './store-api.js';
import { nodeNames, stable, stableUuid } from './seed-ids.js';
import { prometheusObjects } from './seed-prometheus.js';

export type { Side } from '../scenario.js';

export const SYSTEM_NAMESPACES = [
  'kube-system',
  'default',
  'kubeflow',
  'istio-system',
  'knative-serving',
  'cert-manager',
  'ack-system',
  'velero',
  'monitoring',
];

export const NOTEBOOK_CONTROLLER = {
  namespace: 'kubeflow',
  deployment: 'notebook-controller-deployment',
  service: 'notebook-controller-service',
  container: 'manager',
};

export const CONFIG_DOMAIN = { namespace: 'knative-serving', name: 'config-domain' };

/** the Kubeflow release each side runs */
export const KUBEFLOW_VERSION: Record<Side, string> = { blue: 'v1.6.1', green: 'v1.7.0', third: 'v1.8.0' };

const irsaRole = (s: Scenario, role: string) => `arn:aws:iam::${s.accountId}:role/${role}`;
const ready = { replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1, observedGeneration: 1 };

function deployment(namespace: string, name: string, image: string, extra: { labels?: Record<string, string>; serviceAccount?: string; args?: string[] } = {}): KubeObject {
  const labels = extra.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...(extra.serviceAccount ? { serviceAccountName: extra.serviceAccount } : {}),
          containers: [{ name: name.replace(/-deployment$/, ''), image, ...(extra.args ? { args: extra.args } : {}) }],
        },
      },
    },
    status: ready,
  };
}

const serviceAccount = (namespace: string, name: string, roleArn?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name, namespace, ...(roleArn ? { annotations: { 'eks.amazonaws.com/role-arn': roleArn } } : {}) },
});

function service(namespace: string, name: string, selector: Record<string, string>, ports: Record<string, unknown>[], annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: selector, ...(annotations ? { annotations } : {}) },
    spec: { type: 'ClusterIP', selector, ports },
  };
}

/** the notebook controller; on blue already carrying the Prometheus patches */
function notebookController(side: Side): KubeObject[] {
  const patched = side === 'blue';
  const labels = { app: 'notebook-controller', 'kustomize.component': 'notebook-controller' };
  const annotations: Record<string, string> = { 'sidecar.istio.io/inject': 'false' };
  if (patched) Object.assign(annotations, { 'prometheus.io/port': '8080', 'prometheus.io/scrape': 'true' });
  const container: Record<string, unknown> = {
    name: NOTEBOOK_CONTROLLER.container,
    image: `docker.io/kubeflownotebookswg/notebook-controller:${KUBEFLOW_VERSION[side]}`,
    command: ['/manager'],
    env: [
      { name: 'USE_ISTIO', value: 'true' },
      { name: 'ISTIO_GATEWAY', value: 'kubeflow/kubeflow-gateway' },
      { name: 'ENABLE_CULLING', value: 'false' },
    ],
    livenessProbe: { httpGet: { path: '/healthz', port: 8081 }, initialDelaySeconds: 5, periodSeconds: 10 },
    resources: { requests: { cpu: '100m', memory: '128Mi' } },
  };
  if (patched) container.ports = [{ containerPort: 8080, name: 'metrics', protocol: 'TCP' }];
  const ports: Record<string, unknown>[] = patched
    ? [
        { port: 443, name: 'webhook', protocol: 'TCP', targetPort: 443 },
        { port: 8080, name: 'metrics', protocol: 'TCP', targetPort: 8080 },
      ]
    : [{ port: 443, protocol: 'TCP', targetPort: 443 }];
  return [
    serviceAccount('kubeflow', 'notebook-controller-service-account'),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: NOTEBOOK_CONTROLLER.deployment, namespace: 'kubeflow', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels, annotations },
          spec: { serviceAccountName: 'notebook-controller-service-account', containers: [container] },
        },
      },
      status: ready,
    },
    service(
      'kubeflow',
      NOTEBOOK_CONTROLLER.service,
      labels,
      ports,
      patched ? { 'prometheus.io/port': '8080', 'prometheus.io/scheme': 'http', 'prometheus.io/scrape': 'true' } : undefined,
    ),
  ];
}

function velero(s: Scenario): KubeObject[] {
  const ns = s.velero.namespace;
  return [
    serviceAccount(ns, 'velero-server', irsaRole(s, 'kf-velero')),
    deployment(ns, 'velero', 'velero/velero:v1.11.1', {
      labels: { component: 'velero', deploy: 'velero' },
      serviceAccount: 'velero-server',
      args: ['server', '--uploader-type=kopia', `--default-volumes-to-fs-backup=${s.velero.defaultVolumesToFsBackup}`],
    }),
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-agent', namespace: ns, labels: { component: 'velero', name: 'node-agent' } },
      spec: {
        selector: { matchLabels: { name: 'node-agent' } },
        template: {
          metadata: { labels: { component: 'velero', name: 'node-agent' } },
          spec: { serviceAccountName: 'velero-server', containers: [{ name: 'node-agent', image: 'velero/velero:v1.11.1', command: ['/velero'], args: ['node-agent', 'server'] }] },
        },
      },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3, numberAvailable: 3, updatedNumberScheduled: 3 },
    },
    {
      apiVersion: 'velero.io/v1',
      kind: 'BackupStorageLocation',
      metadata: { name: s.velero.storageLocation, namespace: ns, labels: { component: 'velero' } },
      spec: {
        provider: 'aws',
        default: true,
        accessMode: 'ReadWrite',
        objectStorage: { bucket: s.velero.bucket },
        config: { region: s.region },
      },
      status: { phase: 'Available', lastValidationTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') },
    },
  ];
}

function ack(s: Scenario): KubeObject[] {
  return [
    serviceAccount('ack-system', 'ack-sagemaker-controller', irsaRole(s, 'kf-ack-sagemaker-controller')),
    deployment('ack-system', 'ack-sagemaker-controller-sagemaker-chart', 'public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v1.2.1', {
      labels: { 'app.kubernetes.io/name': 'sagemaker-chart', 'app.kubernetes.io/instance': 'ack-sagemaker-controller' },
      serviceAccount: 'ack-sagemaker-controller',
      // the chart passes --deletion-policy (ACK runtime's pkg/config); the sandbox's controller obeys it
      args: ['--aws-region', s.region, '--enable-development-logging=false', '--log-level=info', `--deletion-policy=${s.ack.deletionPolicy}`],
    }),
  ];
}

/** Knative's domain config as installed: only the explanatory `_example` key, no domain yet */
export function configDomain(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: CONFIG_DOMAIN.name,
      namespace: CONFIG_DOMAIN.namespace,
      labels: { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/name': 'knative-serving', 'app.kubernetes.io/version': '1.8.1' },
      annotations: { 'knative.dev/example-checksum': '26c09de5' },
    },
    data: {
      _example: `################################
#                              #
#    EXAMPLE CONFIGURATION     #
#                              #
################################

# Nothing under this _example key is read by Knative. It documents the
# settings of this map; copy a line out of this block to make it take effect.

# Each key below is a domain suffix for the routes of Knative Services.
# The value either selects routes by label or, when empty, makes the key
# the default suffix for every route no other key matches.
#
# Routes labelled app=nonprofit are served under example.org:
example.org: |
  selector:
    app: nonprofit

# Every other route is served under example.com:
example.com: ""

# A route labelled networking.knative.dev/visibility=cluster-local is only
# reachable inside the cluster, under svc.cluster.local, whatever is set here.
`,
    },
  };
}

function ingress(s: Scenario, side: Side): KubeObject[] {
  const labels = { app: 'istio-ingressgateway', istio: 'ingressgateway' };
  return [
    deployment('istio-system', 'istio-ingressgateway', 'docker.io/istio/proxyv2:1.16.1', { labels, serviceAccount: 'istio-ingressgateway-service-account' }),
    { ...service('istio-system', 'istio-ingressgateway', labels, [
      { name: 'status-port', port: 15021, protocol: 'TCP', targetPort: 15021 },
      { name: 'http2', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
    ]), spec: { type: 'NodePort', selector: labels, ports: [
      { name: 'status-port', port: 15021, protocol: 'TCP', targetPort: 15021, nodePort: 31021 },
      { name: 'http2', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 31380 },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443, nodePort: 31390 },
    ] } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        name: 'istio-ingress',
        namespace: 'istio-system',
        annotations: {
          'alb.ingress.kubernetes.io/scheme': 'internet-facing',
          'alb.ingress.kubernetes.io/certificate-arn': s.cognito.certificateArn,
          'alb.ingress.kubernetes.io/auth-type': 'cognito',
          'alb.ingress.kubernetes.io/auth-idp-cognito': JSON.stringify({
            UserPoolArn: `arn:aws:cognito-idp:${s.region}:${s.accountId}:userpool/${s.cognito.userPoolId}`,
            UserPoolDomain: s.cognito.domain,
          }),
          'alb.ingress.kubernetes.io/tags': `environment=${s.stage},cluster=${s[side].clusterName}`,
        },
      },
      spec: {
        ingressClassName: 'alb',
        rules: [{ http: { paths: [{ path: '/*', pathType: 'ImplementationSpecific', backend: { service: { name: 'istio-ingressgateway', port: { number: 80 } } } }] } }],
      },
      status: { loadBalancer: { ingress: [{ hostname: s[side].ingressHost }] } },
    },
    // blue serves models through the KServe tutorial's ingress (its "Create ingress"), whose load
    // balancer the *.<namespace>.<subdomain> records point at; green gets it from the upgrade
    ...(side === 'blue'
      ? [{
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: {
            name: 'istio-ingress-api',
            namespace: 'istio-system',
            annotations: {
              'alb.ingress.kubernetes.io/scheme': 'internet-facing',
              'alb.ingress.kubernetes.io/certificate-arn': s.cognito.certificateArn,
              'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
            },
          },
          spec: {
            ingressClassName: 'alb',
            rules: [{ http: { paths: [{ path: '/*', pathType: 'ImplementationSpecific', backend: { service: { name: 'istio-ingressgateway', port: { number: 80 } } } }] } }],
          },
          status: { loadBalancer: { ingress: [{ hostname: s.blue.servingHost }] } },
        } satisfies KubeObject]
      : []),
  ];
}

function storage(s: Scenario): KubeObject[] {
  return [
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'efs-sc' },
      provisioner: 'efs.csi.aws.com',
      parameters: { provisioningMode: 'efs-ap', fileSystemId: s.efs.id, directoryPerms: '700' },
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'Immediate',
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'gp3', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', fsType: 'ext4' },
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
    },
    serviceAccount('kube-system', 'efs-csi-controller-sa', irsaRole(s, 'kf-efs-csi-controller')),
    serviceAccount('kube-system', 'aws-load-balancer-controller', irsaRole(s, 'kf-aws-load-balancer-controller')),
  ];
}

function nodes(side: Side): KubeObject[] {
  return nodeNames(side).map((name, i) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'm5.xlarge',
        'topology.kubernetes.io/region': 'us-west-2',
        'topology.kubernetes.io/zone': `us-west-2${'abc'[i % 3]}`,
        'eks.amazonaws.com/nodegroup': `managed-ondemand-${stable(`ng:${side}`, 8)}`,
      },
    },
    spec: { providerID: `aws:///us-west-2${'abc'[i % 3]}/i-0${stable(`i:${side}:${i}`, 16)}` },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      // what a kubelet reports; the official schema requires every field of NodeSystemInfo
      nodeInfo: {
        machineID: stable(`machine:${side}:${i}`, 32),
        systemUUID: stable(`uuid:${side}:${i}`, 32),
        bootID: stable(`boot:${side}:${i}`, 32),
        kernelVersion: '5.10.184-175.731.amzn2.x86_64',
        osImage: 'Amazon Linux 2',
        containerRuntimeVersion: 'containerd://1.6.19',
        kubeletVersion: side === 'blue' ? 'v1.24.13-eks-0a21954' : 'v1.25.9-eks-0a21954',
        kubeProxyVersion: side === 'blue' ? 'v1.24.13-eks-0a21954' : 'v1.25.9-eks-0a21954',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  }));
}

/** the system objects of one side, namespaces first */
export function systemObjects(s: Scenario, side: Side): KubeObject[] {
  const kubeflow = [
    ...notebookController(side),
    service('kubeflow', 'ml-pipeline', { app: 'ml-pipeline' }, [
      { name: 'http', port: 8888, protocol: 'TCP', targetPort: 8888 },
      { name: 'grpc', port: 8887, protocol: 'TCP', targetPort: 8887 },
    ]),
    service('kubeflow', 'katib-controller', { 'katib.kubeflow.org/component': 'controller' }, [
      { name: 'webhook', port: 443, protocol: 'TCP', targetPort: 8443 },
      { name: 'metrics', port: 8080, protocol: 'TCP', targetPort: 8080 },
    ]),
    deployment('kubeflow', 'profiles-deployment', `docker.io/kubeflownotebookswg/profile-controller:${KUBEFLOW_VERSION[side]}`, {
      labels: { 'kustomize.component': 'profiles' },
    }),
  ];
  return [
    ...SYSTEM_NAMESPACES.map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...(name === 'kubeflow' ? { 'control-plane': 'kubeflow', 'istio-injection': 'enabled' } : {}) } },
    })),
    ...nodes(side),
    ...storage(s),
    ...kubeflow,
    ...velero(s),
    ...ack(s),
    deployment('cert-manager', 'cert-manager', 'quay.io/jetstack/cert-manager-controller:v1.10.1', { labels: { app: 'cert-manager' } }),
    configDomain(),
    ...ingress(s, side),
    ...prometheusObjects({ region: s.region, workspaceId: `ws-${stableUuid(`amp:${side}`)}`, withKubeflowJobs: side === 'blue' }),
  ];
}
