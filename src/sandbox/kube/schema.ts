// Validation of custom resources against their CRD's structural openAPIV3Schema, as the API
// server does it: defaults are applied, unknown fields are pruned (unless
// x-kubernetes-preserve-unknown-fields), then the object is validated and every problem is
// reported as a field cause ("spec.ttl: Invalid value: ...").

/** the keywords of a structural schema (apiextensions.k8s.io/v1 JSONSchemaProps) this validator reads */
interface Schema {
  type?: string;
  nullable?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: boolean | Schema;
  default?: unknown;
  enum?: unknown[];
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  maxItems?: number;
  minItems?: number;
  required?: string[];
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
}

export interface FieldCause {
  field: string;
  reason: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueNotSupported' | 'FieldValueTooLong' | 'FieldValueTooMany';
  message: string;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** applies defaults and removes fields the schema does not know; mutates `value` */
function prune(value: unknown, schema: Schema | undefined, root: boolean, path: string, removed: string[]): void {
  if (!schema || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    if (schema.items && typeof schema.items === 'object') value.forEach((item, i) => prune(item, schema.items, false, `${path}[${i}]`, removed));
    return;
  }
  const obj = value as Record<string, unknown>;
  const props: Record<string, Schema> | undefined = schema.properties;
  const addl = schema.additionalProperties;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = schema['x-kubernetes-embedded-resource'] === true;
  if (props) {
    for (const [k, s] of Object.entries(props)) {
      if (obj[k] === undefined && s && s.default !== undefined) obj[k] = structuredClone(s.default);
    }
  }
  for (const k of Object.keys(obj)) {
    if ((root || embedded) && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
    const sub = props?.[k];
    if (sub) prune(obj[k], sub, false, join(path, k), removed);
    else if (addl && typeof addl === 'object') prune(obj[k], addl, false, join(path, k), removed);
    else if (!preserve && addl !== true) {
      removed.push(join(path, k));
      delete obj[k];
    }
  }
}

function checkType(value: unknown, schema: Schema, path: string, out: FieldCause[]): boolean {
  const actual = typeOf(value);
  if (value === null) {
    if (schema.nullable === true) return false;
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (actual === 'integer' || actual === 'string') return true;
    out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(actual)}: ${path} in body must be of type integer-or-string: ${show(actual)}` });
    return false;
  }
  const want = schema.type;
  if (!want) return value !== null;
  const ok = want === actual || (want === 'number' && actual === 'integer');
  if (!ok) {
    out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(actual)}: ${path} in body must be of type ${want}: ${show(actual)}` });
  }
  return ok;
}

function validate(value: unknown, schema: Schema | undefined, path: string, out: FieldCause[], root = false): void {
  if (!schema) return;
  if (!root && !checkType(value, schema, path, out)) return;
  if (Array.isArray(schema.enum) && !schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))) {
    out.push({
      field: path,
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${show(value)}: supported values: ${schema.enum.map(show).join(', ')}`,
    });
  }
  if (typeof value === 'string') {
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) {
      out.push({ field: path, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${schema.maxLength} bytes` });
    }
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) {
      out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should be at least ${schema.minLength} chars long` });
    }
    if (typeof schema.pattern === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(schema.pattern, 'u');
      } catch {
        re = undefined; // a pattern JavaScript cannot compile is not held against the object
      }
      if (re && !re.test(value)) {
        out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body should match '${schema.pattern}'` });
      }
    }
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)) {
      out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${path} in body should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${schema.minimum}` });
    }
    if (typeof schema.maximum === 'number' && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)) {
      out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${path} in body should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${schema.maximum}` });
    }
  }
  for (const [kw, mode] of [['allOf', 'all'], ['anyOf', 'any'], ['oneOf', 'one']] as const) {
    const subs: Schema[] | undefined = schema[kw];
    if (!Array.isArray(subs)) continue;
    const results = subs.map((s) => {
      const errs: FieldCause[] = [];
      validate(value, s, path, errs, true);
      // a branch with only a type keyword still has to match the type
      if (s.type && !s['x-kubernetes-int-or-string']) checkType(value, s, path, errs);
      return errs;
    });
    const passed = results.filter((r) => r.length === 0).length;
    if (mode === 'all') for (const r of results) out.push(...r);
    else if (mode === 'any' ? passed === 0 : passed !== 1) {
      out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${path} in body must match ${mode === 'any' ? 'at least one' : 'exactly one'} schema in ${kw}` });
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) {
      out.push({ field: path, reason: 'FieldValueTooMany', message: `Too many: ${value.length}: must have at most ${schema.maxItems} items` });
    }
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      out.push({ field: path, reason: 'FieldValueInvalid', message: `Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items` });
    }
    if (schema.items && typeof schema.items === 'object') value.forEach((item, i) => validate(item, schema.items, `${path}[${i}]`, out));
    return;
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (Array.isArray(schema.required)) {
      for (const k of schema.required) if (obj[k] === undefined) out.push({ field: join(path, k), reason: 'FieldValueRequired', message: 'Required value' });
    }
    const props: Record<string, Schema> | undefined = schema.properties;
    for (const [k, v] of Object.entries(obj)) {
      if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      const sub = props?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (sub) validate(v, sub, join(path, k), out);
    }
  }
}

/**
 * Prunes and defaults `obj` in place against `schema`, then returns the validation problems
 * (empty when valid) and the paths of the fields pruned (for fieldValidation=Strict|Warn).
 */
export function pruneAndValidate(obj: Record<string, unknown>, schema: Schema): FieldCause[] & { pruned: string[] } {
  const pruned: string[] = [];
  prune(obj, schema, true, '', pruned);
  const out: FieldCause[] = [];
  validate(obj, schema, '', out, true);
  return Object.assign(out, { pruned });
}
