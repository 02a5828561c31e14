// Writing Velero's volume annotation (backup-volumes or backup-volumes-excludes) of one pod: a merge patch that carries the
// resourceVersion it was computed from, so a pod changed meanwhile answers 409 and the patch is
// recomputed from a fresh read (retried with 429/5xx by the shared helper).
import { kubeRequest, withKubeRetry, type KubeClients } from '../kit/index.js';
import { BACKUP_VOLUMES, type VolumeAnnotation } from './volumes.js';

export interface AnnotationWrite {
  namespace: string;
  pod: string;
  /** the annotation written (default backup.velero.io/backup-volumes) */
  annotation?: VolumeAnnotation;
  /** the resourceVersion the first attempt may assume (from check) */
  resourceVersion?: string;
  /** the value check saw */
  current?: string;
  /**
   * the new value from the current one (undefined/null removes the annotation); returning
   * `current` unchanged writes nothing
   */
  compute: (current: string | undefined) => string | null;
}

/** what a write came to: the value written (null: removed), or nothing written because compute kept the value */
export type AnnotationWritten = { written: true; value: string | null } | { written: false };

/** writes the annotation unless compute keeps it; throws when the pod is gone */
export async function writeAnnotation(kube: KubeClients, w: AnnotationWrite, signal: AbortSignal, onRetry?: () => void): Promise<AnnotationWritten> {
  // the first attempt trusts check's copy of the pod (one request instead of two per pod)
  let first = w.resourceVersion !== undefined;
  const key = w.annotation ?? BACKUP_VOLUMES;
  return withKubeRetry(
    async (): Promise<AnnotationWritten> => {
      let rv = w.resourceVersion;
      let current = w.current;
      if (!first) {
        const pod = await kube.core.readNamespacedPod({ name: w.pod, namespace: w.namespace });
        rv = pod.metadata?.resourceVersion;
        current = pod.metadata?.annotations?.[key];
      }
      first = false;
      const next = w.compute(current);
      if ((next ?? undefined) === current) return { written: false };
      // one small merge patch per pod, thousands per run: the lean request path
      await kubeRequest(kube, 'PATCH', `/api/v1/namespaces/${encodeURIComponent(w.namespace)}/pods/${encodeURIComponent(w.pod)}`, {
        body: { metadata: { resourceVersion: rv, annotations: { [key]: next } } },
        contentType: 'application/merge-patch+json',
        signal,
        ignoreBody: true,
      });
      return { written: true, value: next };
    },
    {
      signal,
      retryConflict: true,
      attempts: 10,
      onRetry: () => {
        // after any failure, read the pod again: check's copy may be what is stale
        first = false;
        onRetry?.();
      },
    },
  );
}
