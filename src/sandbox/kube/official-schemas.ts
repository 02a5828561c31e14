// The oracle for built-in kinds (and Istio's AuthorizationPolicy): the official OpenAPI schemas
// of the Kubernetes API, as the `kubernetes-models` package ships them (generated from the
// kubernetes/kubernetes api/openapi-spec), and Istio's CRD schemas as `@kubernetes-models/istio`
// ships them. Nobody on this project wrote either; the sandbox refuses what they refuse.
//
// How the API server answers (apimachinery pkg/api/errors NewInvalid, StatusReasonInvalid;
// https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#response-status-kind):
// - a built-in object whose JSON does not decode into the Go type (a number where a string
//   goes) is refused while decoding: 400 BadRequest, `ConfigMap in version "v1" cannot be
//   handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of
//   type string` (no causes; the Go struct and type come from the official .proto files);
// - everything else (a missing required field, a value outside an enum, a bad format) is 422
//   Invalid, `Pod "x" is invalid: spec.containers[0].name: Required value`, with one
//   details.causes entry {field, reason, message} per problem (field.ErrorTypeRequired ->
//   FieldValueRequired, ErrorTypeNotSupported -> FieldValueNotSupported, ErrorTypeInvalid ->
//   FieldValueInvalid);
// - a custom resource (AuthorizationPolicy) is validated by its CRD schema, so a type mismatch is
//   a 422 cause `spec.x: Invalid value: "integer": spec.x in body must be of type string`.
import { Namespace, Pod, PersistentVolume, PersistentVolumeClaim, ConfigMap, Service, ServiceAccount, Secret, Node, Event } from 'kubernetes-models/v1';
import { Deployment, StatefulSet, DaemonSet, ReplicaSet } from 'kubernetes-models/apps/v1';
import { CustomResourceDefinition } from 'kubernetes-models/apiextensions.k8s.io/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1';
import { SelfSubjectAccessReview } from 'kubernetes-models/authorization.k8s.io/v1';
import { AuthorizationPolicy as AuthorizationPolicyV1 } from '@kubernetes-models/istio/security.istio.io/v1';
import { AuthorizationPolicy as AuthorizationPolicyV1beta1 } from '@kubernetes-models/istio/security.istio.io/v1beta1';
import { goFieldOf } from './known-fields.js';
import type { FieldCause } from './schema.js';
import { StoreError, type KubeObject } from './store-api.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  /** Ajv's params for the keywords read here (type, required, enum, maxLength/maxItems) */
  params: { type?: string; missingProperty?: string; allowedValues?: unknown[]; limit?: number };
  message?: string;
  parentSchema?: Record<string, unknown>;
}

type ModelClass = new (data: KubeObject) => { validate(): void };

/** apiVersion/kind -> the model whose validate() holds the official schema */
const MODELS = new Map<string, ModelClass>(
  (
    [
      [Namespace, 'v1'],
      [Pod, 'v1'],
      [PersistentVolume, 'v1'],
      [PersistentVolumeClaim, 'v1'],
      [ConfigMap, 'v1'],
      [Service, 'v1'],
      [ServiceAccount, 'v1'],
      [Secret, 'v1'],
      [Node, 'v1'],
      [Event, 'v1'],
      [Deployment, 'apps/v1'],
      [StatefulSet, 'apps/v1'],
      [DaemonSet, 'apps/v1'],
      [ReplicaSet, 'apps/v1'],
      [CustomResourceDefinition, 'apiextensions.k8s.io/v1'],
      [Ingress, 'networking.k8s.io/v1'],
      [StorageClass, 'storage.k8s.io/v1'],
      [SelfSubjectAccessReview, 'authorization.k8s.io/v1'],
      [AuthorizationPolicyV1, 'security.istio.io/v1'],
      [AuthorizationPolicyV1beta1, 'security.istio.io/v1beta1'],
    ] as [ModelClass & { kind: string }, string][]
  ).map(([m, apiVersion]) => [`${apiVersion}/${m.kind}`, m]),
);

/** kinds judged as custom resources (CRD schema messages), not as Go types */
const CUSTOM = new Set(['security.istio.io/v1/AuthorizationPolicy', 'security.istio.io/v1beta1/AuthorizationPolicy']);

export function hasOfficialSchema(apiVersion: string, kind: string): boolean {
  return MODELS.has(`${apiVersion}/${kind}`);
}

/** "/spec/containers/0" -> "spec.containers[0]", reading the object to tell indexes from keys */
function fieldPath(obj: unknown, pointer: string): string {
  let out = '';
  let at: unknown = obj;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
    at = at && typeof at === 'object' ? (at as Record<string, unknown>)[seg] : undefined;
  }
  return out;
}

function valueAt(obj: unknown, pointer: string): unknown {
  let at: unknown = obj;
  for (const raw of pointer.split('/').slice(1)) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[raw.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return at;
}

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // number, string, object
}

/** the Go type a field of this schema decodes into, for encoding/json's message */

/**
 * encoding/json's UnmarshalTypeError text, `json: cannot unmarshal number into Go struct field
 * ConfigMap.data of type string`: the innermost Go struct, the path without indexes, the Go
 * type, all read from the official protobuf definitions (known-fields.ts goFieldOf).
 */
function decodeMessage(obj: KubeObject, e: AjvError): string {
  const segs = e.instancePath.split('/').slice(1).map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
  const at = goFieldOf(obj.apiVersion, obj.kind, segs);
  const jsonType = jsonTypeOf(valueAt(obj, e.instancePath));
  if (!at) return `json: cannot unmarshal ${jsonType} into Go value of type ${e.params.type}`;
  return `json: cannot unmarshal ${jsonType} into Go struct field ${at.struct}.${at.path.join('.')} of type ${at.goType}`;
}

function causeOf(obj: unknown, e: AjvError, custom: boolean): FieldCause {
  const at = fieldPath(obj, e.instancePath);
  const value = valueAt(obj, e.instancePath);
  switch (e.keyword) {
    case 'required': {
      const field = at ? `${at}.${e.params.missingProperty}` : String(e.params.missingProperty);
      return { field, reason: 'FieldValueRequired', message: 'Required value' };
    }
    case 'enum':
      return { field: at, reason: 'FieldValueNotSupported', message: `Unsupported value: ${show(value)}: supported values: ${(e.params.allowedValues as unknown[]).map(show).join(', ')}` };
    case 'type':
      return { field: at, reason: 'FieldValueInvalid', message: `Invalid value: ${show(jsonTypeOf(value))}: ${at} in body must be of type ${e.params.type}: ${show(jsonTypeOf(value))}` };
    case 'maxLength':
      return { field: at, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${e.params.limit} bytes` };
    case 'maxItems':
      return { field: at, reason: 'FieldValueTooMany', message: `Too many: ${(value as unknown[]).length}: must have at most ${e.params.limit} items` };
    default:
      return { field: at, reason: 'FieldValueInvalid', message: `Invalid value: ${show(value)}: ${custom ? `${at} in body ` : ''}${e.message ?? e.keyword}` };
  }
}

/**
 * Throws the API server's answer when `obj` breaks its kind's official schema; does nothing for
 * kinds without one (custom resources, judged by their CRD schema in schema.ts).
 */
export function checkOfficialSchema(obj: KubeObject, group: string): void {
  const Model = MODELS.get(`${obj.apiVersion}/${obj.kind}`);
  if (!Model) return;
  let errors: AjvError[];
  const custom = CUSTOM.has(`${obj.apiVersion}/${obj.kind}`);
  try {
    // kubernetes-models' validate() reads `this` only: called on the object itself, it spares the
    // deep copy the constructor makes. The Istio models (an older base) need an instance.
    if (custom) new Model(obj).validate();
    else (Model.prototype as { validate(): void }).validate.call(obj);
    return;
  } catch (e) {
    errors = ((e as { errors?: AjvError[] }).errors ?? []).filter((x) => x.keyword !== 'oneOf' && x.keyword !== 'anyOf' && x.keyword !== 'if');
    if (!errors.length) errors = [{ instancePath: '', keyword: 'schema', params: {}, message: (e as Error).message }];
  }
  const version = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[1] : obj.apiVersion;
  const typeError = errors.find((e) => e.keyword === 'type');
  if (typeError && !custom) {
    // the Go decoder stops at the first field it cannot decode
    throw new StoreError(400, 'BadRequest', `${obj.kind} in version "${version}" cannot be handled as a ${obj.kind}: ${decodeMessage(obj, typeError)}`);
  }
  const seen = new Set<string>();
  const causes = errors.map((e) => causeOf(obj, e, custom)).filter((c) => !seen.has(`${c.field}|${c.message}`) && seen.add(`${c.field}|${c.message}`));
  const msg = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const what = custom ? `${obj.kind}.${group}` : obj.kind;
  throw new StoreError(422, 'Invalid', `${what} "${obj.metadata?.name ?? ''}" is invalid: ${causes.length > 1 ? `[${msg}]` : msg}`, causes, obj.metadata?.name);
}
