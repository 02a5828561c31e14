// The emulated ACK SageMaker controller against the emulated AWS account: deleting an Endpoint
// object deletes the live endpoint unless it is retained, and adoption binds a new object to an
// existing endpoint. Source: aws-controllers-k8s/runtime pkg/runtime/reconciler.go
// (getDeletionPolicy, reconcile) and pkg/runtime/adoption_reconciler.go (as of 2e7b0a6).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsState } from '../../src/sandbox/aws/state.js';
import { seedAws } from '../../src/sandbox/aws/seed.js';
import { ENDPOINT_FINALIZER, runtimeHasDeletionPolicy, sagemakerBackend, startAckController } from '../../src/sandbox/kube/controllers/ack.js';
import { seedCluster } from '../../src/sandbox/kube/seed.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { hasRealCrd, REAL_CRD_DIR, realCrdsAvailable, validateAgainstRealCrd } from '../helpers/crd-schema.js';
import type { V1DeploymentSpec } from '@kubernetes/client-node';
import { waitFor } from './controllers-helpers.js';

/** an ACK status condition (ackv1alpha1.Condition) */
interface AckCondition { type: string; status: string; message?: string }
/** the status fields of ACK's AdoptedResource and SageMaker Endpoint these tests read */
interface AckStatus { conditions?: AckCondition[]; ackResourceMetadata?: unknown; endpointStatus?: string }
const ackStatus = (o: KubeObject | undefined) => o?.status as AckStatus | undefined;

const EP = 'sagemaker.services.k8s.aws/v1alpha1';
const AR = 'services.k8s.aws/v1alpha1';
const scenario = makeScenario({ profiles: 4 });
// profiles 0 and 3 serve a model through ACK
const [ep0, ep3] = [scenario.profiles[0], scenario.profiles[3]].map((p) => ({ ns: p.namespace, name: p.endpoints[0] }));

let aws: AwsState;
let blue: MemoryStore;
let green: MemoryStore;
let stops: (() => void)[] = [];
beforeEach(() => {
  aws = seedAws(new AwsState(scenario.accountId, scenario.region), scenario);
  blue = new MemoryStore();
  green = new MemoryStore();
  seedCluster(blue, scenario, 'blue');
  seedCluster(green, scenario, 'green');
  stops = [blue, green].map((store) => startAckController({ store, sagemaker: sagemakerBackend(aws.sagemaker) }));
});
afterEach(() => stops.forEach((s) => s()));

const gone = (store: MemoryStore, ns: string, name: string) => () => !store.get(EP, 'Endpoint', name, ns);

describe('deleting an Endpoint object', () => {
  it('deletes the live SageMaker endpoint when nothing protects it (the accident)', async () => {
    expect(aws.sagemaker.endpoints.has(ep0.name)).toBe(true);
    const marked = blue.delete(EP, 'Endpoint', ep0.name, ep0.ns)!;
    expect(marked.metadata.deletionTimestamp).toBeDefined(); // held by the finalizer until ACK acts
    await waitFor('the object to go', gone(blue, ep0.ns, ep0.name));
    expect(aws.sagemaker.endpoints.has(ep0.name)).toBe(false);
    expect(aws.sagemaker.endpoints.has(ep3.name)).toBe(true);
  });

  it('keeps the endpoint with services.k8s.aws/deletion-policy: retain', async () => {
    const ep = blue.get(EP, 'Endpoint', ep0.name, ep0.ns)!;
    ep.metadata.annotations = { 'services.k8s.aws/deletion-policy': 'retain' };
    blue.update(ep);
    blue.delete(EP, 'Endpoint', ep0.name, ep0.ns);
    await waitFor('the object to go', gone(blue, ep0.ns, ep0.name));
    expect(aws.sagemaker.endpoints.get(ep0.name)?.EndpointStatus).toBe('InService');
  });

  it('keeps the endpoint when the finalizer was removed first (older ACK runtimes)', async () => {
    const ep = blue.get(EP, 'Endpoint', ep3.name, ep3.ns)!;
    ep.metadata.finalizers = [];
    blue.update(ep);
    blue.delete(EP, 'Endpoint', ep3.name, ep3.ns);
    expect(blue.get(EP, 'Endpoint', ep3.name, ep3.ns)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 30)); // give the controller every chance to misbehave
    expect(aws.sagemaker.endpoints.has(ep3.name)).toBe(true);
  });
});

describe('deletion policy: annotation, then namespace annotation, then the controller flag (reconciler.go getDeletionPolicy)', () => {
  const restart = (opts: { deletionPolicy?: 'delete' | 'retain' }) => {
    stops.forEach((s) => s());
    stops = [startAckController({ store: blue, sagemaker: sagemakerBackend(aws.sagemaker), ...opts })];
  };

  it('a controller started with --deletion-policy retain keeps endpoints; the object can still ask for delete', async () => {
    restart({ deletionPolicy: 'retain' });
    blue.delete(EP, 'Endpoint', ep0.name, ep0.ns);
    await waitFor('the object to go', gone(blue, ep0.ns, ep0.name));
    expect(aws.sagemaker.endpoints.has(ep0.name)).toBe(true);
    const ep = blue.get(EP, 'Endpoint', ep3.name, ep3.ns)!;
    blue.update({ ...ep, metadata: { ...ep.metadata, annotations: { 'services.k8s.aws/deletion-policy': 'delete' } } });
    blue.delete(EP, 'Endpoint', ep3.name, ep3.ns);
    await waitFor('the object to go', gone(blue, ep3.ns, ep3.name));
    expect(aws.sagemaker.endpoints.has(ep3.name)).toBe(false);
  });

  it("the namespace's sagemaker.services.k8s.aws/deletion-policy decides for objects without their own", async () => {
    const ns = blue.get('v1', 'Namespace', ep0.ns)!;
    blue.update({ ...ns, metadata: { ...ns.metadata, annotations: { ...ns.metadata.annotations, 'sagemaker.services.k8s.aws/deletion-policy': 'retain' } } });
    blue.delete(EP, 'Endpoint', ep0.name, ep0.ns);
    await waitFor('the object to go', gone(blue, ep0.ns, ep0.name));
    expect(aws.sagemaker.endpoints.has(ep0.name)).toBe(true);
  });

  it('an old controller (sagemaker-controller v0.5.1, runtime v0.21.0, before deletion policies) deletes despite retain', async () => {
    expect([runtimeHasDeletionPolicy('x/sagemaker-controller:v0.5.1'), runtimeHasDeletionPolicy('x/sagemaker-controller:v0.6.0'), runtimeHasDeletionPolicy('x/sagemaker-controller:latest')]).toEqual([false, true, true]);
    const d = blue.get('apps/v1', 'Deployment', 'ack-sagemaker-controller-sagemaker-chart', 'ack-system')!;
    (d.spec as V1DeploymentSpec).template.spec!.containers[0].image = 'public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v0.5.1';
    blue.update(d);
    const ep = blue.get(EP, 'Endpoint', ep0.name, ep0.ns)!;
    blue.update({ ...ep, metadata: { ...ep.metadata, annotations: { 'services.k8s.aws/deletion-policy': 'retain' } } });
    blue.delete(EP, 'Endpoint', ep0.name, ep0.ns);
    await waitFor('the object to go', gone(blue, ep0.ns, ep0.name));
    expect(aws.sagemaker.endpoints.has(ep0.name)).toBe(false);
  });

  it('any value other than exactly "delete" keeps the endpoint (the policy is compared with "delete")', async () => {
    const ep = blue.get(EP, 'Endpoint', ep0.name, ep0.ns)!;
    blue.update({ ...ep, metadata: { ...ep.metadata, annotations: { 'services.k8s.aws/deletion-policy': 'Delete' } } });
    blue.delete(EP, 'Endpoint', ep0.name, ep0.ns);
    await waitFor('the object to go', gone(blue, ep0.ns, ep0.name));
    expect(aws.sagemaker.endpoints.has(ep0.name)).toBe(true);
  });
});

describe('AdoptedResource', () => {
  const adopted = (name: string, awsName: string, ns: string): KubeObject => ({
    apiVersion: AR,
    kind: 'AdoptedResource',
    metadata: { name, namespace: ns },
    spec: {
      aws: { nameOrID: awsName },
      kubernetes: { group: 'sagemaker.services.k8s.aws', kind: 'Endpoint', metadata: { name: awsName, namespace: ns } },
    },
  });
  const condition = (store: MemoryStore, name: string, ns: string) => () =>
    ackStatus(store.get(AR, 'AdoptedResource', name, ns))?.conditions?.find((c) => c.type === 'ACK.Adopted');

  it('binds a new Endpoint object on green to the existing endpoint, without creating another', async () => {
    const before = aws.sagemaker.endpoints.size;
    green.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ep0.ns } });
    green.create(adopted(`${ep0.name}-adopted`, ep0.name, ep0.ns));
    const cond = await waitFor('ACK.Adopted', condition(green, `${ep0.name}-adopted`, ep0.ns));
    expect(cond.status).toBe('True');
    const ep = green.get(EP, 'Endpoint', ep0.name, ep0.ns)!;
    expect(ep.spec).toEqual({ endpointName: ep0.name, endpointConfigName: `${ep0.name}-config` });
    expect(ep.metadata.finalizers).toEqual([ENDPOINT_FINALIZER]);
    expect(ackStatus(ep)!.ackResourceMetadata).toEqual({ arn: aws.sagemaker.arnFor(ep0.name), ownerAccountID: scenario.accountId, region: scenario.region });
    expect(ackStatus(ep)!.endpointStatus).toBe('InService');
    expect(aws.sagemaker.endpoints.size).toBe(before);
  });

  it("reports ACK.Adopted False with ReadOne's error while the endpoint does not exist, and keeps trying (only True is final)", async () => {
    green.create(adopted('ghost-adopted', 'no-such-endpoint', 'default'));
    const cond = await waitFor('ACK.Adopted', condition(green, 'ghost-adopted', 'default'));
    expect(cond.status).toBe('False');
    expect(cond.message).toBe('resource not found');
    expect(green.get(EP, 'Endpoint', 'no-such-endpoint', 'default')).toBeUndefined();
    // the endpoint appears in SageMaker: the next attempt adopts it
    const e = aws.sagemaker.endpoints.get(ep3.name)!;
    aws.sagemaker.endpoints.set('no-such-endpoint', { ...e, EndpointName: 'no-such-endpoint', EndpointArn: e.EndpointArn.replace(ep3.name, 'no-such-endpoint') });
    await waitFor('adopted at a retry', () => condition(green, 'ghost-adopted', 'default')()?.status === 'True', 5000);
    expect(green.get(EP, 'Endpoint', 'no-such-endpoint', 'default')).toBeDefined();
  });

  it('adopts even when the target object already exists, leaving that object as it is', async () => {
    const before = blue.get(EP, 'Endpoint', ep0.name, ep0.ns)!;
    blue.create(adopted('dup', ep0.name, ep0.ns));
    const cond = await waitFor('ACK.Adopted', condition(blue, 'dup', ep0.ns));
    expect(cond.status).toBe('True');
    expect(blue.get(EP, 'Endpoint', ep0.name, ep0.ns)!.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it("names the object after the AdoptedResource when spec.kubernetes.metadata gives no name, and puts the requested labels and annotations on it with services.k8s.aws/adopted", async () => {
    green.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ep0.ns } });
    green.create({
      apiVersion: AR,
      kind: 'AdoptedResource',
      metadata: { name: 'my-endpoint', namespace: ep0.ns },
      spec: {
        aws: { nameOrID: ep0.name },
        kubernetes: { group: 'sagemaker.services.k8s.aws', kind: 'Endpoint', metadata: { labels: { team: 'a' }, annotations: { 'services.k8s.aws/deletion-policy': 'retain' } } },
      },
    });
    expect((await waitFor('ACK.Adopted', condition(green, 'my-endpoint', ep0.ns))).status).toBe('True');
    const ep = green.get(EP, 'Endpoint', 'my-endpoint', ep0.ns)!;
    expect(ep.metadata.labels).toEqual({ team: 'a' });
    expect(ep.metadata.annotations).toEqual({ 'services.k8s.aws/deletion-policy': 'retain', 'services.k8s.aws/adopted': 'true' });
    expect(green.get(AR, 'AdoptedResource', 'my-endpoint', ep0.ns)!.metadata.finalizers).toEqual(['finalizers.services.k8s.aws/AdoptedResource']);
    // the retain annotation it was given protects the endpoint when this object goes
    green.delete(EP, 'Endpoint', 'my-endpoint', ep0.ns);
    await waitFor('the object to go', gone(green, ep0.ns, 'my-endpoint'));
    expect(aws.sagemaker.endpoints.has(ep0.name)).toBe(true);
  });

  it.skipIf(!realCrdsAvailable())(`writes objects the real ACK CRDs accept (needs ${REAL_CRD_DIR})`, async () => {
    green.create(adopted('a1', ep3.name, 'default'));
    green.create(adopted('a2', 'missing', 'default'));
    await waitFor('both conditions', () => condition(green, 'a1', 'default')() && condition(green, 'a2', 'default')());
    const objs = [...green.list(AR, 'AdoptedResource'), ...green.list(EP, 'Endpoint')];
    expect(objs).toHaveLength(3);
    for (const o of objs) {
      expect(hasRealCrd(o)).toBe(true);
      expect(validateAgainstRealCrd(o), `${o.kind} ${o.metadata.name}`).toEqual([]);
    }
  });
});
