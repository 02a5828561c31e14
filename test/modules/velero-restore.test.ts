// velero-restore, and the whole Velero path end to end: annotate and back up blue, restore the
// backup (synced through the shared bucket) into green.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox } from '../helpers/sandbox.js';
import { realCrdsAvailable, validateAgainstRealCrd } from '../helpers/crd-schema.js';
import { runTasks } from '../helpers/run.js';

let sb: Sandbox;
const targets = () => ({
  clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
});
const green = () => sb.clusters.green.server.store;
const restoreTask = (params: Record<string, unknown>) => ({ name: 'restore', 'velero-restore': { cluster: 'green', ...params }, register: 'r' });

useSandbox({ profiles: 3, timing: { veleroPhaseMs: 50, veleroSyncMs: 50 } }, (s) => (sb = s));
beforeEach(() => {
  sb.traffic.setFaults([]);
  sb.traffic.scenario = {};
});

describe('velero annotate + backup on blue, restore on green', () => {
  it('carries notebooks, claims, volumes, profiles, inference services and config maps over; reruns are ok', async () => {
    const tasks = [
      { name: 'annotate', 'velero-annotate': { cluster: 'blue' } },
      { name: 'backup', 'velero-backup': { cluster: 'blue', name: 'kf-upgrade-1' }, register: 'b' },
      restoreTask({ backup: 'kf-upgrade-1', source_cluster: 'blue', sync_timeout: '10s' }),
    ];
    const dry = await runTasks({ tasks, targets: targets(), mode: 'dry-run' });
    expect(dry.reporter.end('restore').describe?.join('\n')).toMatch(/wait up to 10.0s for backup kf-upgrade-1[\s\S]*restore velero\/kf-upgrade-1-restore on green of the profile namespaces of blue and velero, resources persistentvolume, persistentvolumeclaim, namespace, image, notebook, profile, inferenceservice, configmap, podvolumebackup, pod, serviceaccount/);

    const r = await runTasks({ tasks, targets: targets() });
    for (const t of ['annotate', 'backup', 'restore']) expect(r.reporter.end(t).status, `${t}: ${r.reporter.end(t).message}`).toBe('changed');
    expect(r.reporter.events.some((e) => e.type === 'task-progress' && /waiting for backup velero\/kf-upgrade-1 on green to appear|restore kf-upgrade-1-restore/.test((e as { message: string }).message))).toBe(true);

    const names = (apiVersion: string, kind: string) =>
      green()
        .list(apiVersion, kind)
        .filter((o) => (o.metadata.namespace ?? o.metadata.name).startsWith('team-') || (kind === 'PersistentVolume' && JSON.stringify(o.spec).includes('team-')))
        .map((o) => `${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name}`)
        .sort();
    expect(names('kubeflow.org/v1', 'Profile')).toEqual(['team-000', 'team-001', 'team-002']);
    expect(names('kubeflow.org/v1', 'Notebook')).toEqual(['team-000/nb-0', 'team-000/nb-1', 'team-001/nb-0', 'team-001/nb-1', 'team-002/nb-0', 'team-002/nb-1']);
    expect(names('v1', 'PersistentVolumeClaim')).toHaveLength(9);
    expect(names('v1', 'PersistentVolume')).toHaveLength(9);
    expect(names('serving.kserve.io/v1beta1', 'InferenceService')).toEqual(['team-000/team-000-sklearn-iris', 'team-001/team-001-sklearn-iris', 'team-002/team-002-sklearn-iris']);
    expect(names('v1', 'ConfigMap')).toEqual(expect.arrayContaining(['team-000/kfp-launcher', 'team-001/kfp-launcher', 'team-002/kfp-launcher']));
    // the file-system-backed-up workspaces come back through PodVolumeRestores
    expect(green().list('velero.io/v1', 'PodVolumeRestore', 'velero')).toHaveLength(6);
    // StatefulSets are not in the procedure's list: the notebook controller recreates them
    expect(names('apps/v1', 'StatefulSet')).toEqual([]);

    const restoreObj = green().get('velero.io/v1', 'Restore', 'kf-upgrade-1-restore', 'velero')!;
    expect(restoreObj.spec).toMatchObject({ backupName: 'kf-upgrade-1', includedNamespaces: ['team-000', 'team-001', 'team-002', 'velero'], includeClusterResources: true });
    if (realCrdsAvailable()) {
      expect(validateAgainstRealCrd({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'kf-upgrade-1-restore', namespace: 'velero' }, spec: restoreObj.spec })).toEqual([]);
    } else console.warn('real CRDs absent (../shared): Restore not validated against the real schema');

    const again = await runTasks({ tasks, targets: targets(), dir: r.dir });
    for (const t of ['annotate', 'backup', 'restore']) expect(again.reporter.end(t).status, t).toBe('ok');
  });

  it('check sends no write and reports a backup not synced yet', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({ tasks: [restoreTask({ backup: 'not-there-yet', source_cluster: 'blue' })], targets: targets(), mode: 'check', diff: true });
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
    const end = r.reporter.end('restore');
    expect(end.status).toBe('changed');
    expect(end.notes.join('\n')).toMatch(/not on green yet; a run waits up to 5m/);
    expect(end.changes[0]).toMatchObject({ action: 'create', target: 'restore velero/not-there-yet-restore', after: { backupName: 'not-there-yet', includedNamespaces: ['team-000', 'team-001', 'team-002', 'velero'] } });
  });

  it('fails after sync_timeout when the backup never appears', async () => {
    const r = await runTasks({ tasks: [restoreTask({ backup: 'never', included_namespaces: ['team-000'], sync_timeout: '300ms' })], targets: targets() });
    expect(r.reporter.end('restore')).toMatchObject({ status: 'failed', message: expect.stringMatching(/backup velero\/never on green did not appear within/), hint: expect.stringMatching(/bucket/) });
    expect(green().get('velero.io/v1', 'Restore', 'never-restore', 'velero')).toBeUndefined();
  });

  it('a restore of the same name that partially failed is refused unless allow_partial', async () => {
    await runTasks({ tasks: [{ name: 'b', 'velero-backup': { cluster: 'blue', name: 'kf-partial', included_namespaces: ['team-001'] } }], targets: targets() });
    // a restore of that name that ended PartiallyFailed (the final-phase rule itself is shared with velero-backup)
    green().create({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'p2', namespace: 'velero' }, spec: { backupName: 'kf-partial' }, status: { phase: 'PartiallyFailed', errors: 2, warnings: 1 } });
    const refused = await runTasks({ tasks: [restoreTask({ backup: 'kf-partial', name: 'p2', included_namespaces: ['team-001'] })], targets: targets(), mode: 'check' });
    expect(refused.reporter.end('restore')).toMatchObject({ status: 'failed', message: expect.stringMatching(/restore velero\/p2 already exists and ended in phase PartiallyFailed: phase PartiallyFailed, 2 errors, 1 warning/), hint: expect.stringMatching(/another restore name/) });
    const ok = await runTasks({ tasks: [restoreTask({ backup: 'kf-partial', name: 'p2', allow_partial: true })], targets: targets() });
    expect(ok.reporter.end('restore').status).toBe('ok');
  });

  it('FailedValidation is reported with the validation errors', async () => {
    await runTasks({ tasks: [{ name: 'b', 'velero-backup': { cluster: 'blue', name: 'kf-valid', included_namespaces: ['team-002'] } }], targets: targets() });
    const r = await runTasks({ tasks: [restoreTask({ backup: 'kf-valid', name: 'v1', included_namespaces: ['team-002'], excluded_namespaces: ['team-002'], sync_timeout: '5s' })], targets: targets() });
    expect(r.reporter.end('restore')).toMatchObject({ status: 'failed', message: expect.stringMatching(/phase FailedValidation.*namespace team-002 is both included and excluded/) });
  });

  it('retries 409, 429 and 5xx on green', async () => {
    await runTasks({ tasks: [{ name: 'b', 'velero-backup': { cluster: 'blue', name: 'kf-faults', included_namespaces: ['team-000'] } }], targets: targets() });
    sb.traffic.setFaults([
      { fault: 'conflict', target: 'green', times: 1 },
      { fault: 'throttle', target: 'green', operation: 'get', times: 1 },
      { fault: 'error500', target: 'green', times: 2 },
    ]);
    const r = await runTasks({ tasks: [restoreTask({ backup: 'kf-faults', included_namespaces: ['team-000'], sync_timeout: '5s', allow_partial: true })], targets: targets() });
    expect(r.reporter.end('restore').status, r.reporter.end('restore').message).toBe('changed');
  });

  it('rejects bad inputs', async () => {
    await expect(runTasks({ tasks: [restoreTask({})], targets: targets(), mode: 'check' })).rejects.toThrow(/backup/);
    await expect(runTasks({ tasks: [restoreTask({ backup: 'x', sync_timeout: 'soon' })], targets: targets(), mode: 'check' })).rejects.toThrow(/sync_timeout/);
    await expect(runTasks({ tasks: [restoreTask({ backup: 'x', existing_resource_policy: 'replace' })], targets: targets(), mode: 'check' })).rejects.toThrow(/existing_resource_policy/);
    const same = await runTasks({ tasks: [restoreTask({ backup: 'x', source_cluster: 'green' })], targets: targets(), mode: 'check' });
    expect(same.reporter.end('restore')).toMatchObject({ status: 'failed', message: expect.stringMatching(/source_cluster is the restore's own cluster/) });
  });
});
