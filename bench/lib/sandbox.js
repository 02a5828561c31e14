// The sandbox from the BUILT code, and what the benchmarks need around it: a playbook's targets,
// the environment for spawned processes, notebook pods and their annotation.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { distImport } from './context.js';

export const BACKUP_VOLUMES = 'backup.velero.io/backup-volumes';

export async function startSandbox(opts) {
  const { startSandbox: start } = await distImport('sandbox/index.js');
  return start(opts);
}

export const targetsOf = (sb) => ({
  aws: { region: sb.scenario.region },
  clusters: {
    blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' },
    green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' },
  },
});

/** writes a playbook with the sandbox's targets; returns its path */
export function writePlaybook(dir, file, sb, tasks, extra = {}) {
  const path = join(dir, file);
  writeFileSync(path, stringify({ name: file.replace(/\.yaml$/, ''), targets: targetsOf(sb), ...extra, tasks }));
  return path;
}

/** the notebook pods of the profile namespaces on blue, with the name of their EFS volume */
export function notebookPods(sb) {
  const store = sb.clusters.blue.server.store;
  const pods = [];
  for (const p of sb.scenario.profiles) {
    for (const pod of store.list('v1', 'Pod', p.namespace)) {
      if (!pod.metadata.labels?.['notebook-name']) continue;
      const vol = (pod.spec.volumes ?? []).find((v) => v.persistentVolumeClaim?.claimName?.endsWith('-workspace'));
      pods.push({ namespace: p.namespace, name: pod.metadata.name, volume: vol?.name });
    }
  }
  return pods;
}

/** removes the backup-volumes annotation from every notebook pod (between repetitions) */
export function clearAnnotations(sb) {
  const store = sb.clusters.blue.server.store;
  let n = 0;
  for (const p of sb.scenario.profiles) {
    for (const pod of store.list('v1', 'Pod', p.namespace)) {
      if (!pod.metadata.annotations?.[BACKUP_VOLUMES]) continue;
      const { [BACKUP_VOLUMES]: _, ...rest } = pod.metadata.annotations;
      store.update({ ...pod, metadata: { ...pod.metadata, annotations: rest } });
      n++;
    }
  }
  return n;
}

export const annotatedCount = (sb) => notebookPods(sb).filter((p) => sb.clusters.blue.server.store.get('v1', 'Pod', p.name, p.namespace)?.metadata.annotations?.[BACKUP_VOLUMES]).length;
