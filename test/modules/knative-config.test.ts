// knative-config against the sandbox: green holds config-domain with only `_example`, no serving
// ingress and no Profiles (they arrive with the restore); blue holds the production profiles.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { rollbackRun } from '../../src/runner/rollback.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import { configDomain } from '../../src/sandbox/kube/seed-system.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';

let sb: Sandbox;
let restoreEnv: () => void;
const DOMAIN = 'platform.example.com';
// secret header values, given to the playbook as secret variables
const TOKENS = { token_a: 'tok-Zq8WmX31-alpha', token_b: 'tok-Pp0LrT77-bravo' };

const targets = () => ({
  clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
});
const green = () => sb.clusters.green.server.store;
const cm = () => green().get('v1', 'ConfigMap', 'config-domain', 'knative-serving')!;
const ingress = () => green().get('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system');
const policy = (ns: string, name = 'allow-predictor') => green().get('security.istio.io/v1beta1', 'AuthorizationPolicy', name, ns);

function resetGreen(): void {
  const live = cm();
  green().update({ ...live, data: configDomain().data } as KubeObject);
  if (ingress()) green().delete('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system');
  for (const p of green().list('security.istio.io/v1beta1', 'AuthorizationPolicy')) {
    if (p.metadata.name?.startsWith('allow-')) green().delete('security.istio.io/v1beta1', 'AuthorizationPolicy', p.metadata.name, p.metadata.namespace);
  }
}

beforeAll(async () => {
  sb = await startSandbox({ profiles: 2 });
  restoreEnv = sb.applyEnv();
  for (const ns of ['team-000', 'team-001']) green().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
});
afterAll(async () => {
  restoreEnv();
  await sb.stop();
});
beforeEach(() => {
  sb.traffic.setFaults([]);
  resetGreen();
});

const task = (params: Record<string, unknown> = {}) => ({ name: 'knative', 'knative-config': { cluster: 'green', domain: DOMAIN, ...params }, register: 'kn' });
const fullTask = (extra: Record<string, unknown> = {}) =>
  task({
    ingress: { certificate_arn: sb.scenario.cognito.certificateArn, header_values: ['{{token_a}}', '{{token_b}}'] },
    authorization_policy: { namespaces: ['team-000', 'team-001'] },
    ...extra,
  });
const secretRun = { vars: TOKENS, secrets: Object.keys(TOKENS) };

/** every file under a directory, as text */
function allText(dir: string): string {
  let out = '';
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    out += statSync(p).isDirectory() ? allText(p) : readFileSync(p, 'utf8');
  }
  return out;
}

describe('knative-config', () => {
  it('dry-run describes the work without a request', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [fullTask()], targets: targets(), mode: 'dry-run', ...secretRun });
    const end = r.reporter.end('knative');
    expect(end.status).toBe('planned');
    const text = end.describe!.join('\n');
    expect(text).toMatch(/knative-serving\/config-domain hold exactly "platform\.example\.com"/);
    expect(text).toMatch(/ingress istio-system\/istio-ingress-api .*2 secret value/);
    expect(text).toMatch(/AuthorizationPolicies .* team-000, team-001/);
    expect(sb.requestLog.since(mark)).toEqual([]);
  });

  it('check shows the field diff of config-domain and the objects to create, and sends no write', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [fullTask()], targets: targets(), mode: 'check', diff: true, ...secretRun });
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    const end = r.reporter.end('knative');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes.map((c) => `${c.action} ${c.target}`)).toEqual([
      'update configmap knative-serving/config-domain',
      'create ingress istio-system/istio-ingress-api',
      'create authorizationpolicy team-000/allow-predictor',
      'create authorizationpolicy team-000/allow-transformer',
      'create authorizationpolicy team-001/allow-predictor',
      'create authorizationpolicy team-001/allow-transformer',
    ]);
    const c = end.changes[0];
    expect(Object.keys(c.before as object)).toEqual(['_example']);
    expect(c.after).toEqual({ [DOMAIN]: '' });
    expect(Object.keys(cm().data!)).toEqual(['_example']);
    expect(ingress()).toBeUndefined();
  });

  it('runs, a second run is ok, and rollback restores config-domain and removes what it created', async () => {
    const r = await runTasks({ tasks: [fullTask()], targets: targets(), ...secretRun });
    const end = r.reporter.end('knative');
    expect(end.status, end.message).toBe('changed');
    expect(cm().data).toEqual({ [DOMAIN]: '' });
    const ing = ingress()!;
    expect(ing.metadata.annotations!['alb.ingress.kubernetes.io/certificate-arn']).toBe(sb.scenario.cognito.certificateArn);
    const cond = JSON.parse(ing.metadata.annotations!['alb.ingress.kubernetes.io/conditions.istio-ingressgateway']);
    expect(cond).toEqual([{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-api-key', Values: [TOKENS.token_a, TOKENS.token_b] } }]);
    expect((ing as any).spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'istio-ingressgateway', port: { number: 80 } });
    expect((policy('team-001') as any).spec).toMatchObject({ action: 'ALLOW', selector: { matchLabels: { component: 'predictor' } } });
    expect((policy('team-001', 'allow-transformer') as any).spec.rules[0].to[0].operation.paths).toContain('/v2/models/*');

    const again = await runTasks({ tasks: [fullTask()], targets: targets(), dir: r.dir, ...secretRun });
    expect(again.reporter.end('knative').status, JSON.stringify(again.reporter.end('knative').changes)).toBe('ok');

    // rollback in check mode plans without writing, then in run mode restores
    const mark = sb.requestLog.mark();
    const planned = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: planned, yes: true });
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    const back = new CollectingReporter();
    const out = await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: back, yes: true });
    expect(out.failed).toBe(false);
    const rend = back.ends()[0];
    expect(rend.changes.map((c) => `${c.action} ${c.target}`).sort()).toEqual([
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
    // a second rollback changes nothing
    const twice = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: twice, yes: true });
    expect(twice.ends()[0].changes).toEqual([]);

    // the secret header values appear nowhere: events, diffs, journals, state files
    const everything = JSON.stringify([r.reporter.events, again.reporter.events, planned.events, back.events, twice.events]) + allText(r.stateDir);
    for (const t of Object.values(TOKENS)) expect(everything).not.toContain(t);
    expect(everything).toContain('***');
  });

  it('keeps other keys unless replace, and reports another default domain it keeps', async () => {
    green().update({ ...cm(), data: { ...(configDomain().data as Record<string, string>), 'old.example.org': '', 'svc.example.org': 'selector:\n  app: internal\n' } } as KubeObject);
    const r = await runTasks({ tasks: [task()], targets: targets() });
    const end = r.reporter.end('knative');
    expect(end.status, end.message).toBe('changed');
    expect(cm().data).toEqual({ 'old.example.org': '', 'svc.example.org': 'selector:\n  app: internal\n', [DOMAIN]: '' });
    expect(end.notes.join('\n')).toMatch(/keeps "old\.example\.org", another default domain/);
    const replaced = await runTasks({ tasks: [task({ replace: true })], targets: targets() });
    expect(replaced.reporter.end('knative').status).toBe('changed');
    expect(cm().data).toEqual({ [DOMAIN]: '' });
  });

  it('discovers profile namespaces from the Profiles on the cluster', async () => {
    for (const ns of ['team-000', 'team-001']) {
      green().create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: ns }, spec: { owner: { kind: 'User', name: `${ns}@example.com` } } } as KubeObject);
    }
    try {
      const r = await runTasks({ tasks: [task({ authorization_policy: true })], targets: targets() });
      const end = r.reporter.end('knative');
      expect(end.status, end.message).toBe('changed');
      expect(end.changes.filter((c) => c.target.startsWith('authorizationpolicy')).map((c) => c.target)).toEqual([
        'authorizationpolicy team-000/allow-predictor',
        'authorizationpolicy team-000/allow-transformer',
        'authorizationpolicy team-001/allow-predictor',
        'authorizationpolicy team-001/allow-transformer',
      ]);
      expect(policy('team-001')).toBeDefined();
    } finally {
      for (const ns of ['team-000', 'team-001']) green().delete('kubeflow.org/v1', 'Profile', ns);
    }
  });

  it('updates a drifted ingress and rollback restores its previous fields', async () => {
    const first = await runTasks({ tasks: [fullTask()], targets: targets(), ...secretRun });
    expect(first.reporter.end('knative').status).toBe('changed');
    const ing = ingress()!;
    green().update({ ...ing, metadata: { ...ing.metadata, annotations: { ...ing.metadata.annotations, 'alb.ingress.kubernetes.io/scheme': 'internal', 'team/owner': 'ml-platform' } } } as KubeObject);
    const r = await runTasks({ tasks: [fullTask()], targets: targets(), diff: true, ...secretRun });
    const end = r.reporter.end('knative');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes.map((c) => `${c.action} ${c.target}`)).toEqual(['update ingress istio-system/istio-ingress-api']);
    expect(ingress()!.metadata.annotations!['alb.ingress.kubernetes.io/scheme']).toBe('internet-facing');
    // annotations the task does not own stay
    expect(ingress()!.metadata.annotations!['team/owner']).toBe('ml-platform');
    const back = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: back, yes: true });
    expect(ingress()!.metadata.annotations!['alb.ingress.kubernetes.io/scheme']).toBe('internal');
    const everything = JSON.stringify([first.reporter.events, r.reporter.events, back.events]) + allText(r.stateDir) + allText(first.stateDir);
    for (const t of Object.values(TOKENS)) expect(everything).not.toContain(t);
  });

  it('retries 409, 429 and 5xx on green', async () => {
    for (const fault of ['conflict', 'throttle', 'error500', 'error503'] as const) {
      resetGreen();
      sb.traffic.setFaults([{ fault, target: 'green', times: fault === 'throttle' ? 1 : 3 }]);
      const r = await runTasks({ tasks: [fullTask()], targets: targets(), ...secretRun });
      const end = r.reporter.end('knative');
      expect(end.status, `${fault}: ${end.message}`).toBe('changed');
      expect(cm().data).toEqual({ [DOMAIN]: '' });
      expect(ingress()).toBeDefined();
    }
  });

  it('fails clearly on bad inputs', async () => {
    const missing = await runTasks({ tasks: [task({ configmap: 'no-such-config' })], targets: targets() });
    const m = missing.reporter.end('knative');
    expect(m.status).toBe('failed');
    expect(m.message).toMatch(/config map knative-serving\/no-such-config not found on cluster green/);
    expect(m.hint).toMatch(/Knative Serving installed/);

    // schema errors stop the playbook before anything runs
    await expect(runTasks({ tasks: [task({ domain: 'Not A Domain' })], targets: targets(), mode: 'check' })).rejects.toThrow(/"domain" has an invalid value/);
    await expect(
      runTasks({ tasks: [task({ ingress: { certificate_arn: sb.scenario.cognito.certificateArn, header_values: [] } })], targets: targets(), mode: 'check' }),
    ).rejects.toThrow(/header_values/);
    await expect(runTasks({ tasks: [task({ ingress: { certificate_arn: 'not-an-arn', header_values: ['x'] } })], targets: targets(), mode: 'check' })).rejects.toThrow(/certificate_arn/);

    const badCluster = await runTasks({ tasks: [task({ cluster: 'purple' })], targets: targets(), mode: 'check' });
    expect(badCluster.reporter.end('knative').message).toMatch(/unknown cluster "purple"/);
  });

  it('a later task with another domain keeps the earlier key when replace is false', async () => {
    const r = await runTasks({
      tasks: [
        { name: 'change it', 'knative-config': { cluster: 'green', domain: 'other.example.com' } },
        task(),
      ],
      targets: targets(),
    });
    expect(r.reporter.end('knative').status).toBe('changed');
    expect(cm().data).toEqual({ 'other.example.com': '', [DOMAIN]: '' });
  });
});
