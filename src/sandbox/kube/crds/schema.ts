// Small builders for the sandbox's own CustomResourceDefinitions. They keep the CRD files short
// and make every schema structural (each node has a type), as the API server requires.
import type { KubeObject } from '../store-api.js';

export type Schema = Record<string, unknown>;

export const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
export const bool = (extra: Schema = {}): Schema => ({ type: 'boolean', ...extra });
export const int = (extra: Schema = {}): Schema => ({ type: 'integer', ...extra });
export const num = (): Schema => ({ type: 'number' });
/** Velero writes these as RFC 3339 strings or null */
export const time = (): Schema => ({ type: 'string', format: 'date-time', nullable: true });
export const strList = (extra: Schema = {}): Schema => ({ type: 'array', items: { type: 'string' }, ...extra });
export const strMap = (): Schema => ({ type: 'object', additionalProperties: { type: 'string' } });
export const list = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });
export const enumOf = (...values: string[]): Schema => ({ type: 'string', enum: values });

/** an object whose listed fields are typed; `open` keeps fields we do not describe */
export function obj(properties: Record<string, Schema>, opts: { required?: string[]; open?: boolean; nullable?: boolean } = {}): Schema {
  const s: Schema = { type: 'object', properties };
  if (opts.required?.length) s.required = opts.required;
  if (opts.open) s['x-kubernetes-preserve-unknown-fields'] = true;
  if (opts.nullable) s.nullable = true;
  return s;
}

/** an object we do not describe at all (pod templates, hooks, selectors) */
export const anyObj = (): Schema => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });

/** Kubernetes conditions as the ACK, Kubeflow and KServe CRDs declare them */
export const conditions = (): Schema =>
  list(
    obj(
      {
        type: str(),
        status: str(),
        reason: str(),
        message: str(),
        lastTransitionTime: str({ format: 'date-time' }),
        lastProbeTime: str({ format: 'date-time' }),
        severity: str(),
      },
      { required: ['type', 'status'] },
    ),
  );

/** the top of every custom resource schema */
export function root(spec: Schema, status?: Schema, required: string[] = []): Schema {
  const properties: Record<string, Schema> = {
    apiVersion: str(),
    kind: str(),
    metadata: { type: 'object' },
    spec,
  };
  if (status) properties.status = status;
  const s: Schema = { type: 'object', properties };
  if (required.length) s.required = required;
  return s;
}

export interface CrdVersion {
  name: string;
  schema: Schema;
  served?: boolean;
  storage?: boolean;
  /** the real CRD declares the status subresource */
  statusSubresource?: boolean;
  printerColumns?: { name: string; type: string; jsonPath: string; description?: string }[];
}

export interface CrdOptions {
  group: string;
  kind: string;
  plural: string;
  singular?: string;
  shortNames?: string[];
  categories?: string[];
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
  labels?: Record<string, string>;
}

export function crd(o: CrdOptions): KubeObject {
  const names: Record<string, unknown> = {
    kind: o.kind,
    listKind: `${o.kind}List`,
    plural: o.plural,
    singular: o.singular ?? o.kind.toLowerCase(),
  };
  if (o.shortNames) names.shortNames = o.shortNames;
  if (o.categories) names.categories = o.categories;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${o.plural}.${o.group}`, labels: { 'app.kubernetes.io/managed-by': 'kfup-sandbox', ...o.labels } },
    spec: {
      group: o.group,
      names,
      scope: o.scope,
      versions: o.versions.map((v) => {
        const out: Record<string, unknown> = {
          name: v.name,
          served: v.served ?? true,
          storage: v.storage ?? false,
          schema: { openAPIV3Schema: v.schema },
        };
        if (v.statusSubresource) out.subresources = { status: {} };
        if (v.printerColumns) out.additionalPrinterColumns = v.printerColumns;
        return out;
      }),
    },
  };
}
