// Unknown fields of built-in objects, judged by the official protobuf definitions (./proto):
// every field a built-in kind has is a field of its message, named as in JSON (go-to-protobuf
// takes the names from the Go types' json tags). The API server drops unknown fields of
// built-in kinds while decoding; with ?fieldValidation=Strict (kubectl's default) it refuses
// them, with Warn (the server's default since 1.27) it drops them and says so in a Warning
// header (https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation).
import protobuf from 'protobufjs';
import { isInline, messageName, protoRoot } from './protobuf.js';
import type { KubeObject } from './store-api.js';

/** messages whose JSON is not their message shape: anything goes inside them */
const OPAQUE = new Set([
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'k8s.io.apimachinery.pkg.api.resource.Quantity',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
]);

/** the field `key` of `type`, looking through inline-embedded structs */
function fieldOf(type: protobuf.Type, key: string): protobuf.Field | undefined {
  const direct = type.fields[key];
  if (direct && !isInline(direct)) return direct;
  for (const f of type.fieldsArray) {
    if (!isInline(f)) continue;
    const found = fieldOf(f.resolvedType as protobuf.Type, key);
    if (found) return found;
  }
  return undefined;
}

const typeCache = new Map<string, protobuf.Type | null>();

function typeOf(apiVersion: string, kind: string): protobuf.Type | undefined {
  const name = messageName(apiVersion, kind);
  if (!typeCache.has(name)) {
    let t: protobuf.Type | null;
    try {
      t = protoRoot().lookupType(name);
    } catch {
      t = null; // a kind without vendored definitions (CustomResourceDefinition): not judged here
    }
    typeCache.set(name, t);
  }
  return typeCache.get(name) ?? undefined;
}

/** whether this built-in kind's fields can be judged (its message is vendored) */
export function hasKnownFields(apiVersion: string, kind: string): boolean {
  return typeOf(apiVersion, kind) !== undefined;
}

/** per message type: whether it is opaque, and the lookups already made (fullName is computed on each read) */
const opaqueCache = new WeakMap<protobuf.Type, boolean>();
const fieldCache = new WeakMap<protobuf.Type, Map<string, protobuf.Field | undefined>>();

function isOpaque(type: protobuf.Type): boolean {
  let v = opaqueCache.get(type);
  if (v === undefined) {
    v = OPAQUE.has(type.fullName.replace(/^\./, ''));
    opaqueCache.set(type, v);
  }
  return v;
}

function cachedField(type: protobuf.Type, key: string): protobuf.Field | undefined {
  let m = fieldCache.get(type);
  if (!m) fieldCache.set(type, (m = new Map<string, protobuf.Field | undefined>()));
  if (!m.has(key)) m.set(key, fieldOf(type, key));
  return m.get(key);
}

function walk(value: unknown, type: protobuf.Type, path: string, out: string[], remove: boolean): void {
  if (isOpaque(type)) return;
  if (!value || typeof value !== 'object' || Array.isArray(value)) return;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const field = cachedField(type, key);
    const at = path ? `${path}.${key}` : key;
    if (!field) {
      if (!path && (key === 'apiVersion' || key === 'kind')) continue;
      out.push(at);
      if (remove) delete obj[key];
      continue;
    }
    const sub = field.resolvedType;
    if (!(sub instanceof protobuf.Type)) continue;
    const v = obj[key];
    if (field.map && v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, sub, `${at}.${k}`, out, remove);
    else if (field.repeated && Array.isArray(v)) v.forEach((x, i) => walk(x, sub, `${at}[${i}]`, out, remove));
    else walk(v, sub, at, out, remove);
  }
}

/**
 * The paths of the fields `obj` has that its kind does not (`spec.containers[0].imagePullPolicyy`),
 * removed from `obj` when `remove` is set, as the decoder drops them.
 */
export function unknownFields(obj: KubeObject, remove: boolean): string[] {
  const type = typeOf(obj.apiVersion, obj.kind);
  const out: string[] = [];
  if (type) walk(obj, type, '', out, remove);
  return out;
}

const SCALAR_GO: Record<string, string> = { string: 'string', int32: 'int32', int64: 'int64', bool: 'bool', bytes: '[]uint8', double: 'float64', float: 'float32', uint32: 'uint32', uint64: 'uint64' };

/** a message's Go type as Go prints it: k8s.io.api.core.v1.PodSpec -> v1.PodSpec, ...resource.Quantity -> resource.Quantity */
function goTypeName(field: protobuf.Field): string {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) {
    const pkg = t.fullName.replace(/^\./, '').split('.');
    return `${pkg[pkg.length - 2]}.${t.name}`;
  }
  return SCALAR_GO[field.type] ?? field.type;
}

/**
 * Where a JSON value sits in the Go types, for encoding/json's UnmarshalTypeError text
 * (`Go struct field EnvVar.spec.template.spec.containers.env.value of type string`): the
 * innermost struct, the field path without indexes or map keys, and the Go type of the value.
 */
export function goFieldOf(apiVersion: string, kind: string, segs: string[]): { struct: string; path: string[]; goType: string } | undefined {
  let type = typeOf(apiVersion, kind);
  if (!type) return undefined;
  let struct = type.name;
  const path: string[] = [];
  let goType = '';
  let pending: protobuf.Field | undefined; // a list or map whose element comes next
  for (const seg of segs) {
    if (pending) {
      // an index or a map key: the element's type, the same field name
      const elem = pending.resolvedType;
      goType = goTypeName(pending);
      pending = undefined;
      if (elem instanceof protobuf.Type) type = elem;
      continue;
    }
    if (!type) return undefined;
    const field = cachedField(type, seg);
    if (!field) return undefined;
    struct = type.name;
    path.push(seg);
    const elem = goTypeName(field);
    goType = field.map ? `map[string]${elem}` : field.repeated ? `[]${elem}` : elem;
    if (field.map || field.repeated) pending = field;
    else type = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
  }
  return { struct, path, goType };
}
