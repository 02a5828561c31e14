// velero-annotate beyond its conformance table (velero-annotate.test.ts): rollback puts back only
// what kfup wrote (a pod edited since keeps its value), failures a live read finds, retried
// 409/429/5xx on reads and patches, and 300 pods with paginated reads and bounded concurrency.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { builtinTasks } from '../../src/modules/index.js';
import { useSandbox } from '../helpers/sandbox.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';

const KEY = 'backup.velero.io/backup-volumes';
let sb: Sandbox;

const targets = () => ({
  clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
});
const store = () => sb.clusters.blue.server.store;
const pod = (ns: string, name: string) => store().get('v1', 'Pod', name, ns)!;
const setAnnotation = (ns: string, name: string, v: string | undefined) => {
  const p = pod(ns, name);
  const annotations = { ...p.metadata.annotations };
  if (v === undefined) delete annotations[KEY];
  else annotations[KEY] = v;
  store().update({ ...p, metadata: { ...p.metadata, annotations } });
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


/** a task's end: its status, and its message and hint matching */
function expectEnd(end: { status: string; message?: string; hint?: string }, status: string, message?: RegExp | string, hint?: RegExp): void {
  expect(end.status, end.message).toBe(status);
  if (message !== undefined) expect(end.message ?? '').toMatch(message);
  if (hint) expect(end.hint ?? '').toMatch(hint);
}

describe('velero-annotate', () => {
  it('rollback plans what it would put back, and leaves a pod edited after kfup alone', async () => {
    setAnnotation('team-001', 'nb-1-0', 'scratch');
    const r = await runTasks({ tasks: [task()], targets: targets() });
    expect(r.reporter.end('annotate').status, r.reporter.end('annotate').message).toBe('changed');

    const check = new CollectingReporter();
    await rollbackRun({ registry: builtinTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'check', reporter: check });
    const planned = check.ends()[0];
    expect(planned.changes).toHaveLength(6);
    expect(planned.changes.find((c) => c.target === 'pod team-001/nb-1-0')).toMatchObject({ before: { [KEY]: 'scratch,nb-1-workspace' }, after: { [KEY]: 'scratch' } });

    // someone edits one pod after kfup: rollback leaves that pod alone, and says so
    setAnnotation('team-000', 'nb-1-0', 'nb-1-workspace,other');
    const done = new CollectingReporter();
    const out = await rollbackRun({ registry: builtinTasks, runId: r.result.runId, stateDir: r.stateDir, mode: 'run', reporter: done, yes: true });
    expect(out.failed).toBe(false);
    expect(done.ends()[0].notes.join('\n')).toMatch(/pod team-000\/nb-1-0: backup\.velero\.io\/backup-volumes was changed after kfup wrote it \(now "nb-1-workspace,other"\); left as it is/);
    expect(allAnnotated()).toEqual([
      'team-000/nb-0-0=',
      'team-000/nb-1-0=nb-1-workspace,other',
      'team-001/nb-0-0=',
      'team-001/nb-1-0=scratch',
      'team-002/nb-0-0=',
      'team-002/nb-1-0=',
    ]);
  });

  it('refuses namespaces together with a selector, and an unknown cluster', async () => {
    const both = await runTasks({ tasks: [task({ namespaces: ['team-000'], namespace_selector: 'a=b' })], targets: targets(), mode: 'check' });
    expectEnd(both.reporter.end('annotate'), 'failed', /namespaces or namespace_selector/);
    // an unknown cluster is invalid input, found by validation before anything runs (issue 14)
    await expect(runTasks({ tasks: [task({ cluster: 'purple' })], targets: targets(), mode: 'check' })).rejects.toThrow(/unknown cluster "purple"/);
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
});

describe('velero-annotate at scale', () => {
  it('annotates 300 pods in 30 namespaces with paginated reads (pages of 200) and bounded concurrency', async () => {
    const big = await startSandbox({ profiles: 30, notebooks: 10 });
    const restore = big.applyEnv();
    try {
      const t = { clusters: { blue: { kubeconfig: big.kubeconfigPath, context: 'sandbox-blue' } } };
      const mark = big.requestLog.mark();
      const r = await runTasks({ tasks: [task({ concurrency: 32 })], targets: t });
      const end = r.reporter.end('annotate');
      expect(end.status, end.message).toBe('changed');
      expect(end.changes).toHaveLength(300);
      const reqs = big.requestLog.since(mark);
      // pods, claims and volumes are read a page at a time, cluster-wide, not once per namespace
      // (which would take 90 lists)
      expect(reqs.filter((e) => e.operation === 'list').length).toBeLessThan(20);
      expect(reqs.filter((e) => e.operation === 'patch')).toHaveLength(300);
      const pods = big.clusters.blue.server.store.list('v1', 'Pod').filter((p) => p.metadata.namespace?.startsWith('team-'));
      expect(pods.filter((p) => p.metadata.annotations?.[KEY] === p.metadata.name.replace(/-0$/, '-workspace'))).toHaveLength(300);
    } finally {
      restore();
      await big.stop();
    }
  }, 60_000);
});
