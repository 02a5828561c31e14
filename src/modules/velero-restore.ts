// velero-restore: the procedure's "Restore resources into new cluster" without the velero binary.
// On the target cluster it waits (by watch, up to sync_timeout) until the Backup has come over
// from the shared bucket, creates a Restore scoped as the procedure prescribes (the profile
// namespaces and velero; volumes, claims, namespaces, notebooks, profiles, inference services,
// config maps, pod volume backups, pods and service accounts: the schema's default for
// included_resources; cluster-scoped resources), then watches it to a final phase. Idempotent by
// name, like velero-backup. When Velero counted warnings, it reads the restore's results from the
// bucket (a DownloadRequest, as `velero restore describe --details`) and reports the objects
// skipped because they already existed.
import { defineTask, formatDuration, kubeStatus, nameAfterRollback, parseDuration, rollbackText, Unknown, WaitTimeout, type Known, type KubeClients, type TaskContext } from './kit/index.js';
import type { VeleroRestoreOutputs, VeleroRestoreParams } from './generated/velero-restore.js';
import { createVelero, getVelero, type VeleroObject } from './velero/api.js';
import { profileNamespaces } from './velero/namespaces.js';
import { restoreObject, type RestoreFields } from './velero/objects.js';
import { judgeExisting, requireSuccess } from './velero/outcome.js';
import { countsOf, isFinal, phaseOf, PARTIAL, SUCCESS } from './velero/phases.js';
import { readRestoreResults, skippedExisting, skippedLine, type SkippedResource } from './velero/restore-results.js';
import { waitForExistence, waitForFinalPhase } from './velero/wait.js';

type Params = VeleroRestoreParams;
type Outputs = VeleroRestoreOutputs;
/** what the helpers below use of the context (the same for every task type's context) */
type Ctx = Pick<TaskContext, 'kube' | 'signal' | 'progress' | 'log'>;

/** the Restore as planned; the namespaces are missing when they come from a backup not synced yet */
interface PlanData {
  fields: Omit<RestoreFields, 'included_namespaces'>;
  namespaces?: string[];
}

const restoreName = (p: Params) => p.name ?? `${p.backup}-restore`;

/** after a rollback: the backup velero-backup took after it, and a restore name of its own (explicit ones too) */
const afterRollback = (p: Params): Params => ({
  ...p,
  backup: nameAfterRollback(p.backup, p.after_rollback, 63),
  name: p.name === undefined ? undefined : nameAfterRollback(p.name, p.after_rollback, 63),
});
const syncMs = (p: Params) => parseDuration(p.sync_timeout);
const usable = (b: VeleroObject) => [SUCCESS, PARTIAL].includes(phaseOf(b));

function outputsOf(r: VeleroObject, skipped: SkippedResource[] | null): Outputs {
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
    skipped_existing: skipped,
  };
}

function unknownOutputs(p: Params): Known<Outputs> {
  const u = new Unknown('velero-restore');
  return { name: restoreName(p), backup: p.backup, phase: u, errors: u, warnings: u, items_restored: u, total_items: u, validation_errors: u, skipped_existing: u };
}

/** "Velero skipped 3 objects that already existed: a/ConfigMap/x, ..." */
function skippedText(skipped: SkippedResource[]): string {
  const lines = skipped.map(skippedLine);
  const shown = lines.slice(0, 20).join(', ');
  return `Velero skipped ${skipped.length} object${skipped.length === 1 ? '' : 's'} that already existed (different from the backed-up one${skipped.length === 1 ? '' : 's'}, left as ${skipped.length === 1 ? 'it is' : 'they are'}): ${shown}${lines.length > 20 ? `, ... and ${lines.length - 20} more (outputs.skipped_existing)` : ''}`;
}

/**
 * The objects Velero skipped, from the restore's results in the bucket; read only when the
 * Restore counted warnings (as `velero restore describe` decides). `create: false` (a check)
 * reuses a URL Velero still holds, never asks for one. Reading them is a report: a failure is
 * said, and the outputs say null, but the restore itself stands.
 */
async function skippedOf(p: Params, r: VeleroObject, ctx: Ctx, create: boolean): Promise<{ skipped: SkippedResource[] | null; note?: string }> {
  if (countsOf(r).warnings === 0) return { skipped: [] };
  const describe = `velero restore describe ${r.metadata.name} --details`;
  try {
    const results = await readRestoreResults(ctx.kube(p.cluster), p.namespace, r.metadata.name, { signal: ctx.signal, create });
    if (!results) return { skipped: null, note: `its ${countsOf(r).warnings} warnings are in the results file in the bucket; a run reads them (or: ${describe})` };
    const skipped = skippedExisting(results);
    return { skipped, note: skipped.length ? skippedText(skipped) : 'none of its warnings is about an object that already existed' };
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    return { skipped: null, note: `could not read the restore's results (${e instanceof Error ? e.message : String(e)}); see ${describe}` };
  }
}

async function waitAndJudge(p: Params, ctx: Ctx, kube: KubeClients): Promise<Outputs> {
  const done = await waitForFinalPhase({ kube, namespace: p.namespace, plural: 'restores', name: restoreName(p), signal: ctx.signal, progress: (m) => ctx.progress(m) });
  requireSuccess('restore', done, p.allow_partial);
  const { skipped, note } = await skippedOf(p, done, ctx, true);
  if (note) ctx.log(note);
  return outputsOf(done, skipped);
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

  describe(given) {
    const p = afterRollback(given);
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

  async check(given, ctx) {
    const p = afterRollback(given);
    if (p.source_cluster === p.cluster) throw this.error('sameCluster', { cluster: p.cluster }, { hint: 'source_cluster names the cluster that was backed up, e.g. blue' });
    const kube = ctx.kube(p.cluster);
    const existing = await getVelero(kube, p.namespace, 'restores', restoreName(p), ctx.signal);
    const judged = judgeExisting('restore', existing, p.allow_partial);
    if (existing && judged.state === 'done') {
      const { skipped, note } = await skippedOf(p, existing, ctx, false);
      return { changes: [], outputs: outputsOf(existing, skipped), notes: note ? [judged.note, note] : [judged.note] };
    }
    if (judged.state === 'running') {
      if (ctx.mode === 'run' && p.wait) return { changes: [], outputs: await waitAndJudge(p, ctx, kube), notes: [judged.note, 'waited for it to finish'] };
      return { changes: [], outputs: unknownOutputs(p), notes: [judged.note, p.wait ? 'a run would wait for it to finish' : 'not waiting for it (wait: false)'] };
    }
    const backup = await getVelero(kube, p.namespace, 'backups', p.backup, ctx.signal);
    const notes: string[] = [];
    if (p.after_rollback) notes.push(`after ${rollbackText(p.after_rollback)}: restores ${p.backup}, the backup taken after it, not ${given.backup}`);
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

  async apply(given, ctx, plan) {
    const p = afterRollback(given);
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
    if (!p.wait) return { name: restoreName(p), backup: p.backup, phase: 'New', errors: null, warnings: null, items_restored: null, total_items: null, validation_errors: null, skipped_existing: null };
    return waitAndJudge(p, ctx, kube);
  },
});

export default restore;
