// `kfup schema`: one JSON Schema for editors (yaml-language-server), generated from the envelope
// and every task type's own schema file, never kept by hand.
import { loadSchema } from './package-root.js';
import type { TaskRegistry } from '../types.js';
import { CONTROL_KEYS } from './playbook.js';
import { acceptTemplates } from './editor-schema.js';

/** a task schema's own "#/..." references, re-pointed at where it sits in the combined schema */
function rebase(node: unknown, base: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rebase(n, base));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? base + v.slice(1) : rebase(v, base);
    return out;
  }
  return node;
}

export function combinedSchema(registry: TaskRegistry): Record<string, unknown> {
  const envelope = structuredClone(loadSchema('playbook.schema.json')) as Record<string, unknown>;
  const types = registry.names();
  const defs = envelope.definitions as Record<string, Record<string, unknown>>;
  for (const t of types) {
    // parameters are rendered before they are checked: the editor must accept {{...}} where the type would not
    const s = acceptTemplates(rebase(structuredClone(registry.schema(t)), `#/definitions/task-${t}`)) as Record<string, unknown>;
    delete s.$schema;
    defs[`task-${t}`] = s;
  }
  const common = defs.taskCommon.properties as Record<string, unknown>;
  const properties: Record<string, unknown> = { ...common };
  for (const t of types) properties[t] = { $ref: `#/definitions/task-${t}` };
  defs.taskOrBlock = {
    type: 'object',
    description: 'A task: name, exactly one task-type key with its parameters, and optional controls; or a parallel block.',
    properties,
    additionalProperties: false,
    oneOf: [
      ...types.map((t) => ({ required: [t, 'name'], title: t })),
      { required: ['parallel', 'name'], title: 'parallel block' },
      { required: ['block', 'name'], title: 'block' },
      { required: ['import'], title: 'import of a task file' },
    ],
  };
  envelope.$id = 'https://kfup.dev/schemas/kfup.schema.json';
  envelope.description = `kfup playbook with task types: ${types.join(', ')}. Control keys: ${[...CONTROL_KEYS].join(', ')}.`;
  return envelope;
}

/** the editor schema of a task file for `import:` (a YAML list of tasks): kfup.tasks.schema.json */
export function taskFileSchema(registry: TaskRegistry): Record<string, unknown> {
  const playbook = combinedSchema(registry);
  return {
    $schema: playbook.$schema,
    $id: 'https://kfup.dev/schemas/kfup.tasks.schema.json',
    title: 'kfup task file',
    description: 'Tasks for `import:` from a playbook: a list of tasks, each as in a playbook.',
    type: 'array',
    minItems: 1,
    items: { $ref: '#/definitions/taskOrBlock' },
    definitions: playbook.definitions,
  };
}
