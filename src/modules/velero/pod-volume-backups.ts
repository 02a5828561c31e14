// The PodVolumeBackups of a backup (one per file-system-backed-up pod volume), summarised for
// the task's outputs.
import type { KubeClients } from '../kit/index.js';
import { listVelero } from './api.js';

export interface PodVolumeBackupSummary {
  total: number;
  completed: number;
  failed: number;
  volumes: { pod: string; volume: string; phase: string; message?: string }[];
}

export async function podVolumeBackups(kube: KubeClients, namespace: string, backup: string, signal?: AbortSignal): Promise<PodVolumeBackupSummary> {
  const items = await listVelero(kube, namespace, 'podvolumebackups', `velero.io/backup-name=${backup}`, signal);
  const volumes = items
    .map((p) => {
      const spec = (p.spec ?? {}) as { pod?: { namespace?: string; name?: string }; volume?: string };
      const status = (p.status ?? {}) as { phase?: string; message?: string };
      const v: PodVolumeBackupSummary['volumes'][number] = { pod: `${spec.pod?.namespace ?? ''}/${spec.pod?.name ?? ''}`, volume: spec.volume ?? '', phase: status.phase ?? 'New' };
      if (status.message) v.message = status.message;
      return v;
    })
    .sort((a, b) => (a.pod === b.pod ? a.volume.localeCompare(b.volume) : a.pod.localeCompare(b.pod)));
  return {
    total: volumes.length,
    completed: volumes.filter((v) => v.phase === 'Completed').length,
    failed: volumes.filter((v) => v.phase === 'Failed').length,
    volumes,
  };
}
