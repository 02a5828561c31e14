// knative-config where the conformance table (knative-config.test.ts) does not reach: faults on
// green (409, 429, 5xx), a config map only a live read finds missing, an unknown cluster, the
// declared outputs seen by a later task, a later task keeping an earlier domain, and a rollback
// run twice whose reports never show the secret header values.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { configDomain } from '../../src/sandbox/kube/seed-system.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import { testTasks } from '../helpers/registry.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
useSandbox({ profiles: 2 }, (s) => (sb = s));

const DOMAIN = 'platform.example.com';
// secret header values, given to the playbook as secret variables
const TOKENS = { token_a: 'tok-Zq8WmX31-alpha', token_b: 'tok-Pp0LrT77-bravo' };
const secretRun = { vars: TOKENS, secrets: Object.keys(TOKENS) };

const green = () => sb.clusters.green.server.store;
const cm = () => green().get('v1', 'ConfigMap', 'config-domain', 'knative-serving')!;
const ingress = () => green().get('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system');
const policy = (ns: string, name = 'allow-predictor') => green().get('security.istio.io/v1beta1', 'AuthorizationPolicy', name, ns);

beforeAll(() => {
  for (const ns of ['team-000', 'team-001']) green().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
beforeEach(() => {
  sb.traffic.setFaults([]);
  green().update({ ...cm(), data: configDomain().data });
  if (ingress()) green().delete('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system');
  for (const p of green().list('security.istio.io/v1beta1', 'AuthorizationPolicy')) {
    if (p.metadata.name?.startsWith('allow-')) green().delete('security.istio.io/v1beta1', 'AuthorizationPolicy', p.metadata.name, p.metadata.namespace);
  }
});

const task = (params: Record<string, unknown> = {}) => ({ name: 'knative', 'knative-config': { cluster: 'green', domain: DOMAIN, ...params }, register: 'kn' });
const fullTask = () =>
  task({
    ingress: { certificate_arn: sb.scenario.cognito.certificateArn, header_values: ['{{token_a}}', '{{token_b}}'] },
    authorization_policy: { namespaces: ['team-000', 'team-001'] },
  });

/** every file under a directory, as text */
function allText(dir: string): string {
  let out = '';
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    out += statSync(p).isDirectory() ? allText(p) : readFileSync(p, 'utf8');
  }
  return out;
}

describe('knative-config edges', () => {
  it('retries 409, 429 and 5xx on green', async () => {
    for (const fault of ['conflict', 'throttle', 'error500', 'error503'] as const) {
      green().update({ ...cm(), data: configDomain().data });
      if (ingress()) green().delete('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system');
      sb.traffic.setFaults([{ fault, target: 'green', times: fault === 'throttle' ? 1 : 3 }]);
      const r = await runTasks({ tasks: [fullTask()], targets: sandboxTargets(sb), ...secretRun });
      const end = r.reporter.end('knative');
      expect(end.status, `${fault}: ${end.message}`).toBe('changed');
      expect(cm().data).toEqual({ [DOMAIN]: '' });
      expect(ingress()).toBeDefined();
    }
  });

  it('a config map that is not there fails with a hint; an unknown cluster is named', async () => {
    const missing = await runTasks({ tasks: [task({ configmap: 'no-such-config' })], targets: sandboxTargets(sb) });
    const m = missing.reporter.end('knative');
    expect(m.status).toBe('failed');
    expect(m.message).toMatch(/config map knative-serving\/no-such-config not found on cluster green/);
    expect(m.hint).toMatch(/Knative Serving installed/);

    // an unknown cluster is invalid input, found by validation before anything runs (issue 14)
    await expect(runTasks({ tasks: [task({ cluster: 'purple' })], targets: sandboxTargets(sb), mode: 'check' })).rejects.toThrow(/unknown cluster "purple"/);
  });

  it('its declared outputs are known to the tasks after it, in check as in run', async () => {
    const use = { name: 'use', assert: { that: [`{{eq kn.outputs.domain "${DOMAIN}"}}`, '{{eq kn.outputs.ingress "istio-system/istio-ingress-api"}}', '{{eq (join kn.outputs.policies ",") "team-000/allow-predictor,team-000/allow-transformer,team-001/allow-predictor,team-001/allow-transformer"}}'] } };
    for (const mode of ['check', 'run'] as const) {
      const r = await runTasks({ tasks: [fullTask(), use], targets: sandboxTargets(sb), mode, ...secretRun });
      expect(r.reporter.end('use').status, `${mode}: ${r.reporter.end('use').message}`).toBe('ok');
    }
  });

  it('a later task with another domain keeps the earlier key when replace is false', async () => {
    const r = await runTasks({ tasks: [{ name: 'change it', 'knative-config': { cluster: 'green', domain: 'other.example.com' } }, task()], targets: sandboxTargets(sb) });
    expect(r.reporter.end('knative').status).toBe('changed');
    expect(cm().data).toEqual({ 'other.example.com': '', [DOMAIN]: '' });
  });

  it('rollback restores and removes what it created, a second rollback changes nothing, and no report shows a header value', async () => {
    const r = await runTasks({ tasks: [fullTask()], targets: sandboxTargets(sb), ...secretRun });
    expect(r.reporter.end('knative').status).toBe('changed');
    const planned = new CollectingReporter();
    await rollbackRun({ registry: testTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: planned, yes: true });
    const back = new CollectingReporter();
    const out = await rollbackRun({ registry: testTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: back, yes: true });
    expect(out.failed).toBe(false);
    expect(
      back
        .ends()[0]
        .changes.map((c) => `${c.action} ${c.target}`)
        .sort(),
    ).toEqual([
      'delete authorizationpolicy team-000/allow-predictor',
      'delete authorizationpolicy team-000/allow-transformer',
      'delete authorizationpolicy team-001/allow-predictor',
      'delete authorizationpolicy team-001/allow-transformer',
      'delete ingress istio-system/istio-ingress-api',
      'update configmap knative-serving/config-domain',
    ]);
    expect(cm().data).toEqual(configDomain().data);
    expect(ingress()).toBeUndefined();
    expect(policy('team-000')).toBeUndefined();
    const twice = new CollectingReporter();
    await rollbackRun({ registry: testTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: twice, yes: true });
    expect(twice.ends()[0].changes).toEqual([]);

    const everything = JSON.stringify([r.reporter.events, planned.events, back.events, twice.events]) + allText(r.stateDir);
    for (const t of Object.values(TOKENS)) expect(everything).not.toContain(t);
    expect(everything).toContain('***');
  });
});
