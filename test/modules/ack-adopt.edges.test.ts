// ack-adopt where the conformance table (ack-adopt.test.ts) does not reach: the runtime rule
// behind the deletion-policy annotation, remove-finalizers under Kubernetes and AWS faults, the
// refusals only a live read finds, and the accident the task exists to prevent.
import { describe, expect, it } from 'vitest';
import { builtinTasks } from '../../src/modules/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';

const EP_API = 'sagemaker.services.k8s.aws/v1alpha1';
const FINALIZER = 'finalizers.sagemaker.services.k8s.aws/Endpoint';

// 4 profiles: team-000 and team-003 serve an ACK SageMaker endpoint each; green has no profile
// namespaces yet (Velero restores them before this step)
let sb: Sandbox;
useSandbox({ profiles: 4 }, (s) => (sb = s));

const blue = () => sb.clusters.blue.server.store;
const targets = () => sandboxTargets(sb);
const task = (p: Record<string, unknown>) => ({ name: 'ack', 'ack-adopt': p, register: 'ack' });
const endpoint = (ns = 'team-000', name = 'team-000-xgboost') => blue().get(EP_API, 'Endpoint', name, ns);
const settle = () => new Promise((r) => setTimeout(r, 30));

function setControllerImage(image: string): void {
  const d = blue().get('apps/v1', 'Deployment', 'ack-sagemaker-controller-sagemaker-chart', 'ack-system')!;
  (d.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image = image;
  blue().update(d);
}

describe('ack-adopt edges', () => {
  it('refuses annotate on a runtime up to 0.22.1, from the image tag or the parameter, with a hint', async () => {
    setControllerImage('public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v0.5.1');
    const r = await runTasks({ tasks: [task({ cluster: 'blue' })], targets: targets(), mode: 'check' });
    const end = r.reporter.end('ack');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/ACK runtime 0\.21\.0 .*sagemaker-controller:v0\.5\.1.* ignores services\.k8s\.aws\/deletion-policy/);
    expect(end.hint).toContain('remove-finalizers');

    setControllerImage('public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v1.2.1');
    const given = await runTasks({ tasks: [task({ cluster: 'blue', ack_runtime_version: '0.22.1' })], targets: targets(), mode: 'check' });
    expect(given.reporter.end('ack').message).toMatch(/runtime 0\.22\.1 \(ack_runtime_version\)/);

    setControllerImage('example.com/mirror/sagemaker-controller:latest');
    const unknown = await runTasks({ tasks: [task({ cluster: 'blue' })], targets: targets(), mode: 'check' });
    expect(unknown.reporter.end('ack').message).toMatch(/cannot tell the ACK runtime version on blue: tag "latest"/);
    expect(unknown.reporter.end('ack').hint).toContain('ack_runtime_version');
  });

  it('remove-finalizers works on an old runtime, under Kubernetes and AWS faults, and revert restores the finalizers', async () => {
    setControllerImage('public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v0.5.1');
    sb.traffic.setFaults([
      { fault: 'error503', target: 'blue', times: 1 },
      { fault: 'conflict', target: 'blue', times: 1 },
      { fault: 'throttle', target: 'aws', service: 'sagemaker', times: 1 },
    ]);
    const r = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers', namespaces: ['team-000'] })], targets: targets() });
    sb.traffic.setFaults([]);
    const end = r.reporter.end('ack');
    expect(end.status, end.message).toBe('changed');
    expect(endpoint()!.metadata.finalizers ?? []).toEqual([]);

    const done = await rollbackRun({ registry: builtinTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: new CollectingReporter(), yes: true });
    expect(done.failed).toBe(false);
    expect(endpoint()!.metadata.finalizers).toEqual([FINALIZER]);
  });

  it('fails naming an endpoint missing from SageMaker (its ValidationException "Could not find endpoint")', async () => {
    const saved = sb.aws.state.sagemaker.endpoints.get('team-003-xgboost')!;
    sb.aws.state.sagemaker.endpoints.delete('team-003-xgboost');
    try {
      const r = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers' })], targets: targets(), mode: 'check' });
      const end = r.reporter.end('ack');
      expect(end.status).toBe('failed');
      expect(end.message).toContain('team-003/team-003-xgboost (SageMaker endpoint "team-003-xgboost")');
      expect(end.message).not.toContain('team-000');
    } finally {
      sb.aws.state.sagemaker.endpoints.set('team-003-xgboost', saved);
    }
  });

  // found by a live read or by parameters taken together, so refused by check (no location to
  // point at: see irsa-trust.edges)
  it('refuses apply_to the source, and a run onto a cluster without the profile namespaces (a check only notes it)', async () => {
    const same = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers', apply_to: 'blue' })], targets: targets(), mode: 'check' });
    expect(same.reporter.end('ack').message).toContain('apply_to names the source cluster blue');

    // a check of a whole playbook runs before the restore that creates them: it says so
    const nsCheck = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers', apply_to: 'green' })], targets: targets(), mode: 'check' });
    expect(nsCheck.reporter.end('ack').status).toBe('changed');
    expect(nsCheck.reporter.end('ack').notes.join('\n')).toContain('namespace team-000 is not on green yet: it must be restored (velero-restore)');
    const mark = sb.requestLog.mark();
    const ns = await runTasks({ tasks: [task({ cluster: 'blue', method: 'remove-finalizers', apply_to: 'green' })], targets: targets(), mode: 'run' });
    expect(ns.reporter.end('ack').message).toContain('namespace team-000 does not exist on green');
    expect(ns.reporter.end('ack').hint).toContain('velero-restore');
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });

  it('prevents the accident: after ack-adopt the protected endpoint survives deleting its object; without it, it is deleted', async () => {
    setControllerImage('public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v1.2.1');
    const r = await runTasks({ tasks: [task({ cluster: 'blue', namespaces: ['team-000'] })], targets: targets() });
    expect(r.reporter.end('ack').status, r.reporter.end('ack').message).toBe('changed');
    blue().delete(EP_API, 'Endpoint', 'team-000-xgboost', 'team-000');
    blue().delete(EP_API, 'Endpoint', 'team-003-xgboost', 'team-003');
    for (let i = 0; i < 50 && (endpoint() || endpoint('team-003', 'team-003-xgboost')); i++) await settle();
    expect(endpoint()).toBeUndefined();
    expect(sb.aws.state.sagemaker.endpoints.has('team-000-xgboost')).toBe(true);
    // team-003 was not protected (not in namespaces): its live endpoint went with the object
    expect(sb.aws.state.sagemaker.endpoints.has('team-003-xgboost')).toBe(false);
  });
});
