// The registry of built-in task types: one line each, the YAML key and a lazy loader. A task
// type's code is imported only when a task of its type runs, so `kfup validate` never loads the
// AWS SDK or client-node; its schema (parameters, docs, declared outputs) is read from
// schemas/tasks/ without importing the code. The CLI hands this registry to the runner, which
// knows no task type by name.
import type { JSONSchema, TaskRegistry, TaskType } from '../runner/types.js';
import { loadTaskSchema, registerSchema } from '../runner/load/package-root.js';

// a loader's module is checked when loaded: each task type's own generics differ
type Loader = () => Promise<{ default: unknown }>;

const builtins: Record<string, Loader> = {
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
  'irsa-trust-repair': () => import('./irsa-trust-repair.js'),
  'knative-config': () => import('./knative-config.js'),
  'prometheus-scrape': () => import('./prometheus-scrape.js'),
  'tfvars-from-state': () => import('./tfvars-from-state.js'),
  'terraform-apply': () => import('./terraform-apply.js'),
  'velero-annotate': () => import('./velero-annotate.js'),
  'velero-backup': () => import('./velero-backup.js'),
  'velero-restore': () => import('./velero-restore.js'),
};

function asTaskType(name: string, m: unknown): TaskType {
  const t = m as Partial<TaskType> | undefined;
  if (!t || t.name !== name || typeof t.check !== 'function' || typeof t.apply !== 'function' || typeof t.describe !== 'function') {
    throw new Error(`internal error: the module registered as "${name}" does not export a task type made with defineTask`);
  }
  return t as TaskType;
}

/** a task type as defineTask makes it, whatever its own parameter and output types */
export type AnyTask = Pick<TaskType, 'name' | 'schema'>;

/** a registry of lazily loaded task types; `extra` adds task types defined elsewhere (plugins, tests' probe types) */
export function createRegistry(loaders: Record<string, Loader>, extra: AnyTask[] = []): TaskRegistry {
  const all = new Map<string, Loader>(Object.entries(loaders));
  const own = new Map<string, JSONSchema>();
  for (const t of extra) {
    all.set(t.name, () => Promise.resolve({ default: t }));
    own.set(t.name, t.schema);
    // the playbook validator finds a task type's schema by name
    registerSchema(t.name, t.schema);
  }
  const loaded = new Map<string, TaskType>();
  return {
    names: () => [...all.keys()].sort(),
    schema: (name) => own.get(name) ?? loadTaskSchema(name),
    async load(name) {
      let t = loaded.get(name);
      if (!t) {
        const loader = all.get(name);
        if (!loader) throw new Error(`internal error: no task type "${name}" in the registry`);
        t = asTaskType(name, (await loader()).default);
        loaded.set(name, t);
      }
      return t;
    },
  };
}

/** the built-in task types */
export const builtinTasks: TaskRegistry = createRegistry(builtins);

/** the built-in task types and some more (a plugin's, or a test's probe type) */
export const withTasks = (...extra: AnyTask[]): TaskRegistry => createRegistry(builtins, extra);
