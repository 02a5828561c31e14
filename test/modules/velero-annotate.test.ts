// velero-annotate against the sandbox: blue's notebooks mount an EFS workspace (and every other
// notebook an EBS data volume, which must NOT be annotated).
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox, useSandbox } from '../helpers/sandbox.js';
import { rollbackRun } from '../../src/runner/rollback.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';

const KEY = 'backup.velero.io/backup-volumes';
let sb: Sandbox;

const targets = () => ({
  clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
});
const store = () => sb.clusters.blue.server.store;
const pod = (ns: string, name: string) => store().get('v1', 'Pod', name, ns)!;
const annotation = (ns: string, name: string) => pod(ns, name).metadata.annotations?.[KEY];
const setAnnotation = (ns: string, name: string, v: string | undefined) => {
  const p = pod(ns, name);
  const annotations = { ...p.metadata.annotations };
  if (v === undefined) delete annotations[KEY];
  else annotations[KEY] = v;
  store().update({ ...p, metadata: { ...p.metadata, annotations } } as KubeObject);
};
const allAnnotated = () =>
  store()
    .list('v1', 'Pod')
    .filter((p) => p.metadata.namespace?.startsWith('team-'))
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}=${p.metadata.annotations?.[KEY] ?? ''}`)
    .sort();

useSandbox({ profiles: 3, timing: { veleroPhaseMs: 50, veleroSyncMs: 50 } }, (s) => (sb = s));
beforeEach(() => {
  sb.traffic.setFaults([]);
  for (const p of store().list('v1', 'Pod')) if (p.metadata.namespace?.startsWith('team-') && p.metadata.annotations?.[KEY] !== undefined) setAnnotation(p.metadata.namespace, p.metadata.name, undefined);
});

const task = (params: Record<string, unknown> = {}) => ({ name: 'annotate', 'velero-annotate': { cluster: 'blue', ...params }, register: 'ann' });

describe('velero-annotate', () => {
  it('dry-run describes the work without touching the cluster', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ concurrency: 4 })], targets: targets(), mode: 'dry-run' });
    const end = r.reporter.end('annotate');
    expect(end.status).toBe('planned');
    expect(end.describe?.join('\n')).toMatch(/profile namespaces of blue.*efs\.csi\.aws\.com or fsx\.csi\.aws\.com/s);
    expect(end.describe?.join('\n')).toMatch(/4 pods at a time/);
    expect(sb.requestLog.since(mark)).toEqual([]);
  });

  it('check lists every pod with the EFS volumes it would add, with before/after, and sends no write', async () => {
    setAnnotation('team-001', 'nb-1-0', 'scratch');
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task()], targets: targets(), mode: 'check', diff: true });
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    const end = r.reporter.end('annotate');
    expect(end.status).toBe('changed');
    expect(end.changes.map((c) => c.target)).toEqual(['team-000', 'team-001', 'team-002'].flatMap((ns) => [`pod ${ns}/nb-0-0`, `pod ${ns}/nb-1-0`]));
    const c = end.changes.find((x) => x.target === 'pod team-001/nb-1-0')!;
    // the EBS data volume of nb-1 is not on an EFS/FSx driver: only the workspace goes in
    expect(c).toMatchObject({ action: 'update', summary: `add nb-1-workspace to ${KEY}`, before: { [KEY]: 'scratch' }, after: { [KEY]: 'scratch,nb-1-workspace' } });
    expect(end.changes.find((x) => x.target === 'pod team-000/nb-0-0')).toMatchObject({ before: {}, after: { [KEY]: 'nb-0-workspace' } });
    expect(annotation('team-001', 'nb-1-0')).toBe('scratch');
  });

  it('runs, merges with existing names, a second run is ok, and rollback restores the previous values', async () => {
    setAnnotation('team-002', 'nb-0-0', 'nb-0-workspace');
    setAnnotation('team-001', 'nb-1-0', 'scratch');
    const r = await runTasks({ tasks: [task()], targets: targets() });
    const end = r.reporter.end('annotate');
    expect(end.status, end.message).toBe('changed');
    expect(end.changes).toHaveLength(5);
    expect(allAnnotated()).toEqual([
      'team-000/nb-0-0=nb-0-workspace',
      'team-000/nb-1-0=nb-1-workspace',
      'team-001/nb-0-0=nb-0-workspace',
      'team-001/nb-1-0=scratch,nb-1-workspace',
      'team-002/nb-0-0=nb-0-workspace',
      'team-002/nb-1-0=nb-1-workspace',
    ]);

    const again = await runTasks({ tasks: [task()], targets: targets(), dir: r.dir });
    expect(again.reporter.end('annotate').status).toBe('ok');

    // rollback in check mode: what it would restore, nothing written
    const mark = sb.requestLog.mark();
    const check = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: check });
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    const planned = check.ends()[0];
    expect(planned.changes).toHaveLength(5);
    expect(planned.changes.find((c) => c.target === 'pod team-001/nb-1-0')).toMatchObject({ before: { [KEY]: 'scratch,nb-1-workspace' }, after: { [KEY]: 'scratch' } });

    // someone edits one pod after kfup: rollback leaves that pod alone
    setAnnotation('team-000', 'nb-1-0', 'nb-1-workspace,other');
    const done = await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: new CollectingReporter() });
    expect(done.failed).toBe(false);
    expect(allAnnotated()).toEqual([
      'team-000/nb-0-0=',
      'team-000/nb-1-0=nb-1-workspace,other',
      'team-001/nb-0-0=',
      'team-001/nb-1-0=scratch',
      'team-002/nb-0-0=nb-0-workspace',
      'team-002/nb-1-0=',
    ]);
    const twice = new CollectingReporter();
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: twice });
    expect(twice.ends().map((e) => e.status)).toEqual(['ok']);
  });

  it('takes an explicit namespace list or a label selector', async () => {
    const listed = await runTasks({ tasks: [task({ namespaces: ['team-001'] })], targets: targets(), mode: 'check' });
    expect(listed.reporter.end('annotate').changes.map((c) => c.target)).toEqual(['pod team-001/nb-0-0', 'pod team-001/nb-1-0']);
    const selected = await runTasks({ tasks: [task({ namespace_selector: 'kubernetes.io/metadata.name in (team-000,team-002)' })], targets: targets(), mode: 'check' });
    expect(selected.reporter.end('annotate').changes).toHaveLength(4);
    // only EBS: nothing qualifies
    const ebs = await runTasks({ tasks: [task({ drivers: ['fsx.csi.aws.com'] })], targets: targets(), mode: 'check' });
    expect(ebs.reporter.end('annotate')).toMatchObject({ status: 'ok', changes: [] });
  });

  it('retries 409 conflicts and 429 throttling on the patches', async () => {
    sb.traffic.setFaults([
      { fault: 'conflict', target: 'blue', rate: 0.3 },
      { fault: 'throttle', target: 'blue', operation: 'patch', times: 2 },
    ]);
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ concurrency: 3 })], targets: targets() });
    const end = r.reporter.end('annotate');
    expect(end.status, end.message).toBe('changed');
    const faults = sb.requestLog.since(mark).filter((e) => e.fault);
    expect(faults.some((e) => e.fault === 'conflict')).toBe(true);
    expect(faults.filter((e) => e.fault === 'throttle')).toHaveLength(2);
    expect(allAnnotated().every((l) => /=nb-\d-workspace$/.test(l))).toBe(true);
  });

  it('retries 5xx on reads and writes', async () => {
    sb.traffic.setFaults([{ fault: 'error503', target: 'blue', times: 3 }, { fault: 'error500', target: 'blue', operation: 'patch', times: 2 }]);
    const r = await runTasks({ tasks: [task()], targets: targets() });
    expect(r.reporter.end('annotate').status).toBe('changed');
    expect(allAnnotated().every((l) => /=nb-\d-workspace$/.test(l))).toBe(true);
  });

  it('rejects bad inputs', async () => {
    const both = await runTasks({ tasks: [task({ namespaces: ['team-000'], namespace_selector: 'a=b' })], targets: targets(), mode: 'check' });
    expect(both.reporter.end('annotate')).toMatchObject({ status: 'failed', message: expect.stringMatching(/namespaces or namespace_selector/) });
    await expect(runTasks({ tasks: [task({ concurrency: 0 })], targets: targets(), mode: 'check' })).rejects.toThrow(/"concurrency" must be >= 1/);
    await expect(runTasks({ tasks: [task({ drivers: [] })], targets: targets(), mode: 'check' })).rejects.toThrow(/drivers/);
    await expect(runTasks({ tasks: [task({ namespace: 'team-000' })], targets: targets(), mode: 'check' })).rejects.toThrow(/namespace/);
    const unknown = await runTasks({ tasks: [task({ cluster: 'purple' })], targets: targets(), mode: 'check' });
    expect(unknown.reporter.end('annotate')).toMatchObject({ status: 'failed', message: expect.stringMatching(/unknown cluster "purple"/) });
  });
});

describe('velero-annotate at scale', () => {
  it('annotates 2,000 pods in 200 namespaces with paginated reads and bounded concurrency', async () => {
    const big = await startSandbox({ profiles: 200, notebooks: 10 });
    const restore = big.applyEnv();
    try {
      const t = { clusters: { blue: { kubeconfig: big.kubeconfigPath, context: 'sandbox-blue' } } };
      const mark = big.requestLog.mark();
      const r = await runTasks({ tasks: [task({ concurrency: 32 })], targets: t });
      const end = r.reporter.end('annotate');
      expect(end.status, end.message).toBe('changed');
      expect(end.changes).toHaveLength(2000);
      const reqs = big.requestLog.since(mark);
      // pods, claims and volumes are read a page at a time, cluster-wide, not once per namespace
      expect(reqs.filter((e) => e.operation === 'list').length).toBeLessThan(40);
      expect(reqs.filter((e) => e.operation === 'patch')).toHaveLength(2000);
      const pods = big.clusters.blue.server.store.list('v1', 'Pod').filter((p) => p.metadata.namespace?.startsWith('team-'));
      expect(pods.filter((p) => p.metadata.annotations?.[KEY] === p.metadata.name.replace(/-0$/, '-workspace'))).toHaveLength(2000);
    } finally {
      restore();
      await big.stop();
    }
  }, 30_000);
});
