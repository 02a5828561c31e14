// Waits for a Velero Backup or Restore to reach a final phase by watching it (as
// `velero backup create --wait` does), with progress from status.progress.
import { TaskError, watchUntil, type KubeClients } from '../kit/index.js';
import { collectionPath, getVelero, type VeleroObject, type VeleroPlural } from './api.js';
import { isFinal, progressLine } from './phases.js';

export interface WaitOptions {
  kube: KubeClients;
  namespace: string;
  plural: 'backups' | 'restores';
  name: string;
  signal: AbortSignal;
  progress: (message: string) => void;
  /** fail after this long (ms); the task's own timeout also applies through the signal */
  timeoutMs?: number;
}

export async function waitForFinalPhase(o: WaitOptions): Promise<VeleroObject> {
  const kind = o.plural === 'backups' ? 'backup' : 'restore';
  const verb = o.plural === 'backups' ? 'backed up' : 'restored';
  let last = '';
  return watchUntil<VeleroObject, VeleroObject>({
    watch: o.kube.watch,
    path: collectionPath(o.namespace, o.plural),
    name: o.name,
    get: () => getVelero(o.kube, o.namespace, o.plural, o.name, o.signal),
    decide: (obj) => {
      if (!obj) throw new TaskError(`${kind} ${o.namespace}/${o.name} was deleted while kfup waited for it`, { code: 'deleted' });
      const line = progressLine(kind, o.name, obj, verb);
      if (line !== last) o.progress((last = line));
      return isFinal(obj) ? obj : undefined;
    },
    signal: o.signal,
    timeoutMs: o.timeoutMs,
    timeoutMessage: `${kind} ${o.namespace}/${o.name} did not finish within ${Math.round((o.timeoutMs ?? 0) / 1000)} s`,
  });
}

/** waits until an object exists (a Backup synced from the shared bucket) */
export async function waitForExistence(o: Omit<WaitOptions, 'plural'> & { plural: VeleroPlural; timeoutMs: number; what: string }): Promise<VeleroObject> {
  o.progress(`waiting for ${o.what} to appear`);
  return watchUntil<VeleroObject, VeleroObject>({
    watch: o.kube.watch,
    path: collectionPath(o.namespace, o.plural),
    name: o.name,
    get: () => getVelero(o.kube, o.namespace, o.plural, o.name, o.signal),
    decide: (obj) => obj,
    signal: o.signal,
    timeoutMs: o.timeoutMs,
    timeoutMessage: `${o.what} did not appear within ${Math.round(o.timeoutMs / 1000)} s`,
  });
}
