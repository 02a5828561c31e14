// prometheus-scrape finds Prometheus where its install method puts it (issue 13, "The upgrade as
// the real deployment runs it", point 6): the kustomize AMP add-on at monitoring/prometheus-server-conf,
// the Terraform deployment's EKS Blueprints Helm release at prometheus/prometheus-server. The
// sandbox's green is seeded as the kustomize add-on installs it.
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { runTasks } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';

let sb: Sandbox;
useSandbox({ profiles: 1 }, (s) => (sb = s));
const green = () => sb.clusters.green.server.store;
const scrape = (p: Record<string, unknown>, mode: 'check' | 'run' = 'check') =>
  runTasks({ targets: sandboxTargets(sb), mode, tasks: [{ name: 'prom', 'prometheus-scrape': { cluster: 'green', ...p }, register: 'prom' }] });

describe('prometheus-scrape by install method', () => {
  it('install: terraform on a kustomize install fails naming where it looked and where the other method puts it', async () => {
    const r = await scrape({ install: 'terraform' });
    const end = r.reporter.end('prom');
    expect(end.status).toBe('failed');
    expect(end.message).toContain('config map prometheus/prometheus-server not found on cluster green');
    expect(end.hint).toContain('install: kustomize it is monitoring/prometheus-server-conf');
  });

  it('install: terraform uses prometheus/prometheus-server for the config map and the deployment', async () => {
    // the Helm release's objects, as the Terraform deployment has them
    const cm = green().get('v1', 'ConfigMap', 'prometheus-server-conf', 'monitoring')!;
    const dep = green().get('apps/v1', 'Deployment', 'prometheus-deployment', 'monitoring')!;
    green().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prometheus' } });
    green().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'prometheus-server', namespace: 'prometheus' }, data: (cm as { data?: Record<string, string> }).data });
    green().create({ ...dep, metadata: { name: 'prometheus-server', namespace: 'prometheus', labels: dep.metadata.labels } });
    const r = await scrape({ install: 'terraform', restart: true }, 'run');
    const end = r.reporter.end('prom');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes.map((c) => c.target)).toEqual(expect.arrayContaining(['configmap prometheus/prometheus-server prometheus.yml', 'deployment prometheus/prometheus-server']));
    expect(end.changes.map((c) => c.target).join('\n')).toMatch(/deployment prometheus\/prometheus-server/);
    // the kustomize location is untouched
    expect(green().get('v1', 'ConfigMap', 'prometheus-server-conf', 'monitoring')!.metadata.resourceVersion).toBe(cm.metadata.resourceVersion);
  });
});
