// velero-backup's table for the conformance tester, against the sandbox's emulated Velero on blue:
// the Backups it creates (checked against the real Velero CRD when ../shared has it), watched to
// Completed, with their outputs; a second check of the same name plans nothing. Waiting on a
// backup in progress, failed phases, storage locations, faults and timeouts:
// velero-backup.edges.test.ts.
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { readJournal } from '../../src/runner/state/journal.js';
import { hasRealCrd, realCrdsAvailable, validateAgainstRealCrd } from '../helpers/crd-schema.js';
import type { TaskRun } from '../helpers/run.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
let n = 0;
/** the name the current case chose (cases run one after another) */
let current = '';
const fresh = () => (current = `kf-table-${++n}`);
const backupObj = (sb: Sandbox, name: string) => sb.clusters.blue.server.store.get('velero.io/v1', 'Backup', name, 'velero');
const outputsOf = (run: TaskRun) => readJournal(run.stateDir, run.result.runId).flatMap((r) => (r.t === 'task-end' && r.name === TASK ? [r.outputs ?? {}] : []))[0] ?? {};
const progressOf = (run: TaskRun) => run.reporter.events.flatMap((e) => (e.type === 'task-progress' ? [e.message] : []));

/** mark the EFS workspaces the way velero-annotate does, so that the backup copies them */
function annotateWorkspaces(sb: Sandbox): void {
  const store = sb.clusters.blue.server.store;
  for (const p of store.list('v1', 'Pod').filter((x) => x.metadata.namespace?.startsWith('team-'))) {
    store.update({ ...p, metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, 'backup.velero.io/backup-volumes': p.metadata.name.replace(/-0$/, '-workspace') } } });
  }
}

taskTester({
  type: 'velero-backup',
  sandbox: { profiles: 3, timing: { veleroPhaseMs: 60, veleroSyncMs: 50 } },
  valid: [
    {
      name: 'backs up the profile namespaces and velero, watched to Completed, with counts and pod volume backups',
      setup: annotateWorkspaces,
      params: () => ({ cluster: 'blue', name: fresh(), ttl: '72h0m0s', labels: { team: 'platform' } }),
      after: ({ sb, run, check }) => {
        const name = current;
        const obj = backupObj(sb, name)!;
        // Velero's server writes its own defaults (csiSnapshotTimeout, itemOperationTimeout) into the
        // spec beside what kfup sent: every field kfup sent is there as sent
        expect(obj.spec).toMatchObject({
          includedNamespaces: ['team-000', 'team-001', 'team-002', 'velero'],
          includeClusterResources: true,
          defaultVolumesToFsBackup: false,
          ttl: '72h0m0s',
          storageLocation: 'default',
        });
        expect(obj.metadata.labels).toMatchObject({ team: 'platform' });
        expect(obj.status).toMatchObject({ phase: 'Completed' });
        expect(progressOf(run).some((m) => new RegExp(`backup ${name}: (InProgress|Completed), \\d+/\\d+ items backed up`).test(m))).toBe(true);
        const o = outputsOf(run);
        expect(o).toMatchObject({ name, namespace: 'velero', phase: 'Completed', errors: 0, warnings: 0, validation_errors: [], pod_volume_backups: { total: 6, completed: 6, failed: 0 } });
        expect(o.total_items).toBeGreaterThan(0);
        expect(check.reporter.end(TASK).notes.join('\n')).toMatch(/already exists: phase Completed, 0 errors, 0 warnings/);
      },
    },
    {
      name: 'sends the scope and options it is given, valid against the real Velero CRD (skipped without ../shared)',
      params: () => ({
        cluster: 'blue',
        name: fresh(),
        included_namespaces: ['team-001'],
        excluded_resources: ['events'],
        included_resources: ['pods', 'persistentvolumeclaims', 'persistentvolumes', 'profiles', 'namespaces'],
        snapshot_volumes: false,
        include_cluster_resources: null,
        ttl: '1h',
        labels: { a: 'b' },
      }),
      after: ({ sb }) => {
        const name = current;
        const obj = backupObj(sb, name)!;
        // Velero's server writes its own defaults (csiSnapshotTimeout, itemOperationTimeout) into the
        // spec beside what kfup sent: every field kfup sent is there as sent
        expect(obj.spec).toMatchObject({
          includedNamespaces: ['team-001'],
          includedResources: ['pods', 'persistentvolumeclaims', 'persistentvolumes', 'profiles', 'namespaces'],
          excludedResources: ['events'],
          defaultVolumesToFsBackup: false,
          snapshotVolumes: false,
          ttl: '1h',
          storageLocation: 'default',
        });
        if (!realCrdsAvailable()) return console.warn('real CRDs absent (../shared): Backup not validated against the real schema');
        expect(hasRealCrd(obj)).toBe(true);
        // what kfup sent: the spec and metadata it chose (status is Velero's)
        expect(validateAgainstRealCrd({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name, namespace: 'velero', labels: { a: 'b' } }, spec: obj.spec })).toEqual([]);
      },
    },
    {
      name: 'with wait: false ends once the Backup is created',
      params: () => ({ cluster: 'blue', name: fresh(), included_namespaces: ['team-002'], wait: false }),
      after: ({ run }) => {
        expect(outputsOf(run)).toEqual({ name: current, namespace: 'velero', phase: 'New', errors: null, warnings: null, items_backed_up: null, total_items: null, validation_errors: null, pod_volume_backups: null });
        expect(progressOf(run)).toEqual([]);
      },
    },
    {
      name: 'a Completed backup of the same name is ok',
      setup: (sb) => {
        sb.clusters.blue.server.store.create({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'kf-done', namespace: 'velero' }, spec: {}, status: { phase: 'Completed', errors: 0, warnings: 2 } });
      },
      params: { cluster: 'blue', name: 'kf-done' },
      expect: 'ok',
      after: ({ run }) => {
        expect(run.reporter.end(TASK).notes.join('\n')).toMatch(/backup velero\/kf-done already exists: phase Completed, 0 errors, 2 warnings/);
        expect(outputsOf(run)).toMatchObject({ name: 'kf-done', phase: 'Completed', warnings: 2 });
      },
    },
  ],
  invalid: [
    { name: 'a name that is no DNS-1123 name', params: { cluster: 'blue', name: 'Bad_Name' }, error: /"name" has an invalid value "Bad_Name"/ },
    { name: 'a ttl that is no Go duration', params: { cluster: 'blue', name: 'ok', ttl: '3 days' }, error: /"ttl" has an invalid value/ },
    { name: 'wait as a string', params: { cluster: 'blue', name: 'ok', wait: 'yes' }, error: /"wait" must be boolean/ },
    { name: 'no name', params: { cluster: 'blue' }, error: /missing the required "name"/ },
    { name: 'a parameter it does not have', params: { cluster: 'blue', name: 'ok', namespaces: ['a'] }, error: /unknown key "namespaces"/ },
    {
      name: 'a reference to an output it does not declare',
      params: { cluster: 'blue', name: 'ok' },
      tasks: [
        { name: 'first', 'velero-backup': { cluster: 'blue', name: 'first' }, register: 'b' },
        { name: 'uses it', assert: { that: ['{{eq b.outputs.phsae "Completed"}}'] } },
      ],
      error: /b\.outputs\.phsae/,
    },
  ],
});
