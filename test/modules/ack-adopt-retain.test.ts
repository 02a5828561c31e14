// Issue 13, "The upgrade as the real deployment runs it", point 3: green's adopted Endpoints carry
// the retain deletion policy through the AdoptedResource (spec.kubernetes.metadata.annotations,
// which ACK's adoption copies onto the object it creates; aws-controllers-k8s/runtime
// pkg/runtime/adoption_reconciler.go), so deleting them, as deleting green's profile namespaces
// or green itself does, never deletes a live SageMaker endpoint. Judged by the sandbox's ACK
// controller (deletion policy: the object's annotation, else its namespace's, else "delete").
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { builtinTasks } from '../../src/modules/index.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';

const EP_API = 'sagemaker.services.k8s.aws/v1alpha1';
let sb: Sandbox;
// team-000 and team-003 serve an ACK SageMaker endpoint each
useSandbox({ profiles: 4 }, (s) => (sb = s));
const green = () => sb.clusters.green.server.store;
const settle = () => new Promise((r) => setTimeout(r, 30));
const ENDPOINTS = [
  ['team-000', 'team-000-xgboost'],
  ['team-003', 'team-003-xgboost'],
] as const;

describe('ack-adopt on green: adopted Endpoints are retained', () => {
  it('after the adoption and a rollback, deleting green’s Endpoint objects leaves every endpoint in SageMaker', async () => {
    for (const [ns] of ENDPOINTS) green().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const r = await runTasks({ tasks: [{ name: 'ack', 'ack-adopt': { cluster: 'blue', apply_to: 'green' }, register: 'ack' }], targets: sandboxTargets(sb) });
    expect(r.reporter.end('ack').status, r.reporter.end('ack').message).toBe('changed');
    const adopted = (ns: string, name: string) => green().get(EP_API, 'Endpoint', name, ns);
    for (let i = 0; i < 100 && ENDPOINTS.some(([ns, n]) => !adopted(ns, n)); i++) await settle();
    for (const [ns, n] of ENDPOINTS) expect(adopted(ns, n)?.metadata.annotations?.['services.k8s.aws/deletion-policy']).toBe('retain');

    // fail back to blue
    const back = await rollbackRun({ registry: builtinTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: new CollectingReporter(), yes: true });
    expect(back.failed).toBe(false);

    // green's profile namespaces go: their Endpoint objects with them
    for (const [ns, n] of ENDPOINTS) if (adopted(ns, n)) green().delete(EP_API, 'Endpoint', n, ns);
    for (let i = 0; i < 50 && ENDPOINTS.some(([ns, n]) => adopted(ns, n)); i++) await settle();
    for (const [, n] of ENDPOINTS) expect(sb.aws.state.sagemaker.endpoints.has(n), n).toBe(true);
  });
});
