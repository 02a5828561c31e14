// prometheus-scrape against the sandbox: green's Prometheus config has no Kubeflow jobs and its
// notebook controller is not patched; blue was configured when it was deployed. The real add-on
// config map and patch files from ../shared are used too (those tests skip when absent).
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffLines } from 'diff';
import { parse } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { rollbackRun } from '../../src/runner/rollback.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';

const FIXTURES = join(__dirname, '../../../shared/fixtures/kubeflow-manifests/prometheus');
const haveFixtures = existsSync(join(FIXTURES, 'config-map.yaml'));
if (!haveFixtures) console.warn(`prometheus-scrape: ${FIXTURES} is absent; the tests with the real add-on files are skipped`);

let sb: Sandbox;
let restoreEnv: () => void;
let seed: Record<string, KubeObject>;

const targets = () => ({
  clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
});
const green = () => sb.clusters.green.server.store;
const objs = {
  cm: ['v1', 'ConfigMap', 'prometheus-server-conf', 'monitoring'],
  prom: ['apps/v1', 'Deployment', 'prometheus-deployment', 'monitoring'],
  deploy: ['apps/v1', 'Deployment', 'notebook-controller-deployment', 'kubeflow'],
  svc: ['v1', 'Service', 'notebook-controller-service', 'kubeflow'],
} as const;
type Name = keyof typeof objs;
const get = (n: Name) => { const [v, k, name, ns] = objs[n]; return green().get(v, k, name, ns)!; };
const promYml = () => (get('cm') as any).data['prometheus.yml'] as string;
// an emptied annotation map and no map are the same to Kubernetes
const owned = (o: any) => ({ labels: o.metadata.labels, annotations: o.metadata.annotations ?? {}, data: o.data, spec: o.spec });
const jobNames = (text: string) => (parse(text).scrape_configs as { job_name: string }[]).map((j) => j.job_name);
const setYml = (text: string) => green().update({ ...get('cm'), data: { ...(get('cm') as any).data, 'prometheus.yml': text } } as KubeObject);

beforeAll(async () => {
  sb = await startSandbox({ profiles: 1 });
  restoreEnv = sb.applyEnv();
  seed = Object.fromEntries((Object.keys(objs) as Name[]).map((n) => [n, structuredClone(get(n))]));
});
afterAll(async () => {
  restoreEnv();
  await sb.stop();
});
beforeEach(() => {
  sb.traffic.setFaults([]);
  for (const n of Object.keys(objs) as Name[]) {
    const live = get(n);
    green().update({ ...seed[n], metadata: { ...seed[n].metadata, resourceVersion: live.metadata.resourceVersion } } as KubeObject);
  }
});

const task = (params: Record<string, unknown> = {}) => ({ name: 'prom', 'prometheus-scrape': { cluster: 'green', ...params }, register: 'prom' });

describe('prometheus-scrape', () => {
  it('dry-run describes the work without a request', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ restart: true })], targets: targets(), mode: 'dry-run' });
    const end = r.reporter.end('prom');
    expect(end.status).toBe('planned');
    const text = end.describe!.join('\n');
    expect(text).toMatch(/notebook-controller-deployment-patch\.yaml\.hbs, kfup:prometheus\/notebook-controller-service-patch/);
    expect(text).toMatch(/merge scrape jobs ml-pipeline, katib-controller, notebook-controller by job_name into prometheus\.yml of config map monitoring\/prometheus-server-conf/);
    expect(text).toMatch(/restart deployment monitoring\/prometheus-deployment/);
    expect(sb.requestLog.since(mark)).toEqual([]);
  });

  it('check shows a unified diff that only adds the three jobs, the patch effects, and sends no write', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ restart: true })], targets: targets(), mode: 'check', diff: true });
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    const end = r.reporter.end('prom');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes.map((c) => `${c.action} ${c.target}`)).toEqual([
      'update deployment kubeflow/notebook-controller-deployment',
      'update service kubeflow/notebook-controller-service',
      'update configmap monitoring/prometheus-server-conf prometheus.yml',
      'update deployment monitoring/prometheus-deployment',
    ]);
    const cm = end.changes[2];
    expect(cm.summary).toBe('scrape jobs: add ml-pipeline, katib-controller, notebook-controller');
    const parts = diffLines(cm.before as string, cm.after as string);
    expect(parts.filter((x) => x.removed)).toEqual([]);
    expect(parts.filter((x) => x.added).map((x) => x.value).join('')).toMatch(/- job_name: 'ml-pipeline'\n {4}scrape_interval: 60s/);
    const dep = end.changes[0] as any;
    expect(dep.before.spec.template.metadata.annotations).toEqual({ 'sidecar.istio.io/inject': 'false' });
    expect(dep.after.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' });
    expect(dep.after.spec.template.spec.containers[0].ports).toEqual([{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
    expect(end.changes[3].after).toHaveProperty(['kubectl.kubernetes.io/restartedAt']);
    expect(owned(get('deploy'))).toEqual(owned(seed.deploy));
    expect(promYml()).toBe((seed.cm as any).data['prometheus.yml']);
  });

  it('runs, a second run is ok, blue (configured at deployment) is ok, and rollback restores everything', async () => {
    const r = await runTasks({ tasks: [task({ restart: true })], targets: targets() });
    const end = r.reporter.end('prom');
    expect(end.status, end.message).toBe('changed');
    expect(jobNames(promYml()).slice(-3)).toEqual(['ml-pipeline', 'katib-controller', 'notebook-controller']);
    // everything else in the document is kept as written
    expect(promYml().startsWith((seed.cm as any).data['prometheus.yml'].trimEnd())).toBe(true);
    expect((get('svc') as any).spec.ports.map((p: any) => `${p.name ?? ''}:${p.port}`)).toEqual(['webhook:443', 'metrics:8080']);
    expect((get('prom') as any).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toBeDefined();

    const again = await runTasks({ tasks: [task({ restart: true })], targets: targets(), dir: r.dir });
    expect(again.reporter.end('prom').status, JSON.stringify(again.reporter.end('prom').changes)).toBe('ok');
    const blue = await runTasks({ tasks: [task({ cluster: 'blue' })], targets: targets() });
    expect(blue.reporter.end('prom').status, JSON.stringify(blue.reporter.end('prom').changes)).toBe('ok');

    const mark = sb.requestLog.mark();
    const planned = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: planned, yes: true });
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    expect(planned.ends()[0].changes).toHaveLength(4);
    const back = new CollectingReporter();
    const out = await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: back, yes: true });
    expect(out.failed, JSON.stringify(back.ends())).toBe(false);
    for (const n of Object.keys(objs) as Name[]) expect(owned(get(n)), `${n}: ${JSON.stringify(owned(get(n)))}`).toEqual(owned(seed[n]));
    const twice = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: twice, yes: true });
    expect(twice.ends()[0].changes).toEqual([]);
  });

  it('replaces a job of the same name and keeps the others', async () => {
    const r = await runTasks({
      tasks: [task({ patches: [], jobs: [{ job_name: 'kube-state-metrics', scrape_interval: '30s', static_configs: [{ targets: ['ksm.kube-system.svc:8080'] }] }] })],
      targets: targets(),
      diff: true,
    });
    const end = r.reporter.end('prom');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes[0].summary).toBe('scrape jobs: replace kube-state-metrics');
    const jobs = parse(promYml()).scrape_configs as any[];
    expect(jobs.map((j) => j.job_name)).toEqual(jobNames((seed.cm as any).data['prometheus.yml']));
    expect(jobs.find((j) => j.job_name === 'kube-state-metrics')).toEqual({ job_name: 'kube-state-metrics', scrape_interval: '30s', static_configs: [{ targets: ['ksm.kube-system.svc:8080'] }] });
  });

  it('retries 409, 429 and 5xx on green', async () => {
    for (const fault of ['conflict', 'throttle', 'error500', 'error503'] as const) {
      for (const n of Object.keys(objs) as Name[]) green().update({ ...seed[n], metadata: { ...seed[n].metadata, resourceVersion: get(n).metadata.resourceVersion } } as KubeObject);
      sb.traffic.setFaults([{ fault, target: 'green', times: fault === 'throttle' ? 1 : 3 }]);
      const r = await runTasks({ tasks: [task()], targets: targets() });
      const end = r.reporter.end('prom');
      expect(end.status, `${fault}: ${end.message}`).toBe('changed');
      expect(jobNames(promYml())).toContain('notebook-controller');
      expect((get('deploy') as any).spec.template.metadata.annotations['prometheus.io/scrape']).toBe('true');
    }
  });

  it('fails clearly on bad inputs', async () => {
    const missing = await runTasks({ tasks: [task({ configmap: { namespace: 'prometheus', name: 'prometheus-server' } })], targets: targets(), mode: 'check' });
    expect(missing.reporter.end('prom').message).toMatch(/config map prometheus\/prometheus-server not found on cluster green/);

    const dir = mkdtempSync(join(tmpdir(), 'kfup-prom-'));
    writeFileSync(join(dir, 'bad.yaml'), 'spec:\n  template: [unclosed\n');
    const bad = await runTasks({ tasks: [task({ patches: [{ file: 'bad.yaml', kind: 'Deployment', namespace: 'kubeflow', name: 'notebook-controller-deployment' }] })], targets: targets(), mode: 'check', dir });
    expect(bad.reporter.end('prom').message).toMatch(/patch bad\.yaml is not valid YAML/);
    const absent = await runTasks({ tasks: [task({ patches: [{ file: 'nope.yaml' }] })], targets: targets(), mode: 'check' });
    expect(absent.reporter.end('prom').message).toMatch(/patch file not found: nope\.yaml/);
    const unknown = await runTasks({ tasks: [task({ patches: [{ inline: { spec: { replicas: 2 } } }] })], targets: targets(), mode: 'check' });
    expect(unknown.reporter.end('prom').hint).toMatch(/give kind, namespace and name/);
    const mismatch = await runTasks({ tasks: [task({ patches: [{ inline: { kind: 'Service', metadata: { name: 'x' } }, kind: 'Deployment', namespace: 'kubeflow', name: 'x' }] })], targets: targets(), mode: 'check' });
    expect(mismatch.reporter.end('prom').message).toMatch(/its kind "Service" does not match the target's "Deployment"/);

    await expect(runTasks({ tasks: [task({ jobs: [{ scrape_interval: '60s' }] })], targets: targets(), mode: 'check' })).rejects.toThrow(/job_name/);
    await expect(runTasks({ tasks: [task({ jobs: [{ job_name: 'x', scrape_interval: 'often' }] })], targets: targets(), mode: 'check' })).rejects.toThrow(/scrape_interval/);
    const dup = await runTasks({ tasks: [task({ jobs: [{ job_name: 'x' }, { job_name: 'x' }] })], targets: targets(), mode: 'check' });
    expect(dup.reporter.end('prom').message).toMatch(/scrape job "x" is listed twice/);

    setYml('global: {}\nscrape_configs: [\n');
    const broken = await runTasks({ tasks: [task({ patches: [] })], targets: targets(), mode: 'check' });
    expect(broken.reporter.end('prom').message).toMatch(/prometheus\.yml in config map monitoring\/prometheus-server-conf: invalid YAML/);
  });

  describe.skipIf(!haveFixtures)('with the real add-on files (../shared/fixtures/kubeflow-manifests/prometheus)', () => {
    const realYml = () => parse(readFileSync(join(FIXTURES, 'config-map.yaml'), 'utf8')).data['prometheus.yml'] as string;
    const realPatches = () => [{ file: join(FIXTURES, 'notebook-controller-deployment-patch.yaml') }, { file: join(FIXTURES, 'notebook-controller-service-patch.yaml') }];

    it('the real config map already holds the jobs: nothing to change', async () => {
      setYml(realYml());
      const r = await runTasks({ tasks: [task({ patches: [] })], targets: targets() });
      expect(r.reporter.end('prom').status).toBe('ok');
    });

    it('merges into the real config map without them, only adding lines', async () => {
      const stripped = realYml().replace(/ {2}- job_name: '(ml-pipeline|katib-controller|notebook-controller)'[\s\S]*?(?= {2}- job_name: )/g, '');
      expect(jobNames(stripped)).not.toContain('ml-pipeline');
      setYml(stripped);
      const r = await runTasks({ tasks: [task({ patches: [] })], targets: targets() });
      expect(r.reporter.end('prom').status).toBe('changed');
      // only additions: the old text is a prefix (its last line gains the newline it lacked)
      expect(promYml().startsWith(stripped)).toBe(true);
      expect(parse(promYml()).scrape_configs.slice(-3)).toEqual(parse(realYml()).scrape_configs.slice(0, 3));
      const again = await runTasks({ tasks: [task({ patches: [] })], targets: targets() });
      expect(again.reporter.end('prom').status).toBe('ok');
    });

    it('the real patch files and ours have the same effect, and each is ok after the other', async () => {
      const real = await runTasks({ tasks: [task({ patches: realPatches() })], targets: targets() });
      expect(real.reporter.end('prom').status, real.reporter.end('prom').message).toBe('changed');
      const afterReal = { deploy: owned(get('deploy')), svc: owned(get('svc')) };
      const ours = await runTasks({ tasks: [task()], targets: targets() });
      expect(ours.reporter.end('prom').status, JSON.stringify(ours.reporter.end('prom').changes)).toBe('ok');
      const back = new CollectingReporter();
      await rollbackRun({ runId: real.result.runId, stateDir: real.stateDir, mode: 'run', reporter: back, yes: true });
      expect(owned(get('deploy'))).toEqual(owned(seed.deploy));
      const second = await runTasks({ tasks: [task()], targets: targets() });
      expect(second.reporter.end('prom').status).toBe('changed');
      expect({ deploy: owned(get('deploy')), svc: owned(get('svc')) }).toEqual(afterReal);
      const realAgain = await runTasks({ tasks: [task({ patches: realPatches() })], targets: targets() });
      expect(realAgain.reporter.end('prom').status).toBe('ok');
    });
  });
});
