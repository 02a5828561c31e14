// prometheus-scrape where the conformance table (prometheus-scrape.test.ts) does not reach: what
// dry-run describes, faults on green (409, 429, 5xx), failures only a live read or the patch files
// find, the declared outputs seen by a later task, rollback planned and run twice, and the real
// add-on patch files (../shared; skipped when absent) against ours.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import { testTasks } from '../helpers/registry.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';

const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/kubeflow-manifests/prometheus');
const haveFixtures = existsSync(join(FIXTURES, 'config-map.yaml'));
if (!haveFixtures) console.warn(`prometheus-scrape: ${FIXTURES} is absent; the test with the real add-on patch files is skipped`);

let sb: Sandbox;
useSandbox({ profiles: 1 }, (s) => (sb = s));

const objs = {
  cm: ['v1', 'ConfigMap', 'prometheus-server-conf', 'monitoring'],
  prom: ['apps/v1', 'Deployment', 'prometheus-deployment', 'monitoring'],
  deploy: ['apps/v1', 'Deployment', 'notebook-controller-deployment', 'kubeflow'],
  svc: ['v1', 'Service', 'notebook-controller-service', 'kubeflow'],
} as const;
type Name = keyof typeof objs;
type Loose = KubeObject & { data?: Record<string, string>; spec?: Record<string, unknown> };
const green = () => sb.clusters.green.server.store;
const get = (n: Name): Loose => {
  const [v, k, name, ns] = objs[n];
  return green().get(v, k, name, ns)!;
};
const promYml = () => get('cm').data!['prometheus.yml'];
const jobNames = (text: string) => (parse(text) as { scrape_configs: { job_name: string }[] }).scrape_configs.map((j) => j.job_name);
const setYml = (text: string) => green().update({ ...get('cm'), data: { ...get('cm').data, 'prometheus.yml': text } });
// an emptied annotation map and no map are the same to Kubernetes
const owned = (o: Loose) => ({ labels: o.metadata.labels ?? {}, annotations: o.metadata.annotations ?? {}, data: o.data, spec: o.spec });

let seed: Record<Name, Loose>;
function reset(): void {
  for (const n of Object.keys(objs) as Name[]) green().update({ ...seed[n], metadata: { ...seed[n].metadata, resourceVersion: get(n).metadata.resourceVersion } });
}
beforeAll(() => {
  seed = Object.fromEntries((Object.keys(objs) as Name[]).map((n) => [n, structuredClone(get(n))])) as Record<Name, Loose>;
});
beforeEach(() => {
  sb.traffic.setFaults([]);
  reset();
});

const task = (params: Record<string, unknown> = {}) => ({ name: 'prom', 'prometheus-scrape': { cluster: 'green', ...params }, register: 'prom' });

describe('prometheus-scrape edges', () => {
  it('dry-run describes the patches, the merge and the restart', async () => {
    const r = await runTasks({ tasks: [task({ restart: true })], targets: sandboxTargets(sb), mode: 'dry-run' });
    const text = r.reporter.end('prom').describe!.join('\n');
    expect(text).toMatch(/notebook-controller-deployment-patch\.yaml\.hbs, kfup:prometheus\/notebook-controller-service-patch/);
    expect(text).toMatch(/merge scrape jobs ml-pipeline, katib-controller, notebook-controller by job_name into prometheus\.yml of config map monitoring\/prometheus-server-conf/);
    expect(text).toMatch(/restart deployment monitoring\/prometheus-deployment/);
  });

  it('retries 409, 429 and 5xx on green', async () => {
    for (const fault of ['conflict', 'throttle', 'error500', 'error503'] as const) {
      reset();
      sb.traffic.setFaults([{ fault, target: 'green', times: fault === 'throttle' ? 1 : 3 }]);
      const r = await runTasks({ tasks: [task()], targets: sandboxTargets(sb) });
      const end = r.reporter.end('prom');
      expect(end.status, `${fault}: ${end.message}`).toBe('changed');
      expect(jobNames(promYml())).toContain('notebook-controller');
      expect(get('deploy').spec).toMatchObject({ template: { metadata: { annotations: { 'prometheus.io/scrape': 'true' } } } });
    }
  });

  it('fails clearly on what only the cluster or the patch files tell', async () => {
    const targets = sandboxTargets(sb);
    const missing = await runTasks({ tasks: [task({ configmap: { namespace: 'prometheus', name: 'prometheus-server' } })], targets, mode: 'check' });
    expect(missing.reporter.end('prom').message).toMatch(/config map prometheus\/prometheus-server not found on cluster green/);

    const dir = mkdtempSync(join(tmpdir(), 'kfup-prom-'));
    writeFileSync(join(dir, 'bad.yaml'), 'spec:\n  template: [unclosed\n');
    const bad = await runTasks({ tasks: [task({ patches: [{ file: 'bad.yaml', kind: 'Deployment', namespace: 'kubeflow', name: 'notebook-controller-deployment' }] })], targets, mode: 'check', dir });
    expect(bad.reporter.end('prom').message).toMatch(/patch bad\.yaml is not valid YAML/);
    const absent = await runTasks({ tasks: [task({ patches: [{ file: 'nope.yaml' }] })], targets, mode: 'check' });
    expect(absent.reporter.end('prom').message).toMatch(/patch file not found: nope\.yaml/);
    const unknown = await runTasks({ tasks: [task({ patches: [{ inline: { spec: { replicas: 2 } } }] })], targets, mode: 'check' });
    expect(unknown.reporter.end('prom').hint).toMatch(/give kind, namespace and name/);
    const mismatch = await runTasks({ tasks: [task({ patches: [{ inline: { kind: 'Service', metadata: { name: 'x' } }, kind: 'Deployment', namespace: 'kubeflow', name: 'x' }] })], targets, mode: 'check' });
    expect(mismatch.reporter.end('prom').message).toMatch(/its kind "Service" does not match the target's "Deployment"/);
    const gone = await runTasks({ tasks: [task({ patches: [{ inline: { spec: { replicas: 2 } }, kind: 'Deployment', namespace: 'kubeflow', name: 'no-such-deployment' }] })], targets, mode: 'check' });
    expect(gone.reporter.end('prom').message).toMatch(/Deployment kubeflow\/no-such-deployment not found on cluster green/);
    const dup = await runTasks({ tasks: [task({ jobs: [{ job_name: 'x' }, { job_name: 'x' }] })], targets, mode: 'check' });
    expect(dup.reporter.end('prom').message).toMatch(/scrape job "x" is listed twice/);

    setYml('global: {}\nscrape_configs: [\n');
    const broken = await runTasks({ tasks: [task({ patches: [] })], targets, mode: 'check' });
    expect(broken.reporter.end('prom').message).toMatch(/prometheus\.yml in config map monitoring\/prometheus-server-conf: invalid YAML/);
  });

  it('its declared outputs are known to the tasks after it, in check as in run', async () => {
    const use = {
      name: 'use',
      assert: { that: ['{{eq prom.outputs.configmap "monitoring/prometheus-server-conf"}}', '{{eq (join prom.outputs.jobs_added ",") "ml-pipeline,katib-controller,notebook-controller"}}', '{{eq (join prom.outputs.patched ",") "deployment kubeflow/notebook-controller-deployment,service kubeflow/notebook-controller-service"}}', '{{prom.outputs.restarted}}'] },
    };
    for (const mode of ['check', 'run'] as const) {
      reset();
      const r = await runTasks({ tasks: [task({ restart: true }), use], targets: sandboxTargets(sb), mode });
      expect(r.reporter.end('use').status, `${mode}: ${r.reporter.end('use').message}`).toBe('ok');
    }
  });

  it('rollback plans the four restores without writing, restores them, and a second rollback changes nothing', async () => {
    const r = await runTasks({ tasks: [task({ restart: true })], targets: sandboxTargets(sb) });
    expect(r.reporter.end('prom').status).toBe('changed');
    const planned = new CollectingReporter();
    await rollbackRun({ registry: testTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: planned, yes: true });
    expect(planned.ends()[0].changes).toHaveLength(4);
    const back = new CollectingReporter();
    const out = await rollbackRun({ registry: testTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: back, yes: true });
    expect(out.failed, JSON.stringify(back.ends())).toBe(false);
    for (const n of Object.keys(objs) as Name[]) expect(owned(get(n)), n).toEqual(owned(seed[n]));
    const twice = new CollectingReporter();
    await rollbackRun({ registry: testTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: twice, yes: true });
    expect(twice.ends()[0].changes).toEqual([]);
  });

  it.skipIf(!haveFixtures)('the real add-on patch files and ours have the same effect, and each is ok after the other', async () => {
    const realPatches = [{ file: join(FIXTURES, 'notebook-controller-deployment-patch.yaml') }, { file: join(FIXTURES, 'notebook-controller-service-patch.yaml') }];
    const targets = sandboxTargets(sb);
    const real = await runTasks({ tasks: [task({ patches: realPatches })], targets });
    expect(real.reporter.end('prom').status, real.reporter.end('prom').message).toBe('changed');
    const afterReal = { deploy: owned(get('deploy')), svc: owned(get('svc')) };
    const ours = await runTasks({ tasks: [task()], targets });
    expect(ours.reporter.end('prom').status, JSON.stringify(ours.reporter.end('prom').changes)).toBe('ok');
    const back = new CollectingReporter();
    await rollbackRun({ registry: testTasks, runId: real.result.runId, stateDir: real.stateDir, mode: 'run', reporter: back, yes: true });
    expect(owned(get('deploy'))).toEqual(owned(seed.deploy));
    const second = await runTasks({ tasks: [task()], targets });
    expect(second.reporter.end('prom').status).toBe('changed');
    expect({ deploy: owned(get('deploy')), svc: owned(get('svc')) }).toEqual(afterReal);
    const realAgain = await runTasks({ tasks: [task({ patches: realPatches })], targets });
    expect(realAgain.reporter.end('prom').status).toBe('ok');
  });
});
