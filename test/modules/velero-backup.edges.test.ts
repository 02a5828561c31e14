// velero-backup beyond its conformance table (velero-backup.test.ts): a backup of the same name in
// progress is watched (not polled) to its end, failed phases and refused names, storage locations
// that are missing or unavailable, retried 409/429/5xx, and the task timeout ending a wait.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox } from '../helpers/sandbox.js';
import { runTasks } from '../helpers/run.js';

let sb: Sandbox;
let n = 0;
const fresh = () => `kf-wait-${++n}`;
const targets = () => ({
  clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
});
const store = () => sb.clusters.blue.server.store;
const backupObj = (name: string) => store().get('velero.io/v1', 'Backup', name, 'velero');
const task = (params: Record<string, unknown>) => ({ name: 'backup', 'velero-backup': { cluster: 'blue', ...params }, register: 'b' });

useSandbox({ profiles: 3, timing: { veleroPhaseMs: 60, veleroSyncMs: 50 } }, (s) => (sb = s));
beforeEach(() => {
  sb.traffic.setFaults([]);
  sb.traffic.scenario = {};
});


/** a task's end: its status, and its message and hint matching */
function expectEnd(end: { status: string; message?: string; hint?: string }, status: string, message?: RegExp | string, hint?: RegExp): void {
  expect(end.status, end.message).toBe(status);
  if (message !== undefined) expect(end.message ?? '').toMatch(message);
  if (hint) expect(end.hint ?? '').toMatch(hint);
}

describe('velero-backup waits and failures', () => {
  it('waits (by watch) for a backup of the same name that is in progress; check says it would', async () => {
    const name = fresh();
    // a backup someone else started, that Velero is still working on
    store().create({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name, namespace: 'velero' }, spec: {}, status: { phase: 'InProgress', progress: { totalItems: 10, itemsBackedUp: 3 } } });
    const check = await runTasks({ tasks: [task({ name })], targets: targets(), mode: 'check' });
    expect(check.reporter.end('backup')).toMatchObject({ status: 'ok', changes: [] });
    expect(check.reporter.end('backup').notes.join('\n')).toMatch(/in progress \(InProgress, 3\/10 items\)[\s\S]*a run would wait/);
    const mark = sb.requestLog.mark();
    const running = runTasks({ tasks: [task({ name })], targets: targets() });
    // Velero finishes it once kfup is watching
    while (!sb.requestLog.since(mark).some((e) => e.operation === 'watch')) await new Promise((res) => setTimeout(res, 20));
    const b = backupObj(name)!;
    store().update({ ...b, status: { phase: 'Completed', progress: { totalItems: 10, itemsBackedUp: 10 }, errors: 0, warnings: 0 } });
    const r = await running;
    expect(r.reporter.end('backup').status).toBe('ok');
    const reqs = sb.requestLog.since(mark);
    expect(reqs.filter((e) => e.mutating)).toEqual([]);
    // one watch, not a polling loop of gets
    expect(reqs.filter((e) => e.operation === 'watch').length).toBeGreaterThanOrEqual(1);
    expect(reqs.filter((e) => e.operation === 'get' && e.path.includes(`/backups/${name}`)).length).toBeLessThanOrEqual(2);
  });

  it('PartiallyFailed fails without allow_partial (with counts), passes with it; a failed name is refused', async () => {
    sb.traffic.scenario = { partialVeleroBackups: ['*'] };
    const name = fresh();
    const r = await runTasks({ tasks: [task({ name })], targets: targets() });
    const end = r.reporter.end('backup');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(new RegExp(`backup velero/${name} ended partially failed: phase PartiallyFailed, 1 error, 0 warnings`));
    expect(end.hint).toMatch(/allow_partial/);
    // the same name again: an error that says to choose another name
    const again = await runTasks({ tasks: [task({ name })], targets: targets(), mode: 'check' });
    expectEnd(again.reporter.end('backup'), 'failed', undefined, /choose another backup name/);
    // accepted when allowed (the existing one is ok now)
    const allowed = await runTasks({ tasks: [task({ name, allow_partial: true })], targets: targets() });
    expect(allowed.reporter.end('backup').status).toBe('ok');
    const other = await runTasks({ tasks: [task({ name: fresh(), allow_partial: true })], targets: targets() });
    expect(other.reporter.end('backup').status).toBe('changed');
  });

  it('FailedValidation fails with the validation errors, and is not retried', async () => {
    const name = fresh();
    const r = await runTasks({ tasks: [{ ...task({ name, included_namespaces: ['team-000'], excluded_namespaces: ['team-000'] }), retries: 2, delay: '10ms' }], targets: targets() });
    const end = r.reporter.end('backup');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/phase FailedValidation, 0 errors, 0 warnings; validation errors: namespace team-000 is both included and excluded/);
    expect(end.attempts ?? 1).toBe(1);
  });

  it('refuses a missing or unavailable storage location before creating anything', async () => {
    const name = fresh();
    const r = await runTasks({ tasks: [task({ name, storage_location: 'secondary' })], targets: targets() });
    expectEnd(r.reporter.end('backup'), 'failed', /storage location "secondary" does not exist/, /default/);
    expect(backupObj(name)).toBeUndefined();
    store().create({ apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', metadata: { name: 'broken', namespace: 'velero' }, spec: { provider: 'aws', objectStorage: { bucket: 'nope' } } });
    await new Promise((res) => setTimeout(res, 120)); // the sandbox validates locations on its sync loop
    const u = await runTasks({ tasks: [task({ name, storage_location: 'broken' })], targets: targets(), mode: 'check' });
    expectEnd(u.reporter.end('backup'), 'failed', /"broken" is Unavailable/);
  });

  it('refuses namespaces when the cluster has no Kubeflow profiles to take them from', async () => {
    // green is the new cluster: Velero is installed, no profile restored yet
    const r = await runTasks({ tasks: [task({ cluster: 'green', name: fresh() })], targets: targets(), mode: 'check' });
    expectEnd(r.reporter.end('backup'), 'failed', 'no Kubeflow profiles found on green to take the namespaces from', /included_namespaces/);
  });

  it('retries 409, 429 and 5xx on its requests', async () => {
    sb.traffic.setFaults([
      { fault: 'conflict', target: 'blue', times: 1 },
      { fault: 'throttle', target: 'blue', operation: 'get', times: 1 },
      { fault: 'error503', target: 'blue', times: 2 },
    ]);
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ name: fresh() })], targets: targets() });
    expect(r.reporter.end('backup').status, r.reporter.end('backup').message).toBe('changed');
    expect(sb.requestLog.since(mark).filter((e) => e.fault).length).toBe(4);
  });

  it('stops waiting at the task timeout', async () => {
    const t0 = Date.now();
    const frozen = fresh();
    store().create({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: frozen, namespace: 'velero' }, spec: {}, status: { phase: 'InProgress' } });
    const w = await runTasks({ tasks: [{ ...task({ name: frozen }), timeout: '400ms' }], targets: targets() });
    expectEnd(w.reporter.end('backup'), 'failed', /timed out after 400ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
