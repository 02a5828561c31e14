// ack-adopt through the conformance tester (test/kit/task-tester.ts), against the sandbox: both
// clusters run the emulated ACK SageMaker controller, which deletes the live endpoint when an
// unprotected Endpoint object is deleted and adopts on AdoptedResource creation. The tester
// asserts the invariants (dry-run sends nothing, check never writes, run then check plans
// nothing, rollback takes the protection off again); the cases add what is particular to
// ack-adopt. What rollback restores is blue's protection only: the AdoptedResources on green stay
// by design (deleting an adopted Endpoint there would delete the live endpoint), so `state` is
// blue's Endpoint objects. The runtime rule, faults, refusals and the accident the task prevents:
// ack-adopt.edges.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { builtinTasks } from '../../src/modules/index.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { realCrdsAvailable, validateAgainstRealCrd } from '../helpers/crd-schema.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
const EP_API = 'sagemaker.services.k8s.aws/v1alpha1';
const AR_API = 'services.k8s.aws/v1alpha1';
const FINALIZER = 'finalizers.sagemaker.services.k8s.aws/Endpoint';
const POLICY = 'services.k8s.aws/deletion-policy';

const blue = (sb: Sandbox) => sb.clusters.blue.server.store;
const green = (sb: Sandbox) => sb.clusters.green.server.store;
const endpoint = (sb: Sandbox, ns = 'team-000', name = 'team-000-xgboost', store = blue(sb)) => store.get(EP_API, 'Endpoint', name, ns);
/** the protection of blue's Endpoint objects: what ack-adopt changes there and rollback takes off */
const state = (sb: Sandbox): unknown =>
  blue(sb)
    .list(EP_API, 'Endpoint')
    .map((e) => ({ key: `${e.metadata.namespace}/${e.metadata.name}`, policy: e.metadata.annotations?.[POLICY] ?? null, finalizers: e.metadata.finalizers ?? [] }))
    .sort((a, b) => a.key.localeCompare(b.key));

/** what the Velero restore does before this step: the profile namespaces exist on green */
function profileNamespacesOnGreen(sb: Sandbox): void {
  for (const p of sb.scenario.profiles) {
    if (!green(sb).get('v1', 'Namespace', p.namespace)) green(sb).create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: p.namespace } });
  }
}

taskTester({
  type: 'ack-adopt',
  // 6 profiles: team-000 and team-003 serve an ACK SageMaker endpoint each
  sandbox: { profiles: 6 },
  valid: [
    {
      name: 'protects every endpoint with the deletion-policy annotation, writes the manifests and adopts on green',
      setup: profileNamespacesOnGreen,
      params: { cluster: 'blue', output_dir: 'ack', apply_to: 'green' },
      state,
      after: ({ sb, run, check }) => {
        const end = run.reporter.end(TASK);
        expect(end.changes.map((c) => `${c.action} ${c.target}`)).toEqual([
          'update blue endpoints.sagemaker.services.k8s.aws team-000/team-000-xgboost',
          'update blue endpoints.sagemaker.services.k8s.aws team-003/team-003-xgboost',
          `create file ${join(run.dir, 'ack', 'team-000-xgboost-adopted.yaml')}`,
          `create file ${join(run.dir, 'ack', 'team-003-xgboost-adopted.yaml')}`,
          'create green adoptedresources.services.k8s.aws team-000/team-000-xgboost',
          'create green adoptedresources.services.k8s.aws team-003/team-003-xgboost',
        ]);
        expect(end.notes.find((n) => n.startsWith('team-000/team-000-xgboost'))).toMatch(/InService; annotate .*write .*adopt on green/);
        expect(end.notes.some((n) => /ACK runtime 0\.25\.0 .*sagemaker-controller:v1\.2\.1/.test(n))).toBe(true);
        expect(endpoint(sb)!.metadata.annotations?.[POLICY]).toBe('retain');
        expect(endpoint(sb)!.metadata.finalizers).toEqual([FINALIZER]);
        const manifest: unknown = parse(readFileSync(join(run.dir, 'ack', 'team-000-xgboost-adopted.yaml'), 'utf8'));
        expect(manifest).toMatchObject({
          kind: 'AdoptedResource',
          metadata: { name: 'team-000-xgboost', namespace: 'team-000' },
          spec: { aws: { nameOrID: 'team-000-xgboost' }, kubernetes: { group: 'sagemaker.services.k8s.aws', kind: 'Endpoint' } },
        });
        const ar = green(sb).get(AR_API, 'AdoptedResource', 'team-003-xgboost', 'team-003')!;
        expect(ar.status).toMatchObject({ conditions: [{ type: 'ACK.Adopted', status: 'True' }] });
        // the controller on green made the Endpoint object bound to the live endpoint: none was created
        expect(endpoint(sb, 'team-003', 'team-003-xgboost', green(sb))?.spec).toMatchObject({ endpointName: 'team-003-xgboost' });
        expect([...sb.aws.state.sagemaker.endpoints.keys()].sort()).toEqual(['team-000-xgboost', 'team-003-xgboost']);
        expect(check.reporter.end(TASK).notes.find((n) => n.startsWith('team-000/team-000-xgboost'))).toMatch(/protected already; on green already/);
        // the objects created validate against the real ACK CRD (../shared), when it is there
        if (realCrdsAvailable()) {
          for (const o of green(sb).list(AR_API, 'AdoptedResource')) {
            const { status: _s, ...rest } = o;
            expect(validateAgainstRealCrd(rest as Parameters<typeof validateAgainstRealCrd>[0])).toEqual([]);
          }
        }
      },
    },
    {
      name: "removes ACK's finalizer instead (method remove-finalizers), only in the namespaces given",
      params: { cluster: 'blue', method: 'remove-finalizers', namespaces: ['team-000'] },
      state,
      after: ({ sb }) => {
        expect(endpoint(sb)!.metadata.finalizers ?? []).toEqual([]);
        expect(endpoint(sb, 'team-003', 'team-003-xgboost')!.metadata.finalizers).toEqual([FINALIZER]);
      },
    },
    {
      name: 'a namespace without endpoints is skipped',
      params: { cluster: 'blue', namespaces: ['team-001'] },
      expect: 'skipped',
    },
  ],
  invalid: [
    { name: 'an unknown method', params: { cluster: 'blue', method: 'delete' }, error: /method/ },
    { name: 'a runtime version that is no version', params: { cluster: 'blue', ack_runtime_version: 'new' }, error: /ack_runtime_version/ },
    { name: 'a zero adoption timeout', params: { cluster: 'blue', adopt_timeout_seconds: 0 }, error: /adopt_timeout_seconds/ },
    { name: 'the same namespace twice', params: { cluster: 'blue', namespaces: ['team-000', 'team-000'] }, error: /namespaces/ },
  ],
});

describe('ack-adopt describe', () => {
  it('says how each endpoint would be protected and where it is adopted, for dry-run', async () => {
    const type = await builtinTasks.load('ack-adopt');
    const text = type.describe({ cluster: 'blue', method: 'annotate', ack_namespace: 'ack-system', adopt_timeout_seconds: 120, output_dir: 'ack', apply_to: 'green' }).join('\n');
    expect(text).toContain(`${POLICY}: retain`);
    expect(text).toContain('-adopted.yaml');
    expect(text).toContain('on green');
  });
});
