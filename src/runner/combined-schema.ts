// `kfup schema`: one JSON Schema for editors (yaml-language-server), generated from the envelope
// and every task type's own schema file, never kept by hand.
import { loadSchema, loadTaskSchema } from './package-root.js';
import { CONTROL_KEYS } from './playbook.js';
import { taskTypes } from '../modules/index.js';

export function combinedSchema(): Record<string, unknown> {
  const envelope = structuredClone(loadSchema('playbook.schema.json')) as Record<string, any>;
  const types = taskTypes();
  const defs = envelope.definitions as Record<string, any>;
  for (const t of types) {
    const s = structuredClone(loadTaskSchema(t)) as Record<string, unknown>;
    delete s.$schema;
    defs[`task-${t}`] = s;
  }
  const common = defs.taskCommon.properties as Record<string, unknown>;
  const properties: Record<string, unknown> = { ...common };
  for (const t of types) properties[t] = { $ref: `#/definitions/task-${t}` };
  defs.taskOrBlock = {
    type: 'object',
    description: 'A task: name, exactly one task-type key with its parameters, and optional controls; or a parallel block.',
    required: ['name'],
    properties,
    additionalProperties: false,
    oneOf: [...types.map((t) => ({ required: [t], title: t })), { required: ['parallel'], title: 'parallel block' }],
  };
  envelope.$id = 'https://kfup.dev/schemas/kfup.schema.json';
  envelope.description = `kfup playbook with task types: ${types.join(', ')}. Control keys: ${[...CONTROL_KEYS].join(', ')}.`;
  return envelope;
}
