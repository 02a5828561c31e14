// velero-restore: the procedure's "Restore resources into new cluster" without the velero binary.
// On the target cluster it waits (by watch, up to sync_timeout) until the Backup has come over
// from the shared bucket, creates a Restore scoped as the procedure prescribes (the profile
// namespaces and velero; volumes, claims, namespaces, notebooks, profiles, inference services,
// config maps, pod volume backups, pods and service accounts; cluster-scoped resources), then
// watches it to a final phase. Idempotent by name, like velero-backup.
import { UserError } from '../runner/errors.js';
import { parseDuration, formatDuration } from '../runner/load/duration.js';
import { loadTaskSchema } from '../runner/load/package-root.js';
import { Unknown, type Context, type KubeClients, type Outputs, type Plan, type TaskModule } from '../runner/types.js';
import { createVelero, getVelero, type VeleroObject } from './velero/api.js';
import { profileNamespaces } from './velero/namespaces.js';
import { restoreObject, type RestoreFields } from './velero/objects.js';
import { judgeExisting, requireSuccess } from './velero/outcome.js';
import { countsOf, phaseOf, PARTIAL, SUCCESS } from './velero/phases.js';
import { waitForExistence, waitForFinalPhase } from './velero/wait.js';

export interface RestoreParams {
  cluster: string;
  backup: string;
  name?: string;
  namespace?: string;
  source_cluster?: string;
  included_namespaces?: string[];
  excluded_namespaces?: string[];
  included_resources?: string[];
  excluded_resources?: string[];
  include_cluster_resources?: boolean | null;
  restore_pvs?: boolean | null;
  existing_resource_policy?: 'none' | 'update';
  labels?: Record<string, string>;
  sync_timeout?: string;
  allow_partial?: boolean;
  wait?: boolean;
}

/** "Resources in scope for Velero backup" in the procedure */
export const PROCEDURE_RESOURCES = [
  'persistentvolume',
  'persistentvolumeclaim',
  'namespace',
  'image',
  'notebook',
  'profile',
  'inferenceservice',
  'configmap',
  'podvolumebackup',
  'pod',
  'serviceaccount',
];

const ns = (p: RestoreParams) => p.namespace ?? 'velero';
const restoreName = (p: RestoreParams) => p.name ?? `${p.backup}-restore`;
const syncMs = (p: RestoreParams) => parseDuration(p.sync_timeout ?? '5m');
const usable = (b: VeleroObject) => [SUCCESS, PARTIAL].includes(phaseOf(b));

function outputsOf(r: VeleroObject): Outputs {
  const c = countsOf(r);
  return {
    name: r.metadata.name,
    backup: (r.spec as { backupName?: string } | undefined)?.backupName,
    phase: c.phase,
    errors: c.errors,
    warnings: c.warnings,
    items_restored: c.items_done,
    total_items: c.total_items,
    validation_errors: c.validation_errors,
  };
}

const unknownOutputs = (p: RestoreParams): Outputs => {
  const u = new Unknown('velero-restore');
  return { name: restoreName(p), backup: p.backup, phase: u, errors: u, warnings: u, items_restored: u, total_items: u, validation_errors: u };
};

async function waitAndJudge(p: RestoreParams, ctx: Context, kube: KubeClients): Promise<Outputs> {
  const done = await waitForFinalPhase({ kube, namespace: ns(p), plural: 'restores', name: restoreName(p), signal: ctx.signal, progress: (m) => ctx.progress(m) });
  requireSuccess('restore', done, p.allow_partial ?? false);
  return outputsOf(done);
}

function requireUsableBackup(p: RestoreParams, b: VeleroObject): void {
  if (!usable(b)) {
    throw new UserError(`backup ${ns(p)}/${p.backup} on ${p.cluster} is in phase ${phaseOf(b)}; only a Completed or PartiallyFailed backup can be restored`, {
      hint: 'wait for the backup to finish (velero-backup waits by default), or choose another backup',
    });
  }
}

/** the namespaces to restore: as listed, else the source cluster's profiles, else the backup's own list */
async function scope(p: RestoreParams, ctx: Context, backup: VeleroObject | undefined): Promise<string[] | undefined> {
  if (p.included_namespaces?.length) return [...p.included_namespaces];
  if (p.source_cluster) {
    const profiles = await profileNamespaces(ctx.kube(p.source_cluster), ctx.signal);
    if (!profiles.length) throw new UserError(`no Kubeflow profiles found on ${p.source_cluster} to take the namespaces from`, { hint: 'list them in included_namespaces' });
    return [...profiles, ns(p)];
  }
  const fromBackup = ((backup?.spec as { includedNamespaces?: string[] } | undefined)?.includedNamespaces ?? []).filter((n) => n !== '*');
  if (backup && fromBackup.length) return fromBackup;
  if (!backup) return undefined;
  throw new UserError(`cannot tell which namespaces to restore: backup ${p.backup} covers every namespace`, {
    hint: 'set source_cluster (its profile namespaces are restored, with velero) or included_namespaces',
  });
}

const restore: TaskModule<RestoreParams> = {
  name: 'velero-restore',
  schema: loadTaskSchema('velero-restore'),

  describe(p) {
    const nss = p.included_namespaces?.length
      ? p.included_namespaces.join(', ')
      : p.source_cluster
        ? `the profile namespaces of ${p.source_cluster} and ${ns(p)}`
        : `the namespaces backup ${p.backup} holds`;
    return [
      `wait up to ${formatDuration(syncMs(p))} for backup ${p.backup} to sync to ${p.cluster} from the shared bucket`,
      `create Velero restore ${ns(p)}/${restoreName(p)} on ${p.cluster} of ${nss}, resources ${(p.included_resources ?? PROCEDURE_RESOURCES).join(', ')}`,
      p.wait === false ? 'do not wait for it to finish' : `watch it until it ends; Completed is success${p.allow_partial ? ', PartiallyFailed accepted' : ''}`,
    ];
  },

  async check(p, ctx): Promise<Plan> {
    if (p.source_cluster === p.cluster) throw new UserError(`source_cluster is the restore's own cluster (${p.cluster})`, { hint: 'source_cluster names the cluster that was backed up, e.g. blue' });
    syncMs(p);
    const kube = ctx.kube(p.cluster);
    const existing = await getVelero(kube, ns(p), 'restores', restoreName(p), ctx.signal);
    const judged = judgeExisting('restore', existing, p.allow_partial ?? false);
    if (judged.state === 'done') return { changes: [], outputs: outputsOf(existing!), notes: [judged.note] };
    if (judged.state === 'running') {
      if (ctx.mode === 'run' && p.wait !== false) return { changes: [], outputs: await waitAndJudge(p, ctx, kube), notes: [judged.note, 'waited for it to finish'] };
      return { changes: [], outputs: unknownOutputs(p), notes: [judged.note, p.wait === false ? 'not waiting for it (wait: false)' : 'a run would wait for it to finish'] };
    }
    const backup = await getVelero(kube, ns(p), 'backups', p.backup, ctx.signal);
    const notes: string[] = [];
    if (backup) requireUsableBackup(p, backup);
    else notes.push(`backup ${p.backup} is not on ${p.cluster} yet; a run waits up to ${formatDuration(syncMs(p))} for Velero to sync it from the bucket`);
    const namespaces = await scope(p, ctx, backup);
    const fields: Omit<RestoreFields, 'included_namespaces'> = {
      ...p,
      name: restoreName(p),
      namespace: ns(p),
      backup: p.backup,
      included_resources: p.included_resources ?? PROCEDURE_RESOURCES,
      include_cluster_resources: p.include_cluster_resources === undefined ? true : p.include_cluster_resources,
    };
    const body = namespaces ? restoreObject({ ...fields, included_namespaces: namespaces }) : undefined;
    if (namespaces) notes.push(`namespaces: ${namespaces.join(', ')}`);
    return {
      changes: [
        {
          action: 'create',
          target: `restore ${ns(p)}/${restoreName(p)}`,
          summary: `restore backup ${p.backup} into ${p.cluster}${namespaces ? ` (${namespaces.length} namespaces)` : ' (namespaces from the backup once synced)'}`,
          after: body?.spec ?? { backupName: p.backup, includedNamespaces: '(from the backup, known after sync)' },
        },
      ],
      outputs: unknownOutputs(p),
      notes,
      data: { fields, namespaces },
    };
  },

  async apply(p, ctx, plan) {
    const kube = ctx.kube(p.cluster);
    const { fields, namespaces } = plan.data as { fields: Omit<RestoreFields, 'included_namespaces'>; namespaces?: string[] };
    let backup = await getVelero(kube, ns(p), 'backups', p.backup, ctx.signal);
    if (!backup) {
      backup = await waitForExistence({
        kube,
        namespace: ns(p),
        plural: 'backups',
        name: p.backup,
        signal: ctx.signal,
        progress: (m) => ctx.progress(m),
        timeoutMs: syncMs(p),
        what: `backup ${ns(p)}/${p.backup} on ${p.cluster}`,
      }).catch((e: unknown) => {
        if ((e as Error).name === 'WaitTimeout') {
          throw new UserError((e as Error).message, { hint: `is ${p.backup} the right name, and does the storage location on ${p.cluster} point at the bucket the backup was written to? (velero backup-location get)`, exitCode: 1 });
        }
        throw e;
      });
    }
    requireUsableBackup(p, backup);
    const included = namespaces ?? (await scope(p, ctx, backup))!;
    const body = restoreObject({ ...fields, included_namespaces: included });
    try {
      await createVelero(kube, 'restores', body, ctx.signal);
    } catch (e) {
      if ((e as { code?: number }).code === 409) {
        throw new Error(`restore ${ns(p)}/${restoreName(p)} was created by someone else after kfup checked; run again to see its state, or choose another name`);
      }
      throw e;
    }
    ctx.log(`created restore ${ns(p)}/${restoreName(p)} from backup ${p.backup}`);
    if (p.wait === false) return { ...Object.fromEntries(Object.keys(unknownOutputs(p)).map((k) => [k, null])), name: restoreName(p), backup: p.backup, phase: 'New' };
    return waitAndJudge(p, ctx, kube);
  },
};

export default restore;
