// velero-backup: the procedure's "Back up resources from production cluster" without the velero
// binary: a velero.io/v1 Backup with the fields `velero backup create` sets, after checking that
// its storage location is Available, then a watch on it until a final phase (`--wait`).
// Idempotent by name: a Completed backup is ok, one in progress is waited on, a failed one is an
// error asking for another name. After a rollback (after_rollback) the name is <name>-<rollback
// id>: a new attempt takes a fresh backup, and says that the one from before is not reused.
import { defineTask, kubeStatus, nameAfterRollback, olderThanRollback, rollbackText, Unknown, type Known, type KubeClients, type TaskContext } from './kit/index.js';
import type { VeleroBackupOutputs, VeleroBackupParams } from './generated/velero-backup.js';
import { createVelero, getVelero, listVelero, type VeleroObject } from './velero/api.js';
import { profileNamespaces } from './velero/namespaces.js';
import { backupObject } from './velero/objects.js';
import { judgeExisting, requireSuccess } from './velero/outcome.js';
import { countsOf } from './velero/phases.js';
import { podVolumeBackups } from './velero/pod-volume-backups.js';
import { waitForFinalPhase } from './velero/wait.js';

type Params = VeleroBackupParams;
type Outputs = VeleroBackupOutputs;
/** what the helpers below use of the context (the same for every task type's context) */
type Ctx = Pick<TaskContext, 'kube' | 'signal' | 'progress' | 'mode'>;

/** the volume policy the Backup states (https://velero.io/docs/main/file-system-backup/, opt-in and opt-out) */
function volumePolicy(v: boolean | null | undefined): string {
  if (v === true) return 'volume policy opt-out (defaultVolumesToFsBackup: true): every pod volume is copied but those in backup.velero.io/backup-volumes-excludes';
  if (v === false) return 'volume policy opt-in (defaultVolumesToFsBackup: false): only the volumes in backup.velero.io/backup-volumes are copied';
  return "volume policy left to the server's --default-volumes-to-fs-backup (defaultVolumesToFsBackup unset)";
}

/** the parameters with the name this attempt uses: <name>-<rollback id> after a rollback */
const afterRollback = (p: Params): Params => ({ ...p, name: nameAfterRollback(p.name, p.after_rollback, 63) });

/** what check says about a backup under the base name when a rollback made this attempt's name another */
async function earlierBackupNote(p: Params, base: string, kube: KubeClients, signal: AbortSignal): Promise<string | undefined> {
  const rb = p.after_rollback;
  if (!rb || base === p.name) return undefined;
  const earlier = await getVelero(kube, p.namespace, 'backups', base, signal);
  if (!earlier) return `after ${rollbackText(rb)}, this attempt's backup is ${p.name}`;
  const created = earlier.metadata.creationTimestamp;
  return olderThanRollback(created, rb)
    ? `backup ${p.namespace}/${base} (created ${created}) is older than ${rollbackText(rb)}: not reused; this attempt takes a fresh backup, ${p.name}`
    : `backup ${p.namespace}/${base} (created ${created ?? 'at an unknown time'}) is not this attempt's: after ${rollbackText(rb)} the backup is ${p.name}`;
}

async function outputsOf(kube: KubeClients, b: VeleroObject, signal: AbortSignal): Promise<Outputs> {
  const c = countsOf(b);
  return {
    name: b.metadata.name,
    namespace: b.metadata.namespace ?? '',
    phase: c.phase,
    errors: c.errors,
    warnings: c.warnings,
    items_backed_up: c.items_done,
    total_items: c.total_items,
    validation_errors: c.validation_errors,
    pod_volume_backups: await podVolumeBackups(kube, b.metadata.namespace ?? '', b.metadata.name, signal),
  };
}

function unknownOutputs(p: Params): Known<Outputs> {
  const u = new Unknown('velero-backup');
  return { name: p.name, namespace: p.namespace, phase: u, errors: u, warnings: u, items_backed_up: u, total_items: u, validation_errors: u, pod_volume_backups: u };
}

async function waitAndJudge(p: Params, ctx: Ctx, kube: KubeClients): Promise<Outputs> {
  const done = await waitForFinalPhase({ kube, namespace: p.namespace, plural: 'backups', name: p.name, signal: ctx.signal, progress: (m) => ctx.progress(m) });
  requireSuccess('backup', done, p.allow_partial);
  return outputsOf(kube, done, ctx.signal);
}

export default defineTask<Params, Outputs, VeleroObject>({
  name: 'velero-backup',
  messages: {
    noLocation: 'backup storage location "{{location}}" does not exist in namespace {{namespace}} on {{cluster}}',
    locationUnavailable: 'backup storage location "{{location}}" is {{state}}',
    noProfiles: 'no Kubeflow profiles found on {{cluster}} to take the namespaces from',
    createdMeanwhile: 'backup {{namespace}}/{{name}} was created by someone else after kfup checked; run again to see its state, or choose another name',
  },

  describe(given) {
    const p = afterRollback(given);
    const nss = p.included_namespaces?.length ? p.included_namespaces.join(', ') : `the profile namespaces of ${p.cluster} and ${p.namespace}`;
    return [
      `check that backup storage location ${p.storage_location} in ${p.namespace} on ${p.cluster} is Available`,
      `create Velero backup ${p.namespace}/${p.name} of ${nss}${p.included_resources?.length ? ` (resources: ${p.included_resources.join(', ')})` : ''}${p.after_rollback ? ` (a name of its own after ${rollbackText(p.after_rollback)}: nothing from before it is reused)` : ''}`,
      volumePolicy(p.default_volumes_to_fs_backup),
      p.wait ? `watch it until it ends; Completed is success${p.allow_partial ? ', PartiallyFailed accepted' : ''}` : 'do not wait for it to finish',
    ];
  },

  async check(given, ctx) {
    const p = afterRollback(given);
    const kube = ctx.kube(p.cluster);
    const existing = await getVelero(kube, p.namespace, 'backups', p.name, ctx.signal);
    const judged = judgeExisting('backup', existing, p.allow_partial);
    if (existing && judged.state === 'done') return { changes: [], outputs: await outputsOf(kube, existing, ctx.signal), notes: [judged.note] };
    const earlier = await earlierBackupNote(p, given.name, kube, ctx.signal);
    if (judged.state === 'running') {
      // waiting only reads (a watch), so a run does it here and reports ok: nothing is created
      if (ctx.mode === 'run' && p.wait) return { changes: [], outputs: await waitAndJudge(p, ctx, kube), notes: [judged.note, 'waited for it to finish'] };
      return { changes: [], outputs: unknownOutputs(p), notes: [judged.note, p.wait ? 'a run would wait for it to finish' : 'not waiting for it (wait: false)'] };
    }

    // the storage location must exist and be Available, or Velero fails the backup at once
    const bsl = await getVelero(kube, p.namespace, 'backupstoragelocations', p.storage_location, ctx.signal);
    if (!bsl) {
      const known = (await listVelero(kube, p.namespace, 'backupstoragelocations', undefined, ctx.signal)).map((l) => l.metadata.name);
      throw this.error('noLocation', { location: p.storage_location, namespace: p.namespace, cluster: p.cluster }, {
        hint: known.length ? `storage locations there: ${known.join(', ')}` : `no storage location in ${p.namespace}: is Velero installed there (velero install ... --bucket ...)?`,
      });
    }
    const status = (bsl.status ?? {}) as { phase?: string; message?: string };
    if (status.phase !== 'Available') {
      throw this.error('locationUnavailable', { location: p.storage_location, state: `${status.phase ?? 'not validated yet'}${status.message ? `: ${status.message}` : ''}` }, {
        hint: `check the bucket and Velero's credentials: velero backup-location get ${p.storage_location}`,
        // Velero validates a new location within a minute; one it found Unavailable needs a person
        retryable: status.phase === undefined,
      });
    }

    let namespaces: string[];
    if (p.included_namespaces?.length) namespaces = [...p.included_namespaces];
    else {
      const profiles = await profileNamespaces(kube, ctx.signal);
      if (!profiles.length) throw this.error('noProfiles', { cluster: p.cluster }, { hint: 'list the namespaces to back up in included_namespaces' });
      // the Velero namespace holds the PodVolumeBackups a restore needs
      namespaces = [...profiles, p.namespace];
    }
    const body = backupObject({ ...p, included_namespaces: namespaces });
    const n = namespaces.length;
    return {
      changes: [
        {
          action: 'create',
          target: `backup ${p.namespace}/${p.name}`,
          summary: `create Velero backup of ${n} namespace${n === 1 ? '' : 's'} to storage location ${p.storage_location}${p.after_rollback ? ` (fresh after ${rollbackText(p.after_rollback)})` : ''}`,
          after: body.spec,
        },
      ],
      outputs: unknownOutputs(p),
      notes: [...(earlier ? [earlier] : []), `namespaces: ${namespaces.join(', ')}`, volumePolicy(p.default_volumes_to_fs_backup)],
      data: body,
    };
  },

  async apply(given, ctx, plan) {
    const p = afterRollback(given);
    const kube = ctx.kube(p.cluster);
    if (!plan.data) return {};
    try {
      await createVelero(kube, 'backups', plan.data, ctx.signal);
    } catch (e) {
      // the world moved between check and apply: another attempt plans again from what is there now
      if (kubeStatus(e) === 409) throw this.error('createdMeanwhile', { namespace: p.namespace, name: p.name }, { retryable: true });
      throw e;
    }
    ctx.log(`created backup ${p.namespace}/${p.name}`);
    if (!p.wait) {
      // not waited for: nothing is known yet beyond the name
      return { name: p.name, namespace: p.namespace, phase: 'New', errors: null, warnings: null, items_backed_up: null, total_items: null, validation_errors: null, pod_volume_backups: null };
    }
    return waitAndJudge(p, ctx, kube);
  },
});
