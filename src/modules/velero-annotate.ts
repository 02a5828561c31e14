// velero-annotate: marks, on a cluster, the pod volumes Velero must copy with its file-system
// backup: every pod in the user namespaces that mounts a claim bound to an EFS or FSx volume
// gets backup.velero.io/backup-volumes with those volume names, merged with what is there. It
// replaces the procedure's one `kubectl annotate pod` per notebook ("Mark the persistent volumes
// you want to back up"). Patches run a bounded number at a time, retried on 409/429/5xx; the
// values replaced are journaled so that `kfup rollback` can put them back.
import { loadTaskSchema } from '../runner/load/package-root.js';
import type { Applied, Change, Context, Plan, TaskModule } from '../runner/types.js';
import { mapPool } from './kit/kube/pool.js';
import { getOrUndefined } from './kit/kube/watch.js';
import { writeAnnotation } from './velero/pod-annotation.js';
import { checkScope, resolveNamespaces, scopeText, type NamespaceScope } from './velero/scope.js';
import { BACKUP_VOLUMES, findPodVolumes, mergeNames, type PodVolumes } from './velero/volumes.js';
import { describeFailure } from './velero/failures.js';

export interface AnnotateParams extends NamespaceScope {
  cluster: string;
  drivers?: string[];
  concurrency?: number;
}

export const DEFAULT_DRIVERS = ['efs.csi.aws.com', 'fsx.csi.aws.com'];
const DEFAULT_CONCURRENCY = 16;

/** what apply journals per pod: the value it replaced (null: none) and the one it wrote */
type Previous = Record<string, { before: string | null; after: string | null }>;

const podKey = (p: { namespace: string; pod: string }) => `${p.namespace}/${p.pod}`;
const annotationView = (v: string | null | undefined) => (v === undefined || v === null ? {} : { [BACKUP_VOLUMES]: v });

function podChange(p: PodVolumes): Change {
  return {
    action: 'update',
    target: `pod ${podKey(p)}`,
    summary: `add ${p.add.join(', ')} to ${BACKUP_VOLUMES}`,
    before: annotationView(p.before),
    after: annotationView(p.after),
  };
}

function failures(results: { ok: boolean; error?: unknown }[], keys: string[], verb: string): void {
  const failed = results.map((r, i) => (r.ok ? undefined : `${keys[i]}: ${describeFailure(r.error)}`)).filter((x): x is string => !!x);
  if (failed.length) {
    const shown = failed.slice(0, 10).join('\n  ');
    throw new Error(`could not ${verb} ${failed.length} of ${results.length} pods:\n  ${shown}${failed.length > 10 ? `\n  ... and ${failed.length - 10} more` : ''}`);
  }
}

const annotate: TaskModule<AnnotateParams> = {
  name: 'velero-annotate',
  schema: loadTaskSchema('velero-annotate'),

  describe(p) {
    checkScope(p);
    const drivers = p.drivers ?? DEFAULT_DRIVERS;
    return [
      `find the pods in ${scopeText(p, p.cluster)} that mount claims bound to volumes of ${drivers.join(' or ')}`,
      `add those volume names to each pod's ${BACKUP_VOLUMES} annotation (merged with existing), ${p.concurrency ?? DEFAULT_CONCURRENCY} pods at a time`,
    ];
  },

  async check(p, ctx): Promise<Plan> {
    const kube = ctx.kube(p.cluster);
    const namespaces = await resolveNamespaces(kube, p, ctx.signal);
    const drivers = p.drivers ?? DEFAULT_DRIVERS;
    if (!namespaces.length) {
      return { changes: [], outputs: { namespaces: 0, pods: 0, annotated: 0, volumes: 0 }, notes: [`no namespaces found (${scopeText(p, p.cluster)})`] };
    }
    ctx.progress(`reading pods, claims and volumes in ${namespaces.length} namespaces`);
    const pods = await findPodVolumes(kube, namespaces, drivers, ctx.signal);
    const todo = pods.filter((x) => x.add.length > 0);
    const notes = [`${pods.length} pods in ${namespaces.length} namespaces mount volumes of ${drivers.join(', ')}; ${todo.length} need the annotation`];
    return {
      changes: todo.map(podChange),
      outputs: { namespaces: namespaces.length, pods: pods.length, annotated: todo.length, volumes: pods.reduce((n, x) => n + x.volumes.length, 0) },
      notes,
      data: todo,
    };
  },

  async apply(p, ctx, plan) {
    const kube = ctx.kube(p.cluster);
    const todo = plan.data as PodVolumes[];
    // journal what is replaced BEFORE writing: an interrupted run can still be rolled back.
    // Values an earlier attempt of this run recorded are older, so they win.
    const earlier = ctx.recall<Previous>('previous') ?? {};
    const previous: Previous = { ...earlier };
    for (const x of todo) previous[podKey(x)] ??= { before: x.before ?? null, after: x.after };
    ctx.persist('previous', previous);

    let done = 0;
    let retries = 0;
    const results = await mapPool(
      todo,
      p.concurrency ?? DEFAULT_CONCURRENCY,
      async (x) => {
        const written = await writeAnnotation(
          kube,
          { namespace: x.namespace, pod: x.pod, resourceVersion: x.resourceVersion, current: x.before, compute: (cur) => mergeNames(cur, x.volumes).merged },
          ctx.signal,
          () => retries++,
        );
        if (written !== 'unchanged') previous[podKey(x)] = { before: previous[podKey(x)]?.before ?? null, after: written };
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

  async revert(record: Applied, ctx: Context): Promise<Change[]> {
    const p = record.params as AnnotateParams;
    const previous = (record.persisted.previous ?? {}) as Previous;
    const kube = ctx.kube(p.cluster);
    const entries = Object.entries(previous);
    // what each pod holds now decides: put back only what kfup wrote and nobody changed since
    const now = await mapPool(
      entries,
      p.concurrency ?? DEFAULT_CONCURRENCY,
      async ([key]) => {
        const [namespace, pod] = key.split('/');
        const obj = await getOrUndefined(() => kube.core.readNamespacedPod({ name: pod, namespace }), ctx.signal);
        return obj ? { found: true as const, value: obj.metadata?.annotations?.[BACKUP_VOLUMES], rv: obj.metadata?.resourceVersion } : { found: false as const };
      },
      ctx.signal,
    );
    const changes: Change[] = [];
    const writes: { key: string; rv?: string; current?: string; before: string | null }[] = [];
    entries.forEach(([key, v], i) => {
      const r = now[i];
      if (!r.ok) throw r.error;
      if (!r.value.found) return ctx.log(`pod ${key} no longer exists; nothing to restore`);
      const cur = r.value.value ?? null;
      if (cur === v.before) return;
      if (cur !== v.after) return ctx.log(`pod ${key}: ${BACKUP_VOLUMES} was changed after kfup wrote it (now "${cur ?? ''}"); left as it is`);
      changes.push({ action: 'update', target: `pod ${key}`, summary: `restore ${BACKUP_VOLUMES}`, before: annotationView(cur), after: annotationView(v.before) });
      writes.push({ key, rv: r.value.rv, current: r.value.value, before: v.before });
    });
    if (ctx.mode !== 'run' || !writes.length) return changes;
    const results = await mapPool(
      writes,
      p.concurrency ?? DEFAULT_CONCURRENCY,
      (w) => {
        const [namespace, pod] = w.key.split('/');
        const after = previous[w.key].after;
        // a pod changed in between keeps its new value (compute returns it unchanged)
        return writeAnnotation(kube, { namespace, pod, resourceVersion: w.rv, current: w.current, compute: (cur) => ((cur ?? null) === after ? w.before : (cur ?? null)) }, ctx.signal);
      },
      ctx.signal,
    );
    failures(results, writes.map((w) => w.key), 'restore the annotation of');
    return changes;
  },
};

export default annotate;
