// The editor's view of a task type's parameters. kfup renders every parameter as a template
// before it checks the parameter against its type's schema, so in the file an editor sees,
// "{{ namespaces }}" is a correct value for a list, a number, an enum or a patterned string.
// Each constrained field becomes "its own schema, or a template string": the first branch keeps
// the type, enum and description an editor completes from; the second accepts any {{...}}.

/** a string holding at least one Handlebars expression */
export const TEMPLATE_STRING = {
  type: 'string',
  pattern: '\\{\\{',
  description: 'A template ({{...}}), rendered before the value is checked against its type.',
} as const;

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** keywords a template string could fail: anything but a plain unconstrained string */
function constrains(n: Node): boolean {
  if ('enum' in n || 'const' in n) return true;
  const t = n.type;
  if (t === undefined) return ['properties', 'items', 'additionalProperties', 'oneOf', 'anyOf', 'allOf', '$ref', 'not', 'required'].some((k) => k in n);
  const types = Array.isArray(t) ? t : [t];
  if (!types.includes('string')) return true;
  return ['pattern', 'format', 'minLength', 'maxLength'].some((k) => k in n);
}

const CHILD_MAPS = ['properties', 'definitions', 'patternProperties'] as const;
const CHILD_LISTS = ['oneOf', 'anyOf', 'allOf'] as const;

/**
 * A copy of a parameter schema in which every field that a template string would fail also
 * accepts one. `top` is the task type's parameter object itself, which stays a mapping.
 */
export function acceptTemplates(node: unknown, top = true): unknown {
  if (!isNode(node)) return node;
  const out: Node = { ...node };
  for (const key of CHILD_MAPS) {
    const m = out[key];
    if (isNode(m)) out[key] = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, acceptTemplates(v, key === 'definitions')]));
  }
  for (const key of CHILD_LISTS) {
    const l = out[key];
    // a branch of oneOf/anyOf/allOf describes the same value: its parent already accepts templates
    if (Array.isArray(l)) out[key] = l.map((b) => acceptTemplates(b, true));
  }
  if (isNode(out.additionalProperties)) out.additionalProperties = acceptTemplates(out.additionalProperties, false);
  if (isNode(out.items)) out.items = acceptTemplates(out.items, false);
  if (top || !constrains(out)) return out;
  const wrapped: Node = { anyOf: [out, TEMPLATE_STRING] };
  if (typeof out.description === 'string') wrapped.description = out.description;
  if ('default' in out) wrapped.default = out.default;
  return wrapped;
}
