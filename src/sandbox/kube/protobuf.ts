// Decoding of the Kubernetes protobuf wire format (Content-Type application/vnd.kubernetes.protobuf),
// which kubectl and client-go's typed clients send for built-in kinds (`kubectl create namespace`,
// `create secret`, `auth can-i`). Described in
// https://kubernetes.io/docs/reference/using-api/api-concepts/#protobuf-encoding and
// apimachinery pkg/runtime/serializer/protobuf: the 4-byte magic "k8s\0", then a runtime.Unknown
// message {typeMeta{apiVersion,kind}, raw, contentEncoding, contentType} whose `raw` is the typed
// message. Both are decoded with protobufjs from the official .proto files vendored under
// ./proto (see its README); the typed message is then turned into the object's JSON form, the
// one the rest of the server stores.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { packagePath } from '../../runner/load/package-root.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** where the vendored .proto tree is: beside this file (tests) or in the package (the bundled CLI) */
function protoDir(): string {
  const here = join(dirname(fileURLToPath(import.meta.url)), 'proto');
  return existsSync(here) ? here : packagePath('src', 'sandbox', 'kube', 'proto');
}

const FILES = [
  'k8s.io/api/core/v1/generated.proto',
  'k8s.io/api/apps/v1/generated.proto',
  'k8s.io/api/authorization/v1/generated.proto',
  'k8s.io/api/networking/v1/generated.proto',
  'k8s.io/api/storage/v1/generated.proto',
];

let root: protobuf.Root | undefined;

/** parsed on the first protobuf request: the core/v1 file alone is 300 kB */
export function protoRoot(): protobuf.Root {
  if (root) return root;
  const dir = protoDir();
  const r = new protobuf.Root();
  // imports are written as Go import paths ("k8s.io/apimachinery/..."), which is the tree's layout
  r.resolvePath = (_origin, target) => join(dir, target);
  r.loadSync(FILES, { keepCase: true });
  r.resolveAll();
  root = r;
  return r;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

/** the protobuf message name of apiVersion+kind: core/v1 Namespace -> k8s.io.api.core.v1.Namespace */
export function messageName(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  // options and other meta kinds travel in every group (DeleteOptions in a DELETE body)
  if (['DeleteOptions', 'CreateOptions', 'PatchOptions', 'UpdateOptions', 'ListOptions', 'Status'].includes(kind)) return `${META}.${kind}`;
  return `k8s.io.api.${group ? group.split('.')[0] : 'core'}.${version}.${kind}`;
}

/**
 * Go structs embedded with `json:",inline"`: protobuf nests them as one field, JSON spreads their
 * fields into the parent (Volume's emptyDir is volumeSource.emptyDir on the wire)
 */
const INLINE = new Map([
  ['volumeSource', 'VolumeSource'],
  ['persistentVolumeSource', 'PersistentVolumeSource'],
  ['localObjectReference', 'LocalObjectReference'],
  ['ephemeralContainerCommon', 'EphemeralContainerCommon'],
  ['ingressRuleValue', 'IngressRuleValue'],
  ['handler', 'ProbeHandler'],
]);

export function isInline(f: protobuf.Field): boolean {
  return f.resolvedType instanceof protobuf.Type && INLINE.get(f.name) === f.resolvedType.name;
}

export class ProtobufError extends Error {}

const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

/** meta.v1.Time is {seconds, nanos}; its JSON form is RFC 3339 to the second */
function rfc3339(seconds: number, micros?: number): string {
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, '');
  return micros === undefined ? `${iso}Z` : `${iso}.${String(micros).padStart(6, '0')}Z`;
}

/** a Go time.Duration (nanoseconds) as Go prints it: 1h2m3s, 1.5s, 0s */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${Number(s.toFixed(9))}s`;
}

const isEmpty = (msg: Record<string, unknown>) => !Object.keys(msg).some((k) => Object.prototype.hasOwnProperty.call(msg, k) && msg[k] !== undefined);

/** the JSON form of the few types whose JSON is not their message shape */
function special(typeName: string, msg: Record<string, unknown>): { value: unknown } | undefined {
  switch (typeName) {
    // Go writes a zero time as an empty message and reads it back as zero, whose JSON is null
    // (apimachinery pkg/apis/meta/v1 time_proto.go)
    case `${META}.Time`:
      return { value: isEmpty(msg) ? null : rfc3339(toNumber(msg.seconds ?? 0)) };
    case `${META}.MicroTime`:
      return { value: isEmpty(msg) ? null : rfc3339(toNumber(msg.seconds ?? 0), Math.floor(toNumber(msg.nanos ?? 0) / 1000)) };
    case `${META}.Duration`:
      return { value: goDuration(toNumber(msg.duration ?? 0)) };
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return { value: msg.string ?? '0' };
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString':
      return { value: toNumber(msg.type ?? 0) === 1 ? (msg.strVal ?? '') : toNumber(msg.intVal ?? 0) };
    case 'k8s.io.apimachinery.pkg.runtime.RawExtension':
      return { value: msg.raw && (msg.raw as Uint8Array).length ? JSON.parse(Buffer.from(msg.raw as Uint8Array).toString('utf8')) : null };
    case `${META}.FieldsV1`:
      return { value: msg.Raw && (msg.Raw as Uint8Array).length ? JSON.parse(Buffer.from(msg.Raw as Uint8Array).toString('utf8')) : {} };
    default:
      return undefined;
  }
}

function scalar(field: protobuf.Field, v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64'); // []byte is base64 in JSON
  if (['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'].includes(field.type)) return toNumber(v);
  return v;
}

function value(field: protobuf.Field, v: unknown): unknown {
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) return toJson(t, v as Record<string, unknown>);
  if (t instanceof protobuf.Enum) return t.valuesById[v as number] ?? v;
  return scalar(field, v);
}

/**
 * A decoded message as its Kubernetes JSON. Go writes every non-pointer field, zero or not;
 * empty strings, lists and maps are dropped here as `omitempty` would drop them, while 0 and
 * false stay (they may be a pointer's explicit value, like `replicas: 0`).
 */
function toJson(type: protobuf.Type, msg: Record<string, unknown>): unknown {
  const fullName = type.fullName.replace(/^\./, '');
  const sp = special(fullName, msg);
  if (sp) return sp.value;
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(msg, field.name)) continue;
    const v = msg[field.name];
    if (v === undefined || v === null) continue;
    if (field.map) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (!entries.length) continue;
      out[field.name] = Object.fromEntries(entries.map(([k, x]) => [k, value(field, x)]));
    } else if (field.repeated) {
      if (!(v as unknown[]).length) continue;
      out[field.name] = (v as unknown[]).map((x) => value(field, x));
    } else if (isInline(field)) {
      Object.assign(out, value(field, v));
    } else {
      if (v === '') continue;
      out[field.name] = value(field, v); // may be null: a zero time
    }
  }
  return out;
}

export function isProtobuf(contentType: string): boolean {
  return /^application\/vnd\.kubernetes\.protobuf\b/i.test(contentType.trim());
}

/** a protobuf request body as the object's JSON form, with apiVersion and kind from the envelope */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ProtobufError('provided object is not a Kubernetes protobuf message (no "k8s\\x00" prefix)');
  const r = protoRoot();
  // runtime.Unknown's fields (generated.proto of apimachinery pkg/runtime)
  type UnknownEnvelope = { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array; contentEncoding?: string };
  let unknown: UnknownEnvelope;
  try {
    // protobufjs decodes to a message object carrying the type's fields; its static type does not list them
    unknown = r.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown').decode(body.subarray(4)) as unknown as UnknownEnvelope;
  } catch (e) {
    throw new ProtobufError(`the protobuf envelope could not be decoded: ${(e as Error).message}`);
  }
  const apiVersion = String(unknown.typeMeta?.apiVersion ?? '');
  const kind = String(unknown.typeMeta?.kind ?? '');
  if (unknown.contentEncoding) throw new ProtobufError(`content encoding ${unknown.contentEncoding} is not supported`);
  let type: protobuf.Type;
  try {
    type = r.lookupType(messageName(apiVersion, kind));
  } catch {
    throw new ProtobufError(`no protobuf definition for ${kind} in version "${apiVersion}"`);
  }
  let msg: Record<string, unknown>;
  try {
    msg = type.decode(unknown.raw ?? new Uint8Array());
  } catch (e) {
    throw new ProtobufError(`${kind} in version "${apiVersion}" could not be decoded: ${(e as Error).message}`);
  }
  const obj = toJson(type, msg) as Record<string, unknown>;
  return { apiVersion, kind, ...obj };
}
