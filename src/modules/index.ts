// The registry of task types: the YAML key and a lazy loader. Modules are imported only when a
// task of their type runs, so `kfup validate` never loads the AWS SDK or client-node; their
// parameter schemas are read from schemas/tasks/ without importing the module.
import type { TaskModule } from '../runner/types.js';
import { registerSchema } from '../runner/load/package-root.js';

type Loader = () => Promise<{ default: TaskModule }>;

export const registry: Record<string, Loader> = {
  assert: () => import('./assert.js'),
  pause: () => import('./pause.js'),
  'set-vars': () => import('./set-vars.js'),
  template: () => import('./template.js'),
  'k8s-info': () => import('./k8s-info.js'),
  'aws-info': () => import('./aws-info.js'),
  'ack-adopt': () => import('./ack-adopt.js'),
  'alb-cutover': () => import('./alb-cutover.js'),
  'backup-snapshot': () => import('./backup-snapshot.js'),
  'irsa-trust': () => import('./irsa-trust.js'),
  'knative-config': () => import('./knative-config.js'),
  'prometheus-scrape': () => import('./prometheus-scrape.js'),
  'tfvars-from-state': () => import('./tfvars-from-state.js'),
  'terraform-apply': () => import('./terraform-apply.js'),
  'velero-annotate': () => import('./velero-annotate.js'),
  'velero-backup': () => import('./velero-backup.js'),
  'velero-restore': () => import('./velero-restore.js'),
};

export const taskTypes = (): string[] => Object.keys(registry).sort();

/**
 * Adds a task type at run time (a plugin, or a test's probe module), with its parameter schema.
 * Built-in types are listed above and their schemas live in schemas/tasks/.
 */
export function registerTaskType(module: TaskModule, schema = module.schema): void {
  registry[module.name] = async () => ({ default: module });
  registerSchema(module.name, schema);
  loaded.delete(module.name);
}

const loaded = new Map<string, TaskModule>();

export async function loadModule(name: string): Promise<TaskModule> {
  let m = loaded.get(name);
  if (!m) {
    const loader = registry[name];
    if (!loader) throw new Error(`no task type "${name}" in the registry`);
    m = (await loader()).default;
    loaded.set(name, m);
  }
  return m;
}
