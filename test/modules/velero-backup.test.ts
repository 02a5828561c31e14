// velero-backup against the sandbox's emulated Velero on blue.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox } from '../helpers/sandbox.js';
import { hasRealCrd, realCrdsAvailable, validateAgainstRealCrd } from '../helpers/crd-schema.js';
import { runTasks } from '../helpers/run.js';

let sb: Sandbox;
let n = 0;
const fresh = () => `kf-test-${++n}`;
const targets = () => ({ clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' } } });
const store = () => sb.clusters.blue.server.store;
const backupObj = (name: string) => store().get('velero.io/v1', 'Backup', name, 'velero');
const task = (params: Record<string, unknown>) => ({ name: 'backup', 'velero-backup': { cluster: 'blue', ...params }, register: 'b' });

useSandbox({ profiles: 3, timing: { veleroPhaseMs: 60, veleroSyncMs: 50 } }, (s) => (sb = s));
beforeEach(() => {
  sb.traffic.setFaults([]);
  sb.traffic.scenario = {};
});

describe('velero-backup', () => {
  it('dry-run describes the backup without a request', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ name: 'x1' })], targets: targets(), mode: 'dry-run' });
    const end = r.reporter.end('backup');
    expect(end.status).toBe('planned');
    expect(end.describe?.join('\n')).toMatch(/storage location default in velero on blue is Available[\s\S]*backup velero\/x1 of the profile namespaces of blue and velero/);
    expect(sb.requestLog.since(mark)).toEqual([]);
  });

  it('check plans the Backup (valid against the real CRD) and sends no write', async () => {
    const name = fresh();
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [task({ name, ttl: '72h0m0s', labels: { team: 'platform' } })], targets: targets(), mode: 'check', diff: true });
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    const end = r.reporter.end('backup');
    expect(end.status).toBe('changed');
    expect(end.changes).toHaveLength(1);
    expect(end.changes[0]).toMatchObject({
      action: 'create',
      target: `backup velero/${name}`,
      after: {
        includedNamespaces: ['team-000', 'team-001', 'team-002', 'velero'],
        includeClusterResources: true,
        defaultVolumesToFsBackup: false,
        ttl: '72h0m0s',
        storageLocation: 'default',
      },
    });
    expect(backupObj(name)).toBeUndefined();
  });

  it.skipIf(!realCrdsAvailable())('creates a Backup that validates against the real Velero CRD (skipped without ../shared)', async () => {
    const name = fresh();
    const r = await runTasks({
      tasks: [task({ name, excluded_resources: ['events'], included_resources: ['pods', 'persistentvolumeclaims', 'persistentvolumes', 'profiles', 'namespaces'], snapshot_volumes: false, ttl: '1h', labels: { a: 'b' } })],
      targets: targets(),
    });
    expect(r.reporter.end('backup').status, r.reporter.end('backup').message).toBe('changed');
    const obj = backupObj(name)!;
    expect(hasRealCrd(obj)).toBe(true);
    // what kfup sent: the spec and metadata it chose (status is Velero's)
    expect(validateAgainstRealCrd({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name, namespace: 'velero', labels: { a: 'b' } }, spec: obj.spec })).toEqual([]);
  });

  it('runs to Completed with outputs, counts and pod volume backups; a second run is ok', async () => {
    // mark the EFS workspaces the way velero-annotate does
    for (const p of store().list('v1', 'Pod').filter((x) => x.metadata.namespace?.startsWith('team-'))) {
      store().update({ ...p, metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, 'backup.velero.io/backup-volumes': p.metadata.name.replace(/-0$/, '-workspace') } } });
    }
    const name = fresh();
    const r = await runTasks({
      tasks: [task({ name }), { name: 'show', assert: { that: ['{{eq b.outputs.phase "Completed"}}'] } }],
      targets: targets(),
    });
    const end = r.reporter.end('backup');
    expect(end.status, end.message).toBe('changed');
    expect(r.reporter.end('show').status).toBe('ok');
    expect(backupObj(name)?.status).toMatchObject({ phase: 'Completed' });
    const progress = r.reporter.events.filter((e) => e.type === 'task-progress').map((e) => (e as { message: string }).message);
    expect(progress.some((m) => /backup kf-test-\d+: (InProgress|Completed), \d+\/\d+ items backed up/.test(m))).toBe(true);

    const again = await runTasks({ tasks: [task({ name })], targets: targets(), dir: r.dir });
    const second = again.reporter.end('backup');
    expect(second.status).toBe('ok');
    expect(second.notes.join('\n')).toMatch(/already exists: phase Completed, 0 errors, 0 warnings/);
  });

  it('outputs pod volume backups (checked through a registered variable)', async () => {
    const name = fresh();
    const r = await runTasks({
      tasks: [task({ name }), { name: 'pvb', assert: { that: ['{{eq b.outputs.pod_volume_backups.total 6}}', '{{eq b.outputs.pod_volume_backups.completed 6}}', '{{gt b.outputs.total_items 0}}'] } }],
      targets: targets(),
    });
    expect(r.reporter.end('backup').status).toBe('changed');
    expect(r.reporter.end('pvb'), r.reporter.end('pvb').message).toMatchObject({ status: 'ok' });
  });

  it('waits (by watch) for a backup of the same name that is in progress; check says it would', async () => {
    const name = fresh();
    // a backup someone else started, that Velero is still working on
    store().create({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name, namespace: 'velero' }, spec: {}, status: { phase: 'InProgress', progress: { totalItems: 10, itemsBackedUp: 3 } } });
    const check = await runTasks({ tasks: [task({ name })], targets: targets(), mode: 'check' });
    expect(check.reporter.end('backup')).toMatchObject({ status: 'ok', changes: [] });
    expect(check.reporter.end('backup').notes.join('\n')).toMatch(/in progress \(InProgress, 3\/10 items\)[\s\S]*a run would wait/);
    const mark = sb.requestLog.mark();
    const running = runTasks({ tasks: [task({ name })], targets: targets() });
    setTimeout(() => {
      const b = backupObj(name)!;
      store().update({ ...b, status: { phase: 'Completed', progress: { totalItems: 10, itemsBackedUp: 10 }, errors: 0, warnings: 0 } });
    }, 150);
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
    expect(again.reporter.end('backup')).toMatchObject({ status: 'failed', hint: expect.stringMatching(/choose another backup name/) });
    // accepted when allowed (the existing one is ok now)
    const allowed = await runTasks({ tasks: [task({ name, allow_partial: true })], targets: targets() });
    expect(allowed.reporter.end('backup').status).toBe('ok');
    const other = await runTasks({ tasks: [task({ name: fresh(), allow_partial: true })], targets: targets() });
    expect(other.reporter.end('backup').status).toBe('changed');
  });

  it('FailedValidation fails with the validation errors', async () => {
    const name = fresh();
    const r = await runTasks({ tasks: [task({ name, included_namespaces: ['team-000'], excluded_namespaces: ['team-000'] })], targets: targets() });
    const end = r.reporter.end('backup');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/phase FailedValidation, 0 errors, 0 warnings; validation errors: namespace team-000 is both included and excluded/);
  });

  it('refuses a missing or unavailable storage location before creating anything', async () => {
    const name = fresh();
    const r = await runTasks({ tasks: [task({ name, storage_location: 'secondary' })], targets: targets() });
    expect(r.reporter.end('backup')).toMatchObject({ status: 'failed', message: expect.stringMatching(/storage location "secondary" does not exist/), hint: expect.stringMatching(/default/) });
    expect(backupObj(name)).toBeUndefined();
    store().create({ apiVersion: 'velero.io/v1', kind: 'BackupStorageLocation', metadata: { name: 'broken', namespace: 'velero' }, spec: { provider: 'aws', objectStorage: { bucket: 'nope' } } });
    await new Promise((res) => setTimeout(res, 120)); // the sandbox validates locations on its sync loop
    const u = await runTasks({ tasks: [task({ name, storage_location: 'broken' })], targets: targets(), mode: 'check' });
    expect(u.reporter.end('backup')).toMatchObject({ status: 'failed', message: expect.stringMatching(/"broken" is Unavailable/) });
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
    expect(w.reporter.end('backup')).toMatchObject({ status: 'failed', message: expect.stringMatching(/timed out after 400ms/) });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('rejects bad inputs', async () => {
    await expect(runTasks({ tasks: [task({ name: 'Bad_Name' })], targets: targets(), mode: 'check' })).rejects.toThrow(/name/);
    await expect(runTasks({ tasks: [task({ name: 'ok', ttl: '3 days' })], targets: targets(), mode: 'check' })).rejects.toThrow(/ttl/);
    await expect(runTasks({ tasks: [task({ name: 'ok', wait: 'yes' })], targets: targets(), mode: 'check' })).rejects.toThrow(/wait/);
    await expect(runTasks({ tasks: [{ name: 'backup', 'velero-backup': { cluster: 'blue' } }], targets: targets(), mode: 'check' })).rejects.toThrow(/name/);
  });
});
