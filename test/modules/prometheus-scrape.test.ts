// prometheus-scrape through the conformance tester (test/kit/task-tester.ts): green's Prometheus
// config has no Kubeflow jobs and its notebook controller is not patched; blue was configured when
// it was deployed. The real add-on config map from ../shared is used too (those cases are left out
// when it is absent). The tester asserts the invariants (dry-run sends nothing, check never writes,
// run then check plans nothing, rollback --check never writes and rollback restores the config map
// and every patched object); the cases add what is particular to prometheus-scrape. Faults, refusals
// found by live reads, the real patch files against ours, and rollback twice:
// prometheus-scrape.edges.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffLines } from 'diff';
import { parse } from 'yaml';
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import { taskTester, type ValidCase } from '../kit/task-tester.js';

const TASK = 'task under test';
const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/kubeflow-manifests/prometheus');
const haveFixtures = existsSync(join(FIXTURES, 'config-map.yaml'));
if (!haveFixtures) console.warn(`prometheus-scrape: ${FIXTURES} is absent; the cases with the real add-on config map are left out`);

const objs = {
  cm: ['v1', 'ConfigMap', 'prometheus-server-conf', 'monitoring'],
  prom: ['apps/v1', 'Deployment', 'prometheus-deployment', 'monitoring'],
  deploy: ['apps/v1', 'Deployment', 'notebook-controller-deployment', 'kubeflow'],
  svc: ['v1', 'Service', 'notebook-controller-service', 'kubeflow'],
} as const;
type Name = keyof typeof objs;
type Loose = KubeObject & { data?: Record<string, string>; spec?: Record<string, unknown> };

const green = (sb: Sandbox) => sb.clusters.green.server.store;
const get = (sb: Sandbox, n: Name): Loose => {
  const [v, k, name, ns] = objs[n];
  return green(sb).get(v, k, name, ns)!;
};
const promYml = (sb: Sandbox) => get(sb, 'cm').data!['prometheus.yml'];
const jobNames = (text: string) => (parse(text) as { scrape_configs: { job_name: string }[] }).scrape_configs.map((j) => j.job_name);
const setYml = (sb: Sandbox, text: string) => green(sb).update({ ...get(sb, 'cm'), data: { ...get(sb, 'cm').data, 'prometheus.yml': text } });

/** what prometheus-scrape changes on green; an emptied annotation map and no map are the same to Kubernetes */
const owned = (o: Loose) => ({ labels: o.metadata.labels ?? {}, annotations: o.metadata.annotations ?? {}, data: o.data, spec: o.spec });
const state = (sb: Sandbox) => Object.fromEntries((Object.keys(objs) as Name[]).map((n) => [n, owned(get(sb, n))]));

/** green's four objects as seeded, kept at the first case and put back before each */
let seed: Record<Name, Loose> | undefined;
function reset(sb: Sandbox): void {
  seed ??= Object.fromEntries((Object.keys(objs) as Name[]).map((n) => [n, structuredClone(get(sb, n))])) as Record<Name, Loose>;
  for (const n of Object.keys(objs) as Name[]) {
    const s = seed[n];
    green(sb).update({ ...s, metadata: { ...s.metadata, resourceVersion: get(sb, n).metadata.resourceVersion } });
  }
}
const seedYml = () => seed!.cm.data!['prometheus.yml'];

const realYml = () => (parse(readFileSync(join(FIXTURES, 'config-map.yaml'), 'utf8')) as { data: Record<string, string> }).data['prometheus.yml'];
const withRealConfigMap: ValidCase[] = [
  {
    name: 'the real add-on config map already holds the jobs: nothing to change',
    setup: (sb) => {
      reset(sb);
      setYml(sb, realYml());
    },
    params: { cluster: 'green', patches: [] },
    expect: 'ok',
  },
  {
    name: 'merges into the real add-on config map without the jobs, only adding lines',
    setup: (sb) => {
      reset(sb);
      setYml(sb, realYml().replace(/ {2}- job_name: '(ml-pipeline|katib-controller|notebook-controller)'[\s\S]*?(?= {2}- job_name: )/g, ''));
    },
    params: { cluster: 'green', patches: [] },
    state,
    after: ({ sb, run }) => {
      const before = run.reporter.end(TASK).changes[0].before as string;
      expect(jobNames(before)).not.toContain('ml-pipeline');
      // only additions: the old text is a prefix (its last line gains the newline it lacked)
      expect(promYml(sb).startsWith(before)).toBe(true);
      expect((parse(promYml(sb)) as { scrape_configs: unknown[] }).scrape_configs.slice(-3)).toEqual((parse(realYml()) as { scrape_configs: unknown[] }).scrape_configs.slice(0, 3));
    },
  },
];

taskTester({
  type: 'prometheus-scrape',
  sandbox: { profiles: 1 },
  valid: [
    {
      name: 'patches the notebook controller, adds the three jobs and restarts Prometheus',
      setup: reset,
      params: { cluster: 'green', restart: true },
      state,
      after: ({ sb, run }) => {
        const end = run.reporter.end(TASK);
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
        const dep = end.changes[0] as { before: Loose; after: Loose };
        expect(dep.before.spec).toMatchObject({ template: { metadata: { annotations: { 'sidecar.istio.io/inject': 'false' } } } });
        expect(dep.after.spec).toMatchObject({ template: { metadata: { annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080' } }, spec: { containers: [{ ports: [{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }] }] } } });
        expect(end.changes[3].after).toHaveProperty(['kubectl.kubernetes.io/restartedAt']);

        expect(jobNames(promYml(sb)).slice(-3)).toEqual(['ml-pipeline', 'katib-controller', 'notebook-controller']);
        // everything else in the document is kept as written
        expect(promYml(sb).startsWith(seedYml().trimEnd())).toBe(true);
        expect((get(sb, 'svc').spec!.ports as { name?: string; port: number }[]).map((p) => `${p.name ?? ''}:${p.port}`)).toEqual(['webhook:443', 'metrics:8080']);
        const podAnnotations = (get(sb, 'prom').spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
        expect(podAnnotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
      },
    },
    {
      name: 'replaces a job of the same name and keeps the others',
      setup: reset,
      params: { cluster: 'green', patches: [], jobs: [{ job_name: 'kube-state-metrics', scrape_interval: '30s', static_configs: [{ targets: ['ksm.kube-system.svc:8080'] }] }] },
      state,
      after: ({ sb, run }) => {
        expect(run.reporter.end(TASK).changes[0].summary).toBe('scrape jobs: replace kube-state-metrics');
        const jobs = (parse(promYml(sb)) as { scrape_configs: { job_name: string }[] }).scrape_configs;
        expect(jobs.map((j) => j.job_name)).toEqual(jobNames(seedYml()));
        expect(jobs.find((j) => j.job_name === 'kube-state-metrics')).toEqual({ job_name: 'kube-state-metrics', scrape_interval: '30s', static_configs: [{ targets: ['ksm.kube-system.svc:8080'] }] });
      },
    },
    { name: 'blue, configured when it was deployed, is ok', params: { cluster: 'blue' }, expect: 'ok' },
    ...(haveFixtures ? withRealConfigMap : []),
  ],
  invalid: [
    { name: 'a job without job_name', params: { cluster: 'green', jobs: [{ scrape_interval: '60s' }] }, error: /job_name/ },
    { name: 'a scrape interval that is no duration', params: { cluster: 'green', jobs: [{ job_name: 'x', scrape_interval: 'often' }] }, error: /scrape_interval/ },
    { name: 'a patch with neither file, template nor inline', params: { cluster: 'green', patches: [{ kind: 'Deployment' }] }, error: /patches/ },
    { name: 'a kind that cannot be patched', params: { cluster: 'green', patches: [{ inline: {}, kind: 'Pod' }] }, error: /kind/ },
    {
      name: 'a reference to an output prometheus-scrape does not declare',
      params: { cluster: 'blue' },
      tasks: [{ name: 'first', 'prometheus-scrape': { cluster: 'blue' }, register: 'prom' }, { name: 'uses it', assert: { that: ['{{prom.outputs.jobs}}'] } }],
      error: /undefined variable "prom\.outputs\.jobs"/,
    },
  ],
});
