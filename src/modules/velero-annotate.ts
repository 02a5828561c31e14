// velero-annotate: marks, on a cluster, pod volumes for Velero's file-system backup, for the
// backup's volume policy. Opt-in (the procedure's): every pod in the user namespaces that mounts
// a claim bound to an EFS or FSx volume gets backup.velero.io/backup-volumes with those volume
// names, merged with what is there; it replaces the procedure's one `kubectl annotate pod` per
// notebook ("Mark the persistent volumes you want to back up"). Opt-out (Velero copies every pod
// volume): the volumes that are not claims go to backup.velero.io/backup-volumes-excludes. Patches run a bounded number at a time, retried on 409/429/5xx; the
// values replaced are journaled so that `kfup rollback` can put them back.
import { setMaxListeners } from 'node:events';
import { defineTask, getOrUndefined, isRetryable, mapPool, TaskError, type Change, type Settled } from './kit/index.js';
import type { VeleroAnnotateOutputs, VeleroAnnotateParams } from './generated/velero-annotate.js';
import { describeFailure } from './velero/failures.js';
import { writeAnnotation } from './velero/pod-annotation.js';
import { checkScope, resolveNamespaces, scopeText } from './velero/scope.js';
import { annotationFor, BACKUP_VOLUMES, findPodVolumes, mergeNames, type PodVolumes, type VolumeAnnotation } from './velero/volumes.js';

/**
 * per pod ("namespace/name"): the value apply replaced (null: none) and the one it wrote, and
 * which annotation (absent in journals from before opt-out existed: backup-volumes)
 */
type Previous = Record<string, { before: string | null; after: string | null; annotation?: VolumeAnnotation }>;

/** what apply journals: the values it replaced, so that rollback can put them back */
interface Persisted {
  previous: Previous;
}

/** one pod rollback puts back: read at revert.check, written by revert.apply */
interface RevertWrite {
  key: string;
  annotation: VolumeAnnotation;
  rv?: string;
  current?: string;
  before: string | null;
  after: string | null;
}

/**
 * Each request in flight listens to the task's signal (to stop at Ctrl-C): with `concurrency`
 * patches at once that is more listeners than Node's leak warning expects of one signal.
 */
const expectListeners = (signal: AbortSignal, concurrency: number) => setMaxListeners(Math.max(10, concurrency * 2 + 10), signal);

const podKey = (p: { namespace: string; pod: string }) => `${p.namespace}/${p.pod}`;
const splitKey = (key: string) => {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), pod: key.slice(i + 1) };
};
const annotationView = (v: string | null | undefined, annotation: VolumeAnnotation) => (v === undefined || v === null ? {} : { [annotation]: v });

function podChange(p: PodVolumes): Change {
  return {
    action: 'update',
    target: `pod ${podKey(p)}`,
    summary: `add ${p.add.join(', ')} to ${p.annotation}`,
    before: annotationView(p.before, p.annotation),
    after: annotationView(p.after, p.annotation),
  };
}

const modeText = (optOut: boolean) =>
  optOut ? 'opt-out: Velero copies every pod volume; the ones that are not claims are excluded' : 'opt-in: Velero copies the volumes named on each pod';

/** every pod is attempted; the ones that failed are reported together */
function failures(results: Settled<unknown>[], keys: string[], verb: string): void {
  const failed = results.flatMap((r, i) => (r.ok ? [] : [{ key: keys[i], error: r.error }]));
  if (!failed.length) return;
  const lines = failed.map((f) => `${f.key}: ${describeFailure(f.error)}`);
  const shown = lines.slice(0, 10).join('\n  ');
  throw new TaskError(`could not ${verb} ${failed.length} of ${results.length} pods:\n  ${shown}${failed.length > 10 ? `\n  ... and ${failed.length - 10} more` : ''}`, {
    code: 'patchFailed',
    // conflicts, throttling and server errors outlasted the retries: a later try may get through
    retryable: failed.every((f) => isRetryable(f.error)),
  });
}

export default defineTask<VeleroAnnotateParams, VeleroAnnotateOutputs, PodVolumes[], Persisted, RevertWrite[]>({
  name: 'velero-annotate',

  describe(p) {
    checkScope(p);
    const optOut = p.default_volumes_to_fs_backup;
    return [
      optOut
        ? `find the pods in ${scopeText(p, p.cluster)} with volumes that are not claims (emptyDir, ephemeral, inline) (${modeText(true)})`
        : `find the pods in ${scopeText(p, p.cluster)} that mount claims bound to volumes of ${p.drivers.join(' or ')} (${modeText(false)})`,
      `add those volume names to each pod's ${annotationFor(optOut)} annotation (merged with existing), ${p.concurrency} pods at a time`,
    ];
  },

  async check(p, ctx) {
    const kube = ctx.kube(p.cluster);
    // pods, claims and volumes are listed 8 namespaces at a time
    expectListeners(ctx.signal, 8);
    const namespaces = await resolveNamespaces(kube, p, ctx.signal);
    if (!namespaces.length) {
      return { changes: [], outputs: { namespaces: 0, pods: 0, annotated: 0, volumes: 0 }, notes: [`no namespaces found (${scopeText(p, p.cluster)})`] };
    }
    ctx.progress(`reading pods, claims and volumes in ${namespaces.length} namespaces`);
    const optOut = p.default_volumes_to_fs_backup;
    const pods = await findPodVolumes(kube, namespaces, p.drivers, ctx.signal, optOut);
    const todo = pods.filter((x) => x.add.length > 0);
    const what = optOut ? 'have volumes that are not claims' : `mount volumes of ${p.drivers.join(', ')}`;
    return {
      changes: todo.map(podChange),
      outputs: { namespaces: namespaces.length, pods: pods.length, annotated: todo.length, volumes: pods.reduce((n, x) => n + x.volumes.length, 0) },
      notes: [`${modeText(optOut)}`, `${pods.length} pods in ${namespaces.length} namespaces ${what}; ${todo.length} need ${annotationFor(optOut)}`],
      data: todo,
    };
  },

  async apply(p, ctx, plan) {
    const kube = ctx.kube(p.cluster);
    const todo = plan.data ?? [];
    expectListeners(ctx.signal, p.concurrency);
    // journal what is replaced BEFORE writing: an interrupted run can still be rolled back.
    // Values an earlier attempt of this run recorded are older, so they win.
    const previous: Previous = { ...(ctx.recall('previous') ?? {}) };
    for (const x of todo) previous[podKey(x)] ??= { before: x.before ?? null, after: x.after, annotation: x.annotation };
    ctx.persist('previous', previous);

    let done = 0;
    let retries = 0;
    const results = await mapPool(
      todo,
      p.concurrency,
      async (x) => {
        const written = await writeAnnotation(
          kube,
          { namespace: x.namespace, pod: x.pod, annotation: x.annotation, resourceVersion: x.resourceVersion, current: x.before, compute: (cur) => mergeNames(cur, x.volumes).merged },
          ctx.signal,
          () => retries++,
        );
        if (written.written) previous[podKey(x)] = { before: previous[podKey(x)]?.before ?? null, after: written.value, annotation: x.annotation };
        if (++done % 50 === 0 || done === todo.length) ctx.progress(`annotated ${done}/${todo.length} pods`);
        return written;
      },
      ctx.signal,
    );
    ctx.persist('previous', previous);
    if (retries) ctx.log(`${retries} requests retried (conflicts, throttling or server errors)`);
    failures(results, todo.map(podKey), 'annotate');
    return { annotated: todo.length };
  },

  revert: {
    async check(record, ctx) {
      const p = record.params;
      const entries = Object.entries(record.persisted.previous ?? {});
      const kube = ctx.kube(p.cluster);
      // what each pod holds now decides: put back only what kfup wrote and nobody changed since
      const now = await mapPool(
        entries,
        p.concurrency,
        async ([key, v]) => {
          const { namespace, pod } = splitKey(key);
          const obj = await getOrUndefined(() => kube.core.readNamespacedPod({ name: pod, namespace }), ctx.signal);
          return obj ? { found: true as const, value: obj.metadata?.annotations?.[v.annotation ?? BACKUP_VOLUMES], rv: obj.metadata?.resourceVersion } : { found: false as const };
        },
        ctx.signal,
      );
      const changes: Change[] = [];
      const notes: string[] = [];
      const writes: RevertWrite[] = [];
      entries.forEach(([key, v], i) => {
        const r = now[i];
        if (!r.ok) throw r.error;
        if (!r.value.found) return notes.push(`pod ${key} no longer exists; nothing to restore`);
        const annotation = v.annotation ?? BACKUP_VOLUMES;
        const cur = r.value.value ?? null;
        if (cur === v.before) return;
        if (cur !== v.after) return notes.push(`pod ${key}: ${annotation} was changed after kfup wrote it (now "${cur ?? ''}"); left as it is`);
        changes.push({ action: 'update', target: `pod ${key}`, summary: `restore ${annotation}`, before: annotationView(cur, annotation), after: annotationView(v.before, annotation) });
        writes.push({ key, annotation, rv: r.value.rv, current: r.value.value, before: v.before, after: v.after });
      });
      return { changes, notes, data: writes };
    },

    async apply(record, ctx, plan) {
      const writes = plan.data ?? [];
      const kube = ctx.kube(record.params.cluster);
      expectListeners(ctx.signal, record.params.concurrency);
      const results = await mapPool(
        writes,
        record.params.concurrency,
        (w) =>
          // a pod changed in between keeps its new value (compute returns it unchanged)
          writeAnnotation(kube, { ...splitKey(w.key), annotation: w.annotation, resourceVersion: w.rv, current: w.current, compute: (cur) => ((cur ?? null) === w.after ? w.before : (cur ?? null)) }, ctx.signal),
        ctx.signal,
      );
      failures(results, writes.map((w) => w.key), 'restore the annotation of');
    },
  },
});
