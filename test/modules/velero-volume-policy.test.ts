// The backup's volume policy (issue 13 "The upgrade as the real deployment runs it", point 5),
// against a sandbox whose Velero server defaults to --default-volumes-to-fs-backup=true, as the
// EKS Blueprints add-on installs it. Velero's rules (https://velero.io/docs/main/file-system-backup/
// "opt-in" and "opt-out"; pkg/util/podvolume GetVolumesByPod): opt-in copies exactly the volumes in
// backup.velero.io/backup-volumes; opt-out copies every pod volume but hostPath, Secret, ConfigMap,
// projected, downwardAPI and those in backup.velero.io/backup-volumes-excludes. The seeded notebook
// pods have an EFS workspace claim, every other one an EBS data claim, and a /dev/shm emptyDir.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox, sandboxTargets } from '../helpers/sandbox.js';
import { CollectingReporter, runTasks } from '../helpers/run.js';
import { testTasks } from '../helpers/registry.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';

let sb: Sandbox;
useSandbox({ profiles: 2, notebooks: 2, timing: { veleroPhaseMs: 40, veleroSyncMs: 40 } }, (s) => (sb = s));

const blue = () => sb.clusters.blue.server.store;
const NS = ['team-000', 'team-001'];
const annotate = (optOut: boolean | undefined) => ({
  name: 'annotate',
  'velero-annotate': { cluster: 'blue', namespaces: NS, drivers: ['efs.csi.aws.com'], ...(optOut === undefined ? {} : { default_volumes_to_fs_backup: optOut }) },
});
const backup = (name: string, optOut: boolean | null | undefined) => ({
  name: 'backup',
  'velero-backup': { cluster: 'blue', name, included_namespaces: NS, ...(optOut === undefined ? {} : { default_volumes_to_fs_backup: optOut }) },
});
/** "namespace/pod: volume" of each PodVolumeBackup of a backup, sorted */
const copied = (name: string) =>
  blue()
    .list('velero.io/v1', 'PodVolumeBackup', 'velero')
    .filter((p) => p.metadata.labels?.['velero.io/backup-name'] === name)
    .map((p) => {
      const spec = p.spec as { pod: { namespace: string; name: string }; volume: string };
      return `${spec.pod.namespace}/${spec.pod.name}: ${spec.volume}`;
    })
    .sort();
const notebookPods = (): KubeObject[] => blue().list('v1', 'Pod').filter((p) => NS.includes(p.metadata.namespace ?? ''));
/** every claim volume of the notebook pods, "namespace/pod: volume" */
const claimVolumes = () =>
  notebookPods()
    .flatMap((p) => ((p.spec as { volumes: { name: string; persistentVolumeClaim?: unknown }[] }).volumes ?? []).filter((v) => v.persistentVolumeClaim).map((v) => `${p.metadata.namespace}/${p.metadata.name}: ${v.name}`))
    .sort();

describe('the backup states its volume policy (server default true)', () => {
  it('without a stated policy the server decides: opt-out, every volume copied, /dev/shm included', async () => {
    const r = await runTasks({ tasks: [backup('vp-server', null)], targets: sandboxTargets(sb) });
    expect(r.reporter.end('backup').status).toBe('changed');
    expect(blue().get('velero.io/v1', 'Backup', 'vp-server', 'velero')!.spec).toMatchObject({ defaultVolumesToFsBackup: true });
    expect(copied('vp-server').some((v) => v.endsWith(': dshm'))).toBe(true);
  });

  it('opt-in (the default): the Backup says false, and only the EFS claims velero-annotate named are copied', async () => {
    const r = await runTasks({ tasks: [annotate(undefined), backup('vp-optin', undefined)], targets: sandboxTargets(sb) });
    expect(r.reporter.end('annotate').status).toBe('changed');
    expect(r.reporter.end('backup').notes.join('\n')).toMatch(/volume policy opt-in \(defaultVolumesToFsBackup: false\)/);
    expect(blue().get('velero.io/v1', 'Backup', 'vp-optin', 'velero')!.spec).toMatchObject({ defaultVolumesToFsBackup: false });
    const efs = claimVolumes().filter((v) => v.endsWith('-workspace'));
    expect(efs.length).toBe(4);
    expect(copied('vp-optin')).toEqual(efs);
  });

  it('opt-out: velero-annotate excludes the volumes that are not claims, so every claim (EBS too) is copied and no /dev/shm; rollback removes the excludes', async () => {
    const r = await runTasks({ tasks: [annotate(true), backup('vp-optout', true)], targets: sandboxTargets(sb) });
    const ann = r.reporter.end('annotate');
    expect(ann.status).toBe('changed');
    expect(ann.changes?.every((c) => c.summary === 'add dshm to backup.velero.io/backup-volumes-excludes')).toBe(true);
    for (const p of notebookPods()) expect(p.metadata.annotations?.['backup.velero.io/backup-volumes-excludes']).toBe('dshm');
    expect(blue().get('velero.io/v1', 'Backup', 'vp-optout', 'velero')!.spec).toMatchObject({ defaultVolumesToFsBackup: true });
    const claims = claimVolumes();
    expect(claims.some((v) => v.endsWith('-data'))).toBe(true);
    expect(copied('vp-optout')).toEqual(claims);

    // a second run: nothing to annotate
    const again = await runTasks({ tasks: [annotate(true)], targets: sandboxTargets(sb), mode: 'check' });
    expect(again.reporter.end('annotate')).toMatchObject({ status: 'ok', changes: [] });

    // rollback puts back what the excludes annotation was (absent), the opt-in one is left alone
    await rollbackRun({ runId: r.result.runId, stateDir: r.stateDir, yes: true, mode: 'run', registry: testTasks, reporter: new CollectingReporter(), notice: () => {} });
    for (const p of notebookPods()) {
      expect(p.metadata.annotations?.['backup.velero.io/backup-volumes-excludes']).toBeUndefined();
      expect(p.metadata.annotations?.['backup.velero.io/backup-volumes']).toMatch(/-workspace$/);
    }
  });
});
