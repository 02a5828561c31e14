// velero-restore: the procedure's "Restore resources into new cluster" without the velero binary.
// On the target cluster it waits (by watch, up to sync_timeout) until the Backup has come over
// from the shared bucket, creates a Restore scoped as the procedure prescribes (the profile
// namespaces and velero; volumes, claims, namespaces, notebooks, profiles, inference services,
// config maps, pod volume backups, pods and service accounts: the schema's default for
// included_resources; cluster-scoped resources), then watches it to a final phase. Idempotent by
// name, like velero-backup.
import { defineTask, formatDuration, kubeStatus, parseDuration, Unknown, WaitTimeout, type Known, type KubeClients, type TaskContext } from './kit/index.js';
import type { VeleroRestoreOutputs, VeleroRestoreParams } from './generated/velero-restore.js';
import { createVelero, getVelero, type VeleroObject } from './velero/api.js';
import { profileNamespaces } from './velero/namespaces.js';
import { restoreObject, type RestoreFields } from './velero/objects.js';
import { judgeExisting, requireSuccess } from './velero/outcome.js';
import { countsOf, isFinal, phaseOf, PARTIAL, SUCCESS } from './velero/phases.js';
import { waitForExistence, waitForFinalPhase } from './velero/wait.js';

type Params = VeleroRestoreParams;
type Outputs = VeleroRestoreOutputs;
/** what the helpers below use of the context (the same for every task type's context) */
type Ctx = Pick<TaskContext, 'kube' | 'signal' | 'progress'>;

/** the Restore as planned; the namespaces are missing when they come from a backup not synced yet */
interface PlanData {
  fields: Omit<RestoreFields, 'included_namespaces'>;
  namespaces?: string[];
}

const restoreName = (p: Params) => p.name ?? `${p.backup}-restore`;
const syncMs = (p: Params) => parseDuration(p.sync_timeout);
const usable = (b: VeleroObject) => [SUCCESS, PARTIAL].includes(phaseOf(b));

function outputsOf(r: VeleroObject): Outputs {
  const c = countsOf(r);
  return {
    name: r.metadata.name,
    backup: String((r.spec as { backupName?: string } | undefined)?.backupName ?? ''),
    phase: c.phase,
    errors: c.errors,
    warnings: c.warnings,
    items_restored: c.items_done,
    total_items: c.total_items,
    validation_errors: c.validation_errors,
  };
}

function unknownOutputs(p: Params): Known<Outputs> {
  const u = new Unknown('velero-restore');
  return { name: restoreName(p), backup: p.backup, phase: u, errors: u, warnings: u, items_restored: u, total_items: u, validation_errors: u };
}

async function waitAndJudge(p: Params, ctx: Ctx, kube: KubeClients): Promise<Outputs> {
  const done = await waitForFinalPhase({ kube, namespace: p.namespace, plural: 'restores', name: restoreName(p), signal: ctx.signal, progress: (m) => ctx.progress(m) });
  requireSuccess('restore', done, p.allow_partial);
  return outputsOf(done);
}

function requireUsableBackup(p: Params, b: VeleroObject): void {
  if (usable(b)) return;
  throw restore.error(
    'backupNotUsable',
    { namespace: p.namespace, backup: p.backup, cluster: p.cluster, phase: phaseOf(b) },
    // one still running may be usable on a later try; a failed one never
    { hint: 'wait for the backup to finish (velero-backup waits by default), or choose another backup', retryable: !isFinal(b) },
  );
}

/** the namespaces to restore: as listed, else the source cluster's profiles, else the backup's own list */
async function scope(p: Params, ctx: Ctx, backup: VeleroObject | undefined): Promise<string[] | undefined> {
  if (p.included_namespaces?.length) return [...p.included_namespaces];
  if (p.source_cluster) {
    const profiles = await profileNamespaces(ctx.kube(p.source_cluster), ctx.signal);
    if (!profiles.length) throw restore.error('noProfiles', { cluster: p.source_cluster }, { hint: 'list them in included_namespaces' });
    return [...profiles, p.namespace];
  }
  const fromBackup = ((backup?.spec as { includedNamespaces?: string[] } | undefined)?.includedNamespaces ?? []).filter((n) => n !== '*');
  if (backup && fromBackup.length) return fromBackup;
  if (!backup) return undefined;
  throw restore.error('scopeUnknown', { backup: p.backup }, { hint: 'set source_cluster (its profile namespaces are restored, with velero) or included_namespaces' });
}

const restore = defineTask<Params, Outputs, PlanData>({
  name: 'velero-restore',
  messages: {
    sameCluster: "source_cluster is the restore's own cluster ({{cluster}})",
    backupNotUsable: 'backup {{namespace}}/{{backup}} on {{cluster}} is in phase {{phase}}; only a Completed or PartiallyFailed backup can be restored',
    noProfiles: 'no Kubeflow profiles found on {{cluster}} to take the namespaces from',
    scopeUnknown: 'cannot tell which namespaces to restore: backup {{backup}} covers every namespace',
    notSynced: '{{message}}',
    createdMeanwhile: 'restore {{namespace}}/{{name}} was created by someone else after kfup checked; run again to see its state, or choose another name',
  },

  describe(p) {
    const nss = p.included_namespaces?.length
      ? p.included_namespaces.join(', ')
      : p.source_cluster
        ? `the profile namespaces of ${p.source_cluster} and ${p.namespace}`
        : `the namespaces backup ${p.backup} holds`;
    return [
      `wait up to ${formatDuration(syncMs(p))} for backup ${p.backup} to sync to ${p.cluster} from the shared bucket`,
      `create Velero restore ${p.namespace}/${restoreName(p)} on ${p.cluster} of ${nss}, resources ${p.included_resources.join(', ')}`,
      p.wait ? `watch it until it ends; Completed is success${p.allow_partial ? ', PartiallyFailed accepted' : ''}` : 'do not wait for it to finish',
    ];
  },

  async check(p, ctx) {
    if (p.source_cluster === p.cluster) throw this.error('sameCluster', { cluster: p.cluster }, { hint: 'source_cluster names the cluster that was backed up, e.g. blue' });
    const kube = ctx.kube(p.cluster);
    const existing = await getVelero(kube, p.namespace, 'restores', restoreName(p), ctx.signal);
    const judged = judgeExisting('restore', existing, p.allow_partial);
    if (existing && judged.state === 'done') return { changes: [], outputs: outputsOf(existing), notes: [judged.note] };
    if (judged.state === 'running') {
      if (ctx.mode === 'run' && p.wait) return { changes: [], outputs: await waitAndJudge(p, ctx, kube), notes: [judged.note, 'waited for it to finish'] };
      return { changes: [], outputs: unknownOutputs(p), notes: [judged.note, p.wait ? 'a run would wait for it to finish' : 'not waiting for it (wait: false)'] };
    }
    const backup = await getVelero(kube, p.namespace, 'backups', p.backup, ctx.signal);
    const notes: string[] = [];
    if (backup) requireUsableBackup(p, backup);
    else notes.push(`backup ${p.backup} is not on ${p.cluster} yet; a run waits up to ${formatDuration(syncMs(p))} for Velero to sync it from the bucket`);
    const namespaces = await scope(p, ctx, backup);
    const fields: PlanData['fields'] = { ...p, name: restoreName(p) };
    const body = namespaces ? restoreObject({ ...fields, included_namespaces: namespaces }) : undefined;
    if (namespaces) notes.push(`namespaces: ${namespaces.join(', ')}`);
    return {
      changes: [
        {
          action: 'create',
          target: `restore ${p.namespace}/${restoreName(p)}`,
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
    if (!plan.data) return {};
    const { fields, namespaces } = plan.data;
    const kube = ctx.kube(p.cluster);
    let backup = await getVelero(kube, p.namespace, 'backups', p.backup, ctx.signal);
    if (!backup) {
      backup = await waitForExistence({
        kube,
        namespace: p.namespace,
        plural: 'backups',
        name: p.backup,
        signal: ctx.signal,
        progress: (m) => ctx.progress(m),
        timeoutMs: syncMs(p),
        what: `backup ${p.namespace}/${p.backup} on ${p.cluster}`,
      }).catch((e: unknown) => {
        if (e instanceof WaitTimeout) {
          throw this.error('notSynced', { message: e.message }, { hint: `is ${p.backup} the right name, and does the storage location on ${p.cluster} point at the bucket the backup was written to? (velero backup-location get)` });
        }
        throw e;
      });
    }
    requireUsableBackup(p, backup);
    // namespaces the check could not know yet (the backup was not synced) come from the backup now
    const included = namespaces ?? (await scope(p, ctx, backup)) ?? [];
    const body = restoreObject({ ...fields, included_namespaces: included });
    try {
      await createVelero(kube, 'restores', body, ctx.signal);
    } catch (e) {
      // the world moved between check and apply: another attempt plans again from what is there now
      if (kubeStatus(e) === 409) throw this.error('createdMeanwhile', { namespace: p.namespace, name: restoreName(p) }, { retryable: true });
      throw e;
    }
    ctx.log(`created restore ${p.namespace}/${restoreName(p)} from backup ${p.backup}`);
    if (!p.wait) return { name: restoreName(p), backup: p.backup, phase: 'New', errors: null, warnings: null, items_restored: null, total_items: null, validation_errors: null };
    return waitAndJudge(p, ctx, kube);
  },
});

export default restore;
