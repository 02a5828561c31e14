// velero-backup: the procedure's "Back up resources from production cluster" without the velero
// binary: a velero.io/v1 Backup with the fields `velero backup create` sets, after checking that
// its storage location is Available, then a watch on it until a final phase (`--wait`).
// Idempotent by name: a Completed backup is ok, one in progress is waited on, a failed one is an
// error asking for another name.
import { UserError } from '../runner/errors.js';
import { loadTaskSchema } from '../runner/load/package-root.js';
import { Unknown, type Context, type KubeClients, type Outputs, type Plan, type TaskModule } from '../runner/types.js';
import { createVelero, getVelero, listVelero, type VeleroObject } from './velero/api.js';
import { profileNamespaces } from './velero/namespaces.js';
import { backupObject, type BackupFields } from './velero/objects.js';
import { judgeExisting, requireSuccess } from './velero/outcome.js';
import { countsOf } from './velero/phases.js';
import { podVolumeBackups } from './velero/pod-volume-backups.js';
import { waitForFinalPhase } from './velero/wait.js';

export interface BackupParams {
  cluster: string;
  name: string;
  namespace?: string;
  included_namespaces?: string[];
  excluded_namespaces?: string[];
  included_resources?: string[];
  excluded_resources?: string[];
  include_cluster_resources?: boolean | null;
  default_volumes_to_fs_backup?: boolean | null;
  snapshot_volumes?: boolean | null;
  ttl?: string;
  storage_location?: string;
  labels?: Record<string, string>;
  allow_partial?: boolean;
  wait?: boolean;
}

const ns = (p: BackupParams) => p.namespace ?? 'velero';
const location = (p: BackupParams) => p.storage_location ?? 'default';

async function outputsOf(kube: KubeClients, b: VeleroObject, signal: AbortSignal): Promise<Outputs> {
  const c = countsOf(b);
  return {
    name: b.metadata.name,
    namespace: b.metadata.namespace,
    phase: c.phase,
    errors: c.errors,
    warnings: c.warnings,
    items_backed_up: c.items_done,
    total_items: c.total_items,
    validation_errors: c.validation_errors,
    pod_volume_backups: await podVolumeBackups(kube, b.metadata.namespace!, b.metadata.name, signal),
  };
}

const unknownOutputs = (p: BackupParams): Outputs => ({
  name: p.name,
  namespace: ns(p),
  phase: new Unknown('velero-backup'),
  errors: new Unknown('velero-backup'),
  warnings: new Unknown('velero-backup'),
  items_backed_up: new Unknown('velero-backup'),
  total_items: new Unknown('velero-backup'),
  validation_errors: new Unknown('velero-backup'),
  pod_volume_backups: new Unknown('velero-backup'),
});

async function waitAndJudge(p: BackupParams, ctx: Context, kube: KubeClients): Promise<Outputs> {
  const done = await waitForFinalPhase({ kube, namespace: ns(p), plural: 'backups', name: p.name, signal: ctx.signal, progress: (m) => ctx.progress(m) });
  requireSuccess('backup', done, p.allow_partial ?? false);
  return outputsOf(kube, done, ctx.signal);
}

/** the storage location must exist and be Available, or Velero fails the backup at once */
async function checkLocation(p: BackupParams, ctx: Context, kube: KubeClients): Promise<void> {
  const bsl = await getVelero(kube, ns(p), 'backupstoragelocations', location(p), ctx.signal);
  if (!bsl) {
    const known = (await listVelero(kube, ns(p), 'backupstoragelocations', undefined, ctx.signal)).map((l) => l.metadata.name);
    throw new UserError(`backup storage location "${location(p)}" does not exist in namespace ${ns(p)} on ${p.cluster}`, {
      hint: known.length ? `storage locations there: ${known.join(', ')}` : `no storage location in ${ns(p)}: is Velero installed there (velero install ... --bucket ...)?`,
    });
  }
  const status = (bsl.status ?? {}) as { phase?: string; message?: string };
  if (status.phase !== 'Available') {
    throw new UserError(`backup storage location "${location(p)}" is ${status.phase ?? 'not validated yet'}${status.message ? `: ${status.message}` : ''}`, {
      hint: `check the bucket and Velero's credentials: velero backup-location get ${location(p)}`,
    });
  }
}

async function scope(p: BackupParams, ctx: Context, kube: KubeClients): Promise<string[]> {
  if (p.included_namespaces?.length) return [...p.included_namespaces];
  const profiles = await profileNamespaces(kube, ctx.signal);
  if (!profiles.length) {
    throw new UserError(`no Kubeflow profiles found on ${p.cluster} to take the namespaces from`, { hint: 'list the namespaces to back up in included_namespaces' });
  }
  // the Velero namespace holds the PodVolumeBackups a restore needs
  return [...profiles, ns(p)];
}

const backup: TaskModule<BackupParams> = {
  name: 'velero-backup',
  schema: loadTaskSchema('velero-backup'),

  describe(p) {
    const nss = p.included_namespaces?.length ? p.included_namespaces.join(', ') : `the profile namespaces of ${p.cluster} and ${ns(p)}`;
    const lines = [
      `check that backup storage location ${location(p)} in ${ns(p)} on ${p.cluster} is Available`,
      `create Velero backup ${ns(p)}/${p.name} of ${nss}${p.included_resources?.length ? ` (resources: ${p.included_resources.join(', ')})` : ''}`,
    ];
    lines.push(p.wait === false ? 'do not wait for it to finish' : `watch it until it ends; Completed is success${p.allow_partial ? ', PartiallyFailed accepted' : ''}`);
    return lines;
  },

  async check(p, ctx): Promise<Plan> {
    const kube = ctx.kube(p.cluster);
    const existing = await getVelero(kube, ns(p), 'backups', p.name, ctx.signal);
    const judged = judgeExisting('backup', existing, p.allow_partial ?? false);
    if (judged.state === 'done') return { changes: [], outputs: await outputsOf(kube, existing!, ctx.signal), notes: [judged.note] };
    if (judged.state === 'running') {
      // waiting only reads (a watch), so a run does it here and reports ok: nothing is created
      if (ctx.mode === 'run' && p.wait !== false) return { changes: [], outputs: await waitAndJudge(p, ctx, kube), notes: [judged.note, 'waited for it to finish'] };
      return { changes: [], outputs: unknownOutputs(p), notes: [judged.note, p.wait === false ? 'not waiting for it (wait: false)' : 'a run would wait for it to finish'] };
    }
    await checkLocation(p, ctx, kube);
    const fields: BackupFields = {
      ...p,
      name: p.name,
      namespace: ns(p),
      storage_location: location(p),
      included_namespaces: await scope(p, ctx, kube),
      include_cluster_resources: p.include_cluster_resources === undefined ? true : p.include_cluster_resources,
    };
    const body = backupObject(fields);
    const n = fields.included_namespaces.length;
    return {
      changes: [{ action: 'create', target: `backup ${ns(p)}/${p.name}`, summary: `create Velero backup of ${n} namespace${n === 1 ? '' : 's'} to storage location ${location(p)}`, after: body.spec }],
      outputs: unknownOutputs(p),
      notes: [`namespaces: ${fields.included_namespaces.join(', ')}`],
      data: body,
    };
  },

  async apply(p, ctx, plan) {
    const kube = ctx.kube(p.cluster);
    const body = plan.data as VeleroObject;
    try {
      await createVelero(kube, 'backups', body, ctx.signal);
    } catch (e) {
      if ((e as { code?: number }).code === 409) {
        throw new Error(`backup ${ns(p)}/${p.name} was created by someone else after kfup checked; run again to see its state, or choose another name`);
      }
      throw e;
    }
    ctx.log(`created backup ${ns(p)}/${p.name}`);
    if (p.wait === false) {
      // not waited for: nothing is known yet beyond the name
      return { ...Object.fromEntries(Object.keys(unknownOutputs(p)).map((k) => [k, null])), name: p.name, namespace: ns(p), phase: 'New' };
    }
    return waitAndJudge(p, ctx, kube);
  },
};

export default backup;
