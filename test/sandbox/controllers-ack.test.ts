// The emulated ACK SageMaker controller against the emulated AWS account: deleting an Endpoint
// object deletes the live endpoint unless it is retained, and adoption binds a new object to an
// existing endpoint.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsState } from '../../src/sandbox/aws/state.js';
import { seedAws } from '../../src/sandbox/aws/seed.js';
import { ENDPOINT_FINALIZER, sagemakerBackend, startAckController } from '../../src/sandbox/kube/controllers/ack.js';
import { seedCluster } from '../../src/sandbox/kube/seed.js';
import { MemoryStore } from '../../src/sandbox/kube/store.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import { makeScenario } from '../../src/sandbox/scenario.js';
import { hasRealCrd, REAL_CRD_DIR, realCrdsAvailable, validateAgainstRealCrd } from '../helpers/crd-schema.js';
import { waitFor } from './controllers-helpers.js';

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
    ((store.get(AR, 'AdoptedResource', name, ns)?.status as any)?.conditions as any[] | undefined)?.find((c) => c.type === 'ACK.Adopted');

  it('binds a new Endpoint object on green to the existing endpoint, without creating another', async () => {
    const before = aws.sagemaker.endpoints.size;
    green.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ep0.ns } });
    green.create(adopted(`${ep0.name}-adopted`, ep0.name, ep0.ns));
    const cond = await waitFor('ACK.Adopted', condition(green, `${ep0.name}-adopted`, ep0.ns));
    expect(cond.status).toBe('True');
    const ep = green.get(EP, 'Endpoint', ep0.name, ep0.ns)!;
    expect(ep.spec).toEqual({ endpointName: ep0.name, endpointConfigName: `${ep0.name}-config` });
    expect(ep.metadata.finalizers).toEqual([ENDPOINT_FINALIZER]);
    expect((ep.status as any).ackResourceMetadata).toEqual({ arn: aws.sagemaker.arnFor(ep0.name), ownerAccountID: scenario.accountId, region: scenario.region });
    expect((ep.status as any).endpointStatus).toBe('InService');
    expect(aws.sagemaker.endpoints.size).toBe(before);
  });

  it('reports ACK.Adopted False when the endpoint does not exist', async () => {
    green.create(adopted('ghost-adopted', 'no-such-endpoint', 'default'));
    const cond = await waitFor('ACK.Adopted', condition(green, 'ghost-adopted', 'default'));
    expect(cond.status).toBe('False');
    expect(cond.message).toContain('no-such-endpoint');
    expect(green.get(EP, 'Endpoint', 'no-such-endpoint', 'default')).toBeUndefined();
  });

  it('reports ACK.Adopted False when the target object already exists', async () => {
    blue.create(adopted('dup', ep0.name, ep0.ns));
    const cond = await waitFor('ACK.Adopted', condition(blue, 'dup', ep0.ns));
    expect(cond.status).toBe('False');
    expect(cond.reason).toBe('AlreadyExists');
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
