// The user data of blue: per profile its Profile, namespace, service accounts, notebooks (each
// a Notebook, StatefulSet, Service, Pod and volumes), an InferenceService, a config map and the
// ACK SageMaker endpoints. This is what the upgrade has to carry over to green.
import type { ProfileSpec, Scenario } from '../scenario.js';
import type { KubeObject, ObjectStore } from './store-api.js';
import { accessPointId, ebsVolumeId, nodeNames, pvName, stable } from './seed-ids.js';

const NOTEBOOK_IMAGE = 'public.ecr.aws/kubeflow-on-aws/notebook-servers/jupyter-pytorch:2.0.0-cpu-py310-ubuntu20.04-ec2-v1.0';
const SEEDED_AT = '2023-05-02T09:45:00Z';

const ownerRef = (o: KubeObject, controller = true) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  uid: o.metadata.uid,
  controller,
  blockOwnerDeletion: true,
});

interface Volume {
  claim: string;
  driver: 'efs.csi.aws.com' | 'ebs.csi.aws.com';
  size: string;
  mountPath: string;
}

/** a bound claim and its dynamically provisioned volume, as the CSI provisioners leave them */
function createVolume(store: ObjectStore, s: Scenario, ns: string, v: Volume, zone: string): void {
  const efs = v.driver === 'efs.csi.aws.com';
  const pv = pvName(ns, v.claim);
  const accessModes = efs ? ['ReadWriteMany'] : ['ReadWriteOnce'];
  const storageClassName = efs ? 'efs-sc' : 'gp3';
  const pvc = store.create({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: v.claim,
      namespace: ns,
      annotations: {
        'pv.kubernetes.io/bind-completed': 'yes',
        'pv.kubernetes.io/bound-by-controller': 'yes',
        'volume.beta.kubernetes.io/storage-provisioner': v.driver,
        'volume.kubernetes.io/storage-provisioner': v.driver,
      },
      finalizers: ['kubernetes.io/pvc-protection'],
    },
    spec: { accessModes, resources: { requests: { storage: v.size } }, storageClassName, volumeMode: 'Filesystem', volumeName: pv },
    status: { phase: 'Bound', accessModes, capacity: { storage: v.size } },
  });
  store.create({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: pv,
      annotations: { 'pv.kubernetes.io/provisioned-by': v.driver },
      finalizers: ['kubernetes.io/pv-protection'],
    },
    spec: {
      accessModes,
      capacity: { storage: v.size },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: v.claim, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName,
      volumeMode: 'Filesystem',
      csi: efs
        ? { driver: v.driver, volumeHandle: `${s.efs.id}::${accessPointId(ns, v.claim)}` }
        : {
            driver: v.driver,
            volumeHandle: ebsVolumeId(ns, v.claim),
            fsType: 'ext4',
            volumeAttributes: { 'storage.kubernetes.io/csiProvisionerIdentity': `1683020400000-8081-${v.driver}` },
          },
      ...(efs
        ? {}
        : { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.ebs.csi.aws.com/zone', operator: 'In', values: [zone] }] }] } } }),
    },
    status: { phase: 'Bound' },
  });
}

function createNotebook(store: ObjectStore, s: Scenario, p: ProfileSpec, nb: string, index: number, nodes: string[]): void {
  const ns = p.namespace;
  const node = nodes[(index + p.name.length) % nodes.length];
  const zone = `us-west-2${'abc'[nodes.indexOf(node) % 3]}`;
  const volumes: Volume[] = [{ claim: `${nb}-workspace`, driver: 'efs.csi.aws.com', size: '10Gi', mountPath: '/home/jovyan' }];
  // every other notebook also has a block-storage data volume
  if (index % 2 === 1) volumes.push({ claim: `${nb}-data`, driver: 'ebs.csi.aws.com', size: '20Gi', mountPath: '/home/jovyan/data' });
  for (const v of volumes) createVolume(store, s, ns, v, zone);

  const podSpec = {
    serviceAccountName: 'default-editor',
    containers: [
      {
        name: nb,
        image: NOTEBOOK_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '600m', memory: '1288490188800m' } },
        volumeMounts: [...volumes.map((v) => ({ name: v.claim, mountPath: v.mountPath })), { name: 'dshm', mountPath: '/dev/shm' }],
        env: [{ name: 'NB_PREFIX', value: `/notebook/${ns}/${nb}` }],
        ports: [{ containerPort: 8888, name: 'notebook-port', protocol: 'TCP' }],
      },
    ],
    volumes: [
      ...volumes.map((v) => ({ name: v.claim, persistentVolumeClaim: { claimName: v.claim } })),
      { name: 'dshm', emptyDir: { medium: 'Memory' } },
    ],
  };
  const notebook = store.create({
    apiVersion: 'kubeflow.org/v1',
    kind: 'Notebook',
    metadata: {
      name: nb,
      namespace: ns,
      labels: { app: nb },
      annotations: {
        'notebooks.kubeflow.org/server-type': 'jupyter',
        'notebooks.kubeflow.org/creator': p.owner,
        'notebooks.kubeflow.org/last-activity': SEEDED_AT,
      },
    },
    spec: { template: { spec: podSpec } },
    status: {
      conditions: [{ type: 'Ready', status: 'True', lastProbeTime: SEEDED_AT, lastTransitionTime: SEEDED_AT }],
      containerState: { running: { startedAt: SEEDED_AT } },
      readyReplicas: 1,
    },
  });
  const podLabels = { app: nb, 'notebook-name': nb, statefulset: nb };
  const sts = store.create({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: nb, namespace: ns, labels: { app: nb }, ownerReferences: [ownerRef(notebook)] },
    spec: {
      replicas: 1,
      serviceName: '',
      selector: { matchLabels: { statefulset: nb } },
      template: { metadata: { labels: podLabels }, spec: podSpec },
    },
    status: { replicas: 1, readyReplicas: 1, currentReplicas: 1, updatedReplicas: 1, availableReplicas: 1, observedGeneration: 1 },
  });
  store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: nb, namespace: ns, labels: { app: nb }, ownerReferences: [ownerRef(notebook)] },
    spec: { type: 'ClusterIP', selector: { statefulset: nb }, ports: [{ name: `http-${nb}`, port: 80, protocol: 'TCP', targetPort: 8888 }] },
  });
  const octet = Number.parseInt(stable(`ip:${ns}/${nb}`, 2), 16);
  store.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${nb}-0`,
      namespace: ns,
      labels: { ...podLabels, 'controller-revision-hash': `${nb}-${stable(`rev:${ns}/${nb}`, 10)}`, 'statefulset.kubernetes.io/pod-name': `${nb}-0` },
      annotations: { 'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["istio-proxy"]}' },
      ownerReferences: [ownerRef(sts)],
    },
    spec: { ...podSpec, nodeName: node, hostname: `${nb}-0` },
    status: {
      phase: 'Running',
      podIP: `10.0.${32 + (octet % 64)}.${octet}`,
      conditions: [{ type: 'Ready', status: 'True' }],
      // the kubelet reports the digest it pulled (imageID is required by the official schema)
      containerStatuses: [
        { name: nb, ready: true, restartCount: 0, image: NOTEBOOK_IMAGE, imageID: `${NOTEBOOK_IMAGE.split(':')[0]}@sha256:${stable(NOTEBOOK_IMAGE, 64)}`, state: { running: { startedAt: SEEDED_AT } } },
      ],
    },
  });
}

function createEndpoint(store: ObjectStore, s: Scenario, ns: string, name: string): void {
  store.create({
    apiVersion: 'sagemaker.services.k8s.aws/v1alpha1',
    kind: 'Endpoint',
    metadata: { name, namespace: ns, finalizers: ['finalizers.sagemaker.services.k8s.aws/Endpoint'] },
    spec: { endpointName: name, endpointConfigName: `${name}-config` },
    status: {
      ackResourceMetadata: {
        arn: `arn:aws:sagemaker:${s.region}:${s.accountId}:endpoint/${name.toLowerCase()}`,
        ownerAccountID: s.accountId,
        region: s.region,
      },
      endpointStatus: 'InService',
      creationTime: '2023-05-02T09:30:00Z',
      lastModifiedTime: '2023-05-02T09:30:00Z',
      conditions: [{ type: 'ACK.ResourceSynced', status: 'True', message: 'Resource synced successfully', lastTransitionTime: '2023-05-02T09:41:12Z' }],
    },
  });
}

export function seedProfile(store: ObjectStore, s: Scenario, p: ProfileSpec, nodes = nodeNames('blue')): void {
  const ns = p.namespace;
  const profile = store.create({
    apiVersion: 'kubeflow.org/v1',
    kind: 'Profile',
    // the profile controller's finalizer (profile_controller.go PROFILEFINALIZER), which it adds on its first reconcile
    metadata: { name: p.name, finalizers: ['profile-finalizer'] },
    spec: {
      owner: { kind: 'User', name: p.owner },
      plugins: [{ kind: 'AwsIamForServiceAccount', spec: { awsIamRole: p.roleArn } }],
      resourceQuotaSpec: {},
    },
    status: { conditions: [{ type: 'Successful', status: 'True', message: '' }] },
  });
  store.create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: ns,
      labels: {
        'kubernetes.io/metadata.name': ns,
        'app.kubernetes.io/part-of': 'kubeflow-profile',
        'katib.kubeflow.org/metrics-collector-injection': 'enabled',
        'istio-injection': 'enabled',
        'pipelines.kubeflow.org/enabled': 'true',
        'serving.kubeflow.org/inferenceservice': 'enabled',
      },
      annotations: { owner: p.owner },
      ownerReferences: [ownerRef(profile)],
    },
  });
  store.create({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'default-editor', namespace: ns, annotations: { 'eks.amazonaws.com/role-arn': p.roleArn } },
  });
  store.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default-viewer', namespace: ns } });
  store.create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kfp-launcher', namespace: ns },
    data: { defaultPipelineRoot: `s3://${s.s3.bucket}/${ns}/pipeline-root` },
  });
  store.create({
    apiVersion: 'security.istio.io/v1beta1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'ns-owner-access-istio', namespace: ns, ownerReferences: [ownerRef(profile)] },
    spec: {
      rules: [
        { when: [{ key: 'request.headers[kubeflow-userid]', values: [p.owner] }] },
        { when: [{ key: 'source.namespace', values: [ns] }] },
        { to: [{ operation: { paths: ['/healthz', '/metrics', '/wait-for-drain'] } }] },
      ],
    },
  });
  p.notebooks.forEach((nb, i) => createNotebook(store, s, p, nb, i, nodes));
  store.create({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: p.inferenceService, namespace: ns, annotations: { 'sidecar.istio.io/inject': 'false' } },
    spec: {
      predictor: {
        serviceAccountName: 'default-editor',
        model: { modelFormat: { name: 'sklearn' }, storageUri: `s3://${s.s3.bucket}/models/${ns}/sklearn-iris` },
      },
    },
    status: {
      url: `http://${p.inferenceService}.${ns}.${s.subdomain}`,
      conditions: [
        { type: 'PredictorReady', status: 'True', lastTransitionTime: SEEDED_AT },
        { type: 'Ready', status: 'True', lastTransitionTime: SEEDED_AT },
      ],
    },
  });
  for (const e of p.endpoints) createEndpoint(store, s, ns, e);
}
