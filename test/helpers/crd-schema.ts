// Validates objects against the REAL CustomResourceDefinitions in ../shared/fixtures/crds
// (Velero, ACK, Kubeflow, KServe). A CRD's openAPIV3Schema is OpenAPI v3 with Kubernetes
// extensions; toJsonSchema() turns it into JSON Schema ajv understands. Unknown fields are
// reported (as kubectl's default strict field validation would), except under
// x-kubernetes-preserve-unknown-fields. Tests using this skip when ../shared is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv) => void;

type Schema = Record<string, unknown>;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared/fixtures/crds beside the repository */
export const REAL_CRD_DIR = resolve(repoRoot, '..', 'shared', 'fixtures', 'crds');
export const realCrdsAvailable = (): boolean => existsSync(REAL_CRD_DIR);

export interface ConvertOptions {
  /** report fields the schema does not declare (default true) */
  rejectUnknownFields?: boolean;
}

/** OpenAPI v3 (structural, with x-kubernetes-* extensions) to JSON Schema for ajv */
export function toJsonSchema(s: unknown, opts: ConvertOptions = {}, root = true): unknown {
  if (Array.isArray(s)) return s.map((x) => toJsonSchema(x, opts, false));
  if (!s || typeof s !== 'object') return s;
  const src = s as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k.startsWith('x-kubernetes-') || k === 'nullable' || k === 'example' || k === 'externalDocs') continue;
    if (k === 'properties' || k === 'patternProperties' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, sub]) => [p, toJsonSchema(sub, opts, false)]));
    } else if (k === 'items' || k === 'additionalProperties' || k === 'not' || k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
      out[k] = typeof v === 'boolean' ? v : toJsonSchema(v, opts, false);
    } else {
      out[k] = v;
    }
  }
  if (src['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    if (!out.anyOf) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (src.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
  }
  const preserve = src['x-kubernetes-preserve-unknown-fields'] === true || src['x-kubernetes-embedded-resource'] === true;
  const combined = 'allOf' in src || 'anyOf' in src || 'oneOf' in src;
  if ((opts.rejectUnknownFields ?? true) && src.properties && !preserve && !combined && src.additionalProperties === undefined) {
    if (root) {
      // apiVersion, kind and metadata are the API server's business, not the schema's
      out.properties = { apiVersion: {}, kind: {}, metadata: {}, ...(out.properties as Schema) };
    }
    out.additionalProperties = false;
  }
  return out;
}

interface RealCrd {
  group: string;
  kind: string;
  schemas: Map<string, Schema>;
}

let crds: RealCrd[] | undefined;
function realCrds(): RealCrd[] {
  if (!crds) {
    crds = readdirSync(REAL_CRD_DIR)
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .map((f) => {
        const doc = parse(readFileSync(join(REAL_CRD_DIR, f), 'utf8')) as {
          spec: { group: string; names: { kind: string }; versions: { name: string; schema?: { openAPIV3Schema: Schema } }[] };
        };
        return {
          group: doc.spec.group,
          kind: doc.spec.names.kind,
          schemas: new Map(doc.spec.versions.filter((v) => v.schema).map((v) => [v.name, v.schema!.openAPIV3Schema])),
        };
      });
  }
  return crds;
}

const split = (apiVersion: string) => {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
};

/** the real CRD's schema for this apiVersion and kind, if ../shared has one */
export function realSchema(apiVersion: string, kind: string): Schema | undefined {
  if (!realCrdsAvailable()) return undefined;
  const { group, version } = split(apiVersion);
  return realCrds().find((c) => c.group === group && c.kind === kind)?.schemas.get(version);
}

export const hasRealCrd = (obj: { apiVersion: string; kind: string }): boolean => realSchema(obj.apiVersion, obj.kind) !== undefined;

let ajv: Ajv | undefined;
const compiled = new Map<Schema, ValidateFunction>();

/** a validator for any OpenAPI v3 CRD schema (ours or a real one) */
export function crdValidator(schema: Schema, opts: ConvertOptions = {}): ValidateFunction {
  const cacheable = opts.rejectUnknownFields === undefined;
  const hit = cacheable ? compiled.get(schema) : undefined;
  if (hit) return hit;
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, logger: false, validateFormats: true });
    addFormats(ajv);
    // Kubernetes' integer formats are ranges ajv-formats knows; quantities are strings
    ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  }
  const fn = ajv.compile(toJsonSchema(schema, opts) as Schema);
  if (cacheable) compiled.set(schema, fn);
  return fn;
}

export function validateWith(schema: Schema, obj: unknown, opts: ConvertOptions = {}): string[] {
  const fn = crdValidator(schema, opts);
  if (fn(obj)) return [];
  return (fn.errors ?? []).map((e) => {
    const where = e.instancePath || '/';
    const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
    return `${where}: ${e.message ?? e.keyword}${extra}`;
  });
}

/**
 * Problems of `obj` against the real CRD of its kind: [] when valid. Throws when ../shared or the
 * kind's CRD is missing (check realCrdsAvailable() / hasRealCrd() first).
 */
export function validateAgainstRealCrd(obj: { apiVersion: string; kind: string; [k: string]: unknown }, opts: ConvertOptions = {}): string[] {
  if (!realCrdsAvailable()) throw new Error(`real CRDs not found at ${REAL_CRD_DIR}`);
  const schema = realSchema(obj.apiVersion, obj.kind);
  if (!schema) throw new Error(`no real CRD for ${obj.kind} in ${obj.apiVersion} under ${REAL_CRD_DIR}`);
  return validateWith(schema, obj, opts);
}
