// ack-adopt against the sandbox: both clusters run the emulated ACK SageMaker controller, which
// deletes the live endpoint when an unprotected Endpoint object is deleted and adopts on
// AdoptedResource creation. Covers dry-run, check (read-only), run, second run, the accident the
// task prevents, revert of both methods, the runtime-version rule, faults and bad inputs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { rollbackRun } from '../../src/runner/rollback.js';
import type { Targets } from '../../src/runner/types.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import { realCrdsAvailable, validateAgainstRealCrd } from '../helpers/crd-schema.js';

const EP_API = 'sagemaker.services.k8s.aws/v1alpha1';
const AR_API = 'services.k8s.aws/v1alpha1';
const FINALIZER = 'finalizers.sagemaker.services.k8s.aws/Endpoint';
const POLICY = 'services.k8s.aws/deletion-policy';

let sb: Sandbox;
let restore: () => void;
let targets: Targets;

beforeAll(async () => {
  // 6 profiles: team-000 and team-003 serve an ACK SageMaker endpoint each
  sb = await startSandbox({ profiles: 6, timing: { dnsChangeMs: 50 } });
  restore = sb.applyEnv();
  targets = {
    aws: { region: sb.scenario.region },
    clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
  };
  // what the Velero restore does before this step: the profile namespaces exist on green
  for (const p of sb.scenario.profiles) sb.clusters.green.server.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: p.namespace } });
});

afterAll(async () => {
  restore?.();
  await sb?.stop();
});

const blue = () => sb.clusters.blue.server.store;
const green = () => sb.clusters.green.server.store;
const task = (p: Record<string, unknown>) => ({ name: 'ack', 'ack-adopt': p, register: 'ack' });
const endpoint = (store = blue(), ns = 'team-000', name = 'team-000-xgboost') => store.get(EP_API, 'Endpoint', name, ns);
const settle = () => new Promise((r) => setTimeout(r, 30));

/** puts blue's team-000 endpoint object back as seeded (no annotation, with its finalizer) */
function resetBlue(): void {
  for (const [ns, name] of [['team-000', 'team-000-xgboost'], ['team-003', 'team-003-xgboost']]) {
    const cur = endpoint(blue(), ns, name)!;
    if (cur.metadata.annotations) delete cur.metadata.annotations[POLICY];
    cur.metadata.finalizers = [FINALIZER];
    blue().update(cur);
  }
}

describe('ack-adopt', () => {
  it('dry-run says what it would do and sends nothing', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ cluster: 'blue', output_dir: 'ack', apply_to: 'green' })], targets, mode: 'dry-run' });
    const end = r.reporter.end('ack');
    expect(end.status).toBe('planned');
    const text = end.describe?.join('\n') ?? '';
    expect(text).toContain(`${POLICY}: retain`);
    expect(text).toContain('-adopted.yaml');
    expect(text).toContain('on green');
    expect(sb.requestLog.since(mark)).toEqual([]);
  });

  it('check lists each endpoint with its SageMaker status and planned actions, and writes nothing', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ cluster: 'blue', output_dir: 'ack', apply_to: 'green' })], targets, mode: 'check', diff: true });
    const end = r.reporter.end('ack');
    expect(end.status).toBe('changed');
    expect(end.notes.find((n) => n.startsWith('team-000/team-000-xgboost'))).toMatch(/InService; annotate .*write .*adopt on green/);
    expect(end.notes.some((n) => /ACK runtime 0\.25\.0 .*sagemaker-controller:v1\.2\.1/.test(n))).toBe(true);
    expect(end.changes.map((c) => `${c.action} ${c.target}`)).toEqual([
      'update blue endpoints.sagemaker.services.k8s.aws team-000/team-000-xgboost',
      'update blue endpoints.sagemaker.services.k8s.aws team-003/team-003-xgboost',
      `create file ${join(r.dir, 'ack', 'team-000-xgboost-adopted.yaml')}`,
      `create file ${join(r.dir, 'ack', 'team-003-xgboost-adopted.yaml')}`,
      'create green adoptedresources.services.k8s.aws team-000/team-000-xgboost',
      'create green adoptedresources.services.k8s.aws team-003/team-003-xgboost',
    ]);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    expect(sb.requestLog.since(mark).some((e) => e.operation === 'DescribeEndpoint')).toBe(true);
    expect(existsSync(join(r.dir, 'ack'))).toBe(false);
    expect(endpoint()!.metadata.annotations?.[POLICY]).toBeUndefined();
  });

  it('run protects blue, writes the manifests, adopts on green; a second run is ok; revert removes the annotation', async () => {
    const r = await runTasks({ tasks: [task({ cluster: 'blue', output_dir: 'ack', apply_to: 'green' })], targets });
    const end = r.reporter.end('ack');
    expect(end.status, end.message).toBe('changed');
    expect(endpoint()!.metadata.annotations?.[POLICY]).toBe('retain');
    expect(endpoint()!.metadata.finalizers).toEqual([FINALIZER]);

    const manifest = parse(readFileSync(join(r.dir, 'ack', 'team-000-xgboost-adopted.yaml'), 'utf8'));
    expect(manifest).toMatchObject({ kind: 'AdoptedResource', metadata: { name: 'team-000-xgboost', namespace: 'team-000' }, spec: { aws: { nameOrID: 'team-000-xgboost' }, kubernetes: { group: 'sagemaker.services.k8s.aws', kind: 'Endpoint' } } });
    const ar = green().get(AR_API, 'AdoptedResource', 'team-003-xgboost', 'team-003')!;
    expect(ar.status).toMatchObject({ conditions: [{ type: 'ACK.Adopted', status: 'True' }] });
    // the controller on green made the Endpoint object bound to the live endpoint: none was created
    expect(endpoint(green(), 'team-003', 'team-003-xgboost')?.spec).toMatchObject({ endpointName: 'team-003-xgboost' });
    expect([...sb.aws.state.sagemaker.endpoints.keys()].sort()).toEqual(['team-000-xgboost', 'team-003-xgboost']);

    const again = await runTasks({ tasks: [task({ cluster: 'blue', output_dir: 'ack', apply_to: 'green' })], targets, dir: r.dir });
    expect(again.reporter.end('ack').status, again.reporter.end('ack').message).toBe('ok');

    const check = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: check });
    expect(check.ends()[0].changes.map((c) => c.summary)).toEqual([`remove annotation ${POLICY}`, `remove annotation ${POLICY}`]);
    expect(endpoint()!.metadata.annotations?.[POLICY]).toBe('retain');

    const done = await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: new CollectingReporter() });
    expect(done.failed).toBe(false);
    expect(endpoint()!.metadata.annotations?.[POLICY]).toBeUndefined();
    // green's adopted objects are left alone: deleting them would delete the live endpoints
    expect(green().get(AR_API, 'AdoptedResource', 'team-003-xgboost', 'team-003')).toBeDefined();
    const twice = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: twice });
    expect(twice.ends().map((e) => e.status)).toEqual(['ok']);
  });

  it.skipIf(!realCrdsAvailable())('the AdoptedResource objects validate against the real ACK CRD (skipped without ../shared)', () => {
    const objs = green().list(AR_API, 'AdoptedResource');
    expect(objs.length).toBe(2);
    for (const o of objs) {
      const { status: _s, ...rest } = o;
      expect(validateAgainstRealCrd(rest as never)).toEqual([]);
    }
  });

  it('prevents the accident: after ack-adopt the protected endpoint survives deleting its object; without it, it is deleted', async () => {
    resetBlue();
    const r = await runTasks({ tasks: [task({ cluster: 'blue', namespaces: ['team-000'] })], targets });
    expect(r.reporter.end('ack').status).toBe('changed');
    blue().delete(EP_API, 'Endpoint', 'team-000-xgboost', 'team-000');
    blue().delete(EP_API, 'Endpoint', 'team-003-xgboost', 'team-003');
    for (let i = 0; i < 50 && (endpoint(blue(), 'team-000', 'team-000-xgboost') || endpoint(blue(), 'team-003', 'team-003-xgboost')); i++) await settle();
    expect(endpoint(blue(), 'team-000', 'team-000-xgboost')).toBeUndefined();
    expect(sb.aws.state.sagemaker.endpoints.has('team-000-xgboost')).toBe(true);
    // team-003 was not protected (not in namespaces): its live endpoint went with the object
    expect(sb.aws.state.sagemaker.endpoints.has('team-003-xgboost')).toBe(false);
  });
});

describe('ack-adopt on other clusters and inputs', () => {
  let fresh: Sandbox;
  let freshTargets: Targets;
  let undo: () => void;
  beforeAll(async () => {
    restore?.();
    fresh = await startSandbox({ profiles: 4 });
    undo = fresh.applyEnv();
    freshTargets = {
      aws: { region: fresh.scenario.region },
      clusters: { blue: { kubeconfig: fresh.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: fresh.kubeconfigPath, context: 'sandbox-green' } },
    };
  });
  afterAll(async () => {
    undo?.();
    await fresh?.stop();
    restore = sb.applyEnv();
  });
  const fb = () => fresh.clusters.blue.server.store;

  function setControllerImage(image: string): void {
    const d = fb().get('apps/v1', 'Deployment', 'ack-sagemaker-controller-sagemaker-chart', 'ack-system')!;
    (d.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image = image;
    fb().update(d);
  }

  it('refuses annotate on a runtime up to 0.22.1, from the image tag or the parameter, with a hint', async () => {
    setControllerImage('public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v0.5.1');
    const r = await runTasks({ tasks: [task({ cluster: 'blue' })], targets: freshTargets, mode: 'check' });
    const end = r.reporter.end('ack');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/ACK runtime 0\.21\.0 .*sagemaker-controller:v0\.5\.1.* ignores services\.k8s\.aws\/deletion-policy/);
    expect(end.hint).toContain('remove-finalizers');

    setControllerImage('public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v1.2.1');
    const given = await runTasks({ tasks: [task({ cluster: 'blue', ack_runtime_version: '0.22.1' })], targets: freshTargets, mode: 'check' });
    expect(given.reporter.end('ack').message).toMatch(/runtime 0\.22\.1 \(ack_runtime_version\)/);

    setControllerImage('example.com/mirror/sagemaker-controller:latest');
    const unknown = await runTasks({ tasks: [task({ cluster: 'blue' })], targets: freshTargets, mode: 'check' });
    expect(unknown.reporter.end('ack').message).toMatch(/cannot tell the ACK runtime version on blue: tag "latest"/);
    expect(unknown.reporter.end('ack').hint).toContain('ack_runtime_version');
  });

  it('remove-finalizers works on an old runtime, under Kubernetes and AWS faults, and revert restores the finalizers', async () => {
    setControllerImage('public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v0.5.1');
    fresh.traffic.setFaults([
      { fault: 'error503', target: 'blue', times: 1 },
      { fault: 'conflict', target: 'blue', times: 1 },
      { fault: 'throttle', target: 'aws', service: 'sagemaker', times: 1 },
    ]);
    const r = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers', namespaces: ['team-000'] })], targets: freshTargets });
    fresh.traffic.setFaults([]);
    const end = r.reporter.end('ack');
    expect(end.status, end.message).toBe('changed');
    const ep = fb().get(EP_API, 'Endpoint', 'team-000-xgboost', 'team-000')!;
    expect(ep.metadata.finalizers ?? []).toEqual([]);

    const again = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers', namespaces: ['team-000'] })], targets: freshTargets, dir: r.dir });
    expect(again.reporter.end('ack').status).toBe('ok');

    const done = await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: new CollectingReporter() });
    expect(done.failed).toBe(false);
    expect(fb().get(EP_API, 'Endpoint', 'team-000-xgboost', 'team-000')!.metadata.finalizers).toEqual([FINALIZER]);
  });

  it('fails naming an endpoint missing from SageMaker', async () => {
    const saved = fresh.aws.state.sagemaker.endpoints.get('team-003-xgboost')!;
    fresh.aws.state.sagemaker.endpoints.delete('team-003-xgboost');
    try {
      const r = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers' })], targets: freshTargets, mode: 'check' });
      const end = r.reporter.end('ack');
      expect(end.status).toBe('failed');
      expect(end.message).toContain('team-003/team-003-xgboost (SageMaker endpoint "team-003-xgboost")');
      expect(end.message).not.toContain('team-000');
    } finally {
      fresh.aws.state.sagemaker.endpoints.set('team-003-xgboost', saved);
    }
  });

  it('rejects bad inputs: unknown method, apply_to the source, a missing target namespace, an unknown cluster', async () => {
    await expect(runTasks({ tasks: [task({ cluster: 'blue', method: 'delete' })], targets: freshTargets, mode: 'check' })).rejects.toThrow(/"method" must be one of "annotate", "remove-finalizers"/);
    await expect(runTasks({ tasks: [task({ cluster: 'blue', ack_runtime_version: 'new' })], targets: freshTargets, mode: 'check' })).rejects.toThrow(/ack_runtime_version/);

    const same = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers', apply_to: 'blue' })], targets: freshTargets, mode: 'check' });
    expect(same.reporter.end('ack').message).toContain('apply_to names the source cluster blue');

    // green has no profile namespaces until Velero restores them: a check (of a whole playbook,
    // where the restore comes first) says so; a run stops before touching anything
    const nsCheck = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers', apply_to: 'green' })], targets: freshTargets, mode: 'check' });
    expect(nsCheck.reporter.end('ack').status).toBe('changed');
    expect(nsCheck.reporter.end('ack').notes.join('\n')).toContain('namespace team-000 is not on green yet: it must be restored (velero-restore)');
    const mark = fresh.requestLog.mark();
    const ns = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers', apply_to: 'green' })], targets: freshTargets, mode: 'run' });
    expect(ns.reporter.end('ack').message).toContain('namespace team-000 does not exist on green');
    expect(ns.reporter.end('ack').hint).toContain('velero-restore');
    expect(fresh.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);

    const none = await runTasks({ tasks: [task({ cluster: 'blue', namespaces: ['team-001'], method: 'remove-finalizers' })], targets: freshTargets, mode: 'check' });
    expect(none.reporter.end('ack').status).toBe('skipped');
  });
});
