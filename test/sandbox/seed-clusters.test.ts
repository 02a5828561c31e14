// The seed data of both clusters: blue looks like a Kubeflow on AWS production cluster with
// user data, green like the same platform freshly deployed, and seeding stays fast.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import { strategicMergePatch } from '../../src/sandbox/kube/patch.js';
import { CONFIG_DOMAIN, KUBEFLOW_SCRAPE_JOBS, NOTEBOOK_CONTROLLER, PROMETHEUS, SYSTEM_NAMESPACES, seedCluster } from '../../src/sandbox/kube/seed.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import type { V1ConfigMap, V1DeploymentSpec, V1OwnerReference, V1PersistentVolumeClaimSpec, V1PersistentVolumeSpec, V1PodSpec, V1ServiceSpec } from '@kubernetes/client-node';
import { REAL_CRD_DIR } from '../helpers/crd-schema.js';

const scenario = makeScenario({ profiles: 4, notebooks: 2 });
const PROMETHEUS_FIXTURES = join(REAL_CRD_DIR, '..', 'kubeflow-manifests', 'prometheus');
const haveFixtures = existsSync(PROMETHEUS_FIXTURES);

let blue: MemoryStore;
let green: MemoryStore;
beforeAll(() => {
  blue = new MemoryStore();
  green = new MemoryStore();
  seedCluster(blue, scenario, 'blue');
  seedCluster(green, scenario, 'green');
});

// an object's spec, typed by the caller with its kind's spec type from @kubernetes/client-node
const spec = <T = Record<string, unknown>>(o: KubeObject | undefined) => (o?.spec ?? {}) as T;
// the status fields these tests read, across the seeded kinds
interface SeedStatus { phase?: string; endpointStatus?: string; ackResourceMetadata?: { arn: string } }
const status = (o: KubeObject) => o.status as SeedStatus;
// the parts of a Prometheus configuration these tests read
interface PrometheusConfig { scrape_configs: { job_name: string }[]; remote_write: { url: string }[] }
const data = (o: KubeObject) => (o as unknown as V1ConfigMap).data!;
// what the real notebook-controller patches touch
interface PatchedDeployment { spec: V1DeploymentSpec }
interface PatchedService { spec: V1ServiceSpec }

describe('blue: production with user data', () => {
  it('has a Profile per scenario profile, with owner and the IRSA plugin', () => {
    const profiles = blue.list('kubeflow.org/v1', 'Profile');
    expect(profiles.map((p) => p.metadata.name)).toEqual(scenario.profiles.map((p) => p.name));
    for (const p of scenario.profiles) {
      const obj = blue.get('kubeflow.org/v1', 'Profile', p.name)!;
      expect(spec(obj).owner).toEqual({ kind: 'User', name: p.owner });
      expect(spec(obj).plugins).toEqual([{ kind: 'AwsIamForServiceAccount', spec: { awsIamRole: p.roleArn } }]);
    }
  });

  it('gives each profile a labelled, owned namespace and IRSA-annotated service accounts', () => {
    for (const p of scenario.profiles) {
      const ns = blue.get('v1', 'Namespace', p.namespace)!;
      expect(ns.metadata.labels).toMatchObject({
        'app.kubernetes.io/part-of': 'kubeflow-profile',
        'katib.kubeflow.org/metrics-collector-injection': 'enabled',
      });
      expect(ns.metadata.annotations).toEqual({ owner: p.owner });
      expect((ns.metadata.ownerReferences as V1OwnerReference[])[0]).toMatchObject({ kind: 'Profile', name: p.name });
      expect(blue.get('v1', 'ServiceAccount', 'default-editor', p.namespace)!.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': p.roleArn });
      expect(blue.get('v1', 'ServiceAccount', 'default-viewer', p.namespace)).toBeDefined();
      expect(blue.list('v1', 'ConfigMap', p.namespace)).toHaveLength(1);
      expect(blue.get('serving.kserve.io/v1beta1', 'InferenceService', p.inferenceService, p.namespace)).toBeDefined();
    }
  });

  it('runs every notebook as Notebook, StatefulSet and pod <nb>-0 mounting its claims by volume name', () => {
    for (const p of scenario.profiles) {
      for (const nb of p.notebooks) {
        expect(blue.get('kubeflow.org/v1', 'Notebook', nb, p.namespace)).toBeDefined();
        expect(blue.get('apps/v1', 'StatefulSet', nb, p.namespace)).toBeDefined();
        const pod = blue.get('v1', 'Pod', `${nb}-0`, p.namespace)!;
        expect(pod.metadata.labels?.['notebook-name']).toBe(nb);
        expect(pod.metadata.annotations?.['backup.velero.io/backup-volumes']).toBeUndefined();
        const volumes = spec<V1PodSpec>(pod).volumes!;
        const mounts = spec<V1PodSpec>(pod).containers[0].volumeMounts!;
        for (const v of volumes) expect(mounts.some((m) => m.name === v.name)).toBe(true);
        expect(volumes.find((v) => v.name === `${nb}-workspace`)?.persistentVolumeClaim!.claimName).toBe(`${nb}-workspace`);
      }
    }
    expect(blue.list('v1', 'Pod', undefined, { labelSelector: 'notebook-name' })).toHaveLength(4 * 2);
  });

  it('binds each workspace claim to an EFS access-point volume, and every other notebook also to an EBS volume', () => {
    let efs = 0;
    let ebs = 0;
    for (const pvc of blue.list('v1', 'PersistentVolumeClaim')) {
      expect(status(pvc).phase).toBe('Bound');
      const pv = blue.get('v1', 'PersistentVolume', spec<V1PersistentVolumeClaimSpec>(pvc).volumeName!)!;
      expect(pv, `PV of ${pvc.metadata.namespace}/${pvc.metadata.name}`).toBeDefined();
      expect(spec<V1PersistentVolumeSpec>(pv).claimRef).toMatchObject({ namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid });
      if (pvc.metadata.name.endsWith('-workspace')) {
        efs++;
        expect(spec<V1PersistentVolumeSpec>(pv).csi!.driver).toBe('efs.csi.aws.com');
        expect(spec<V1PersistentVolumeSpec>(pv).csi!.volumeHandle).toMatch(new RegExp(`^${scenario.efs.id}::fsap-[0-9a-f]{17}$`));
      } else {
        ebs++;
        expect(spec<V1PersistentVolumeSpec>(pv).csi!.driver).toBe('ebs.csi.aws.com');
        expect(spec<V1PersistentVolumeSpec>(pv).csi!.volumeHandle).toMatch(/^vol-[0-9a-f]{17}$/);
      }
    }
    expect(efs).toBe(8);
    expect(ebs).toBe(4);
  });

  it('holds the ACK SageMaker endpoints with their finalizer and InService status', () => {
    const expected = scenario.profiles.flatMap((p) => p.endpoints.map((e) => [p.namespace, e]));
    expect(expected.length).toBeGreaterThan(0);
    for (const [ns, name] of expected) {
      const ep = blue.get('sagemaker.services.k8s.aws/v1alpha1', 'Endpoint', name, ns)!;
      expect(ep.metadata.finalizers).toEqual(['finalizers.sagemaker.services.k8s.aws/Endpoint']);
      expect(spec(ep)).toEqual({ endpointName: name, endpointConfigName: `${name}-config` });
      expect(status(ep).endpointStatus).toBe('InService');
      expect(status(ep).ackResourceMetadata!.arn).toBe(`arn:aws:sagemaker:${scenario.region}:${scenario.accountId}:endpoint/${name}`);
    }
  });

  it('has Prometheus configured with the Kubeflow scrape jobs and the notebook controller patched for metrics', () => {
    const cm = blue.get('v1', 'ConfigMap', PROMETHEUS.configMap, PROMETHEUS.namespace)!;
    const config = parse(data(cm)[PROMETHEUS.configKey]) as PrometheusConfig;
    const jobs = config.scrape_configs.map((j) => j.job_name);
    for (const j of KUBEFLOW_SCRAPE_JOBS) expect(jobs).toContain(j.job);
    const dep = blue.get('apps/v1', 'Deployment', NOTEBOOK_CONTROLLER.deployment, NOTEBOOK_CONTROLLER.namespace)!;
    expect(spec<V1DeploymentSpec>(dep).template.metadata!.annotations!['prometheus.io/scrape']).toBe('true');
  });
});

describe('green: fresh platform', () => {
  it('has the system namespaces, Velero on the same bucket, and no user data', () => {
    for (const ns of SYSTEM_NAMESPACES) expect(green.get('v1', 'Namespace', ns), ns).toBeDefined();
    const bsl = green.get('velero.io/v1', 'BackupStorageLocation', 'default', 'velero')!;
    expect(spec(bsl)).toMatchObject({ provider: 'aws', objectStorage: { bucket: scenario.velero.bucket } });
    expect(status(bsl).phase).toBe('Available');
    expect(spec(bsl)).toEqual(spec(blue.get('velero.io/v1', 'BackupStorageLocation', 'default', 'velero')));
    expect(green.list('kubeflow.org/v1', 'Profile')).toEqual([]);
    expect(green.list('kubeflow.org/v1', 'Notebook')).toEqual([]);
    expect(green.list('v1', 'PersistentVolumeClaim')).toEqual([]);
    expect(green.list('v1', 'PersistentVolume')).toEqual([]);
    expect(green.list('sagemaker.services.k8s.aws/v1alpha1', 'Endpoint')).toEqual([]);
  });

  it('has config-domain with only the _example key on both sides', () => {
    for (const store of [blue, green]) {
      const cm = store.get('v1', 'ConfigMap', CONFIG_DOMAIN.name, CONFIG_DOMAIN.namespace)!;
      expect(Object.keys(data(cm))).toEqual(['_example']);
      expect(data(cm)._example).toContain('example.com: ""');
    }
  });

  it('has Prometheus without the Kubeflow scrape jobs and an unpatched notebook controller', () => {
    const cm = green.get('v1', 'ConfigMap', PROMETHEUS.configMap, PROMETHEUS.namespace)!;
    const config = parse(data(cm)[PROMETHEUS.configKey]) as PrometheusConfig;
    const jobs = config.scrape_configs.map((j) => j.job_name);
    for (const j of KUBEFLOW_SCRAPE_JOBS) expect(jobs).not.toContain(j.job);
    expect(config.remote_write[0].url).toMatch(/^https:\/\/aps-workspaces\.us-west-2\.amazonaws\.com\/workspaces\/ws-/);
    const dep = green.get('apps/v1', 'Deployment', NOTEBOOK_CONTROLLER.deployment, NOTEBOOK_CONTROLLER.namespace)!;
    expect(spec<V1DeploymentSpec>(dep).template.metadata!.annotations!['prometheus.io/scrape']).toBeUndefined();
    expect(spec<V1DeploymentSpec>(dep).template.spec!.containers[0].ports).toBeUndefined();
  });

  it.skipIf(!haveFixtures)(
    `takes the real notebook-controller patches by strategic merge (needs ${PROMETHEUS_FIXTURES})`,
    () => {
      const depPatch: unknown = parse(readFileSync(join(PROMETHEUS_FIXTURES, 'notebook-controller-deployment-patch.yaml'), 'utf8'));
      const svcPatch: unknown = parse(readFileSync(join(PROMETHEUS_FIXTURES, 'notebook-controller-service-patch.yaml'), 'utf8'));
      const dep = green.get('apps/v1', 'Deployment', NOTEBOOK_CONTROLLER.deployment, NOTEBOOK_CONTROLLER.namespace)!;
      const patched = strategicMergePatch(dep, depPatch) as unknown as PatchedDeployment;
      const containers = patched.spec.template.spec!.containers;
      expect(containers).toHaveLength(1); // merged into "manager" by name, not appended
      expect(containers[0].image).toContain('notebook-controller');
      expect(containers[0].ports).toEqual([{ containerPort: 8080, name: 'metrics', protocol: 'TCP' }]);
      expect(patched.spec.template.metadata!.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' });
      const svc = green.get('v1', 'Service', NOTEBOOK_CONTROLLER.service, NOTEBOOK_CONTROLLER.namespace)!;
      const svcPatched = strategicMergePatch(svc, svcPatch) as unknown as PatchedService;
      expect(svcPatched.spec.ports!.map((p) => p.port).sort()).toEqual([443, 8080]);
      // blue was patched at its deployment: the same patch changes nothing there
      const blueDep = blue.get('apps/v1', 'Deployment', NOTEBOOK_CONTROLLER.deployment, NOTEBOOK_CONTROLLER.namespace)!;
      expect(strategicMergePatch(blueDep, depPatch)).toEqual(blueDep);
    },
  );
});

describe('seeding', () => {
  it('seeds 100 profiles x 2 notebooks, each with its claims and volumes', () => {
    // how fast seeding is belongs to the benchmarks (npm run bench), not to a timed unit test
    const big = makeScenario({ profiles: 100, notebooks: 2 });
    const store = new MemoryStore();
    seedCluster(store, big, 'blue');
    expect(store.list('kubeflow.org/v1', 'Notebook')).toHaveLength(200);
    expect(store.list('v1', 'PersistentVolume')).toHaveLength(300);
  });

  it('is deterministic: the same scenario seeds the same volume names and handles', () => {
    const a = new MemoryStore();
    seedCluster(a, scenario, 'blue');
    const names = (st: MemoryStore) => st.list('v1', 'PersistentVolume').map((pv) => `${pv.metadata.name} ${spec<V1PersistentVolumeSpec>(pv).csi!.volumeHandle}`);
    expect(names(a)).toEqual(names(blue));
  });
});
