// velero-restore's table for the conformance tester, and with it the whole Velero path end to
// end: annotate and back up blue, restore the backup (synced through the shared bucket) into
// green. Sync timeouts, failed phases, faults and check-time refusals:
// velero-restore.edges.test.ts.
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { readJournal } from '../../src/runner/state/journal.js';
import { realCrdsAvailable, validateAgainstRealCrd } from '../helpers/crd-schema.js';
import type { TaskRun } from '../helpers/run.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
const green = (sb: Sandbox) => sb.clusters.green.server.store;
const outputsOf = (run: TaskRun) => readJournal(run.stateDir, run.result.runId).flatMap((r) => (r.t === 'task-end' && r.name === TASK ? [r.outputs ?? {}] : []))[0] ?? {};

/** green's objects of a kind that belong to the team namespaces */
const names = (sb: Sandbox, apiVersion: string, kind: string) =>
  green(sb)
    .list(apiVersion, kind)
    .filter((o) => (o.metadata.namespace ?? o.metadata.name).startsWith('team-') || (kind === 'PersistentVolume' && JSON.stringify(o.spec).includes('team-')))
    .map((o) => `${o.metadata.namespace ? o.metadata.namespace + '/' : ''}${o.metadata.name}`)
    .sort();

taskTester({
  type: 'velero-restore',
  sandbox: { profiles: 3, timing: { veleroPhaseMs: 50, veleroSyncMs: 50 } },
  valid: [
    {
      name: 'carries notebooks, claims, volumes, profiles, inference services and config maps over to green',
      tasks: [
        { name: 'annotate', 'velero-annotate': { cluster: 'blue' } },
        { name: 'backup', 'velero-backup': { cluster: 'blue', name: 'kf-upgrade-1' }, register: 'b' },
      ],
      params: { cluster: 'green', backup: 'kf-upgrade-1', source_cluster: 'blue', sync_timeout: '10s' },
      after: ({ sb, run, check }) => {
        expect(run.reporter.end('backup').status).toBe('changed');
        expect(run.reporter.events.some((e) => e.type === 'task-progress' && /waiting for backup velero\/kf-upgrade-1 on green to appear|restore kf-upgrade-1-restore/.test(e.message))).toBe(true);
        expect(names(sb, 'kubeflow.org/v1', 'Profile')).toEqual(['team-000', 'team-001', 'team-002']);
        expect(names(sb, 'kubeflow.org/v1', 'Notebook')).toEqual(['team-000/nb-0', 'team-000/nb-1', 'team-001/nb-0', 'team-001/nb-1', 'team-002/nb-0', 'team-002/nb-1']);
        expect(names(sb, 'v1', 'PersistentVolumeClaim')).toHaveLength(9);
        expect(names(sb, 'v1', 'PersistentVolume')).toHaveLength(9);
        expect(names(sb, 'serving.kserve.io/v1beta1', 'InferenceService')).toEqual(['team-000/team-000-sklearn-iris', 'team-001/team-001-sklearn-iris', 'team-002/team-002-sklearn-iris']);
        expect(names(sb, 'v1', 'ConfigMap')).toEqual(expect.arrayContaining(['team-000/kfp-launcher', 'team-001/kfp-launcher', 'team-002/kfp-launcher']));
        // the file-system-backed-up workspaces come back through PodVolumeRestores
        expect(green(sb).list('velero.io/v1', 'PodVolumeRestore', 'velero')).toHaveLength(6);
        // StatefulSets are not in the procedure's list: the notebook controller recreates them
        expect(names(sb, 'apps/v1', 'StatefulSet')).toEqual([]);

        const restoreObj = green(sb).get('velero.io/v1', 'Restore', 'kf-upgrade-1-restore', 'velero')!;
        expect(restoreObj.spec).toMatchObject({ backupName: 'kf-upgrade-1', includedNamespaces: ['team-000', 'team-001', 'team-002', 'velero'], includeClusterResources: true });
        if (realCrdsAvailable()) {
          expect(validateAgainstRealCrd({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'kf-upgrade-1-restore', namespace: 'velero' }, spec: restoreObj.spec })).toEqual([]);
        } else console.warn('real CRDs absent (../shared): Restore not validated against the real schema');
        expect(outputsOf(run)).toMatchObject({ name: 'kf-upgrade-1-restore', backup: 'kf-upgrade-1', phase: 'Completed', errors: 0, validation_errors: [] });
        // the whole path again: every step has nothing to do
        for (const t of ['annotate', 'backup', TASK]) expect(check.reporter.end(t).status, t).toBe('ok');
      },
    },
    {
      name: 'restores the namespaces the backup lists when told no others',
      tasks: [{ name: 'backup', 'velero-backup': { cluster: 'blue', name: 'kf-one-ns', included_namespaces: ['team-001'] } }],
      // the objects restored just before are on green already: Velero leaves them and warns
      params: { cluster: 'green', backup: 'kf-one-ns', name: 'kf-one-ns-back', included_resources: ['configmap'], allow_partial: true, wait: false },
      after: ({ sb, run }) => {
        expect(green(sb).get('velero.io/v1', 'Restore', 'kf-one-ns-back', 'velero')?.spec).toMatchObject({ backupName: 'kf-one-ns', includedNamespaces: ['team-001'], includedResources: ['configmap'] });
        expect(outputsOf(run)).toEqual({ name: 'kf-one-ns-back', backup: 'kf-one-ns', phase: 'New', errors: null, warnings: null, items_restored: null, total_items: null, validation_errors: null, skipped_existing: null });
      },
    },
  ],
  invalid: [
    { name: 'no backup', params: { cluster: 'green' }, error: /missing the required "backup"/ },
    { name: 'a sync_timeout that is no duration', params: { cluster: 'green', backup: 'x', sync_timeout: 'soon' }, error: /"sync_timeout" has an invalid value/ },
    { name: 'an existing_resource_policy Velero does not have', params: { cluster: 'green', backup: 'x', existing_resource_policy: 'replace' }, error: /"existing_resource_policy" must be one of/ },
    { name: 'a name that is no DNS-1123 name', params: { cluster: 'green', backup: 'x', name: 'Restore_1' }, error: /"name" has an invalid value/ },
  ],
});
