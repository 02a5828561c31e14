// The manifests knative-config owns besides config-domain: the serving ingress and the
// AuthorizationPolicies, rendered from templates/knative/, and the config-domain data itself.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { isJsonObject as isObj, jsonEqual, packagePath, renderString, TaskError, type JsonObject } from '../kit/index.js';
import type { KnativeConfigParams } from '../generated/knative-config.js';

/** the ingress parameters, defaults filled in by the schema */
export type IngressParams = NonNullable<KnativeConfigParams['ingress']>;
/** the policy parameters as an object (`true` stands for all defaults) */
export type PolicyParams = Exclude<NonNullable<KnativeConfigParams['authorization_policy']>, boolean>;

/** defaults of a choice between true and an object: the schema cannot fill them in (JSON Schema validators apply no default under oneOf) */
export const POLICY_DEFAULTS = {
  components: ['predictor', 'transformer'],
  paths: ['/metrics', '/healthz', '/ready', '/wait-for-drain', '/v1/models/*', '/v2/models/*'],
};

export const CONDITIONS_PREFIX = 'alb.ingress.kubernetes.io/conditions.';

function renderDocs(template: string, data: object): JsonObject[] {
  const text = String(renderString(readFileSync(packagePath('templates', 'knative', template), 'utf8'), data));
  const docs = parseAllDocuments(text);
  const out: JsonObject[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length) throw new TaskError(`templates/knative/${template} rendered invalid YAML: ${d.errors[0].message}`, { code: 'invalidTemplate' });
    const v = d.toJSON() as unknown;
    if (isObj(v)) out.push(v);
  }
  return out;
}

export function renderIngress(q: IngressParams): JsonObject {
  const conditions = JSON.stringify([{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: q.header_name, Values: q.header_values } }]);
  const actions = JSON.stringify({ Type: 'forward', ForwardConfig: { TargetGroups: [{ ServiceName: q.gateway_service, ServicePort: String(q.gateway_port), Weight: 100 }] } });
  return renderDocs('serving-ingress.yaml.hbs', { ...q, tags: q.tags ?? '', conditions, actions })[0];
}

export function renderPolicies(namespace: string, p: PolicyParams): JsonObject[] {
  return renderDocs('authorization-policy.yaml.hbs', { namespace, components: p.components ?? POLICY_DEFAULTS.components, paths: p.paths ?? POLICY_DEFAULTS.paths });
}

/** every header value in an ingress's http-header conditions (to mark them secret) */
export function headerValues(ingress: unknown): string[] {
  const ann = isObj(ingress) && isObj(ingress.metadata) && isObj(ingress.metadata.annotations) ? ingress.metadata.annotations : {};
  const out: string[] = [];
  for (const [k, v] of Object.entries(ann)) {
    if (!k.startsWith(CONDITIONS_PREFIX) || typeof v !== 'string') continue;
    try {
      const conds = JSON.parse(v) as { HttpHeaderConfig?: { Values?: unknown[] }; httpHeaderConfig?: { values?: unknown[] } }[];
      for (const c of Array.isArray(conds) ? conds : []) {
        for (const x of [...(c.HttpHeaderConfig?.Values ?? []), ...(c.httpHeaderConfig?.values ?? [])]) if (typeof x === 'string') out.push(x);
      }
    } catch {
      // not JSON: nothing we can recognise as a header value
    }
  }
  return out;
}

/** the desired part as a subset check: every field the manifest sets has that value on the object */
export function satisfies(live: unknown, want: unknown): boolean {
  if (isObj(want)) return isObj(live) && Object.entries(want).every(([k, v]) => satisfies(live[k], v));
  return jsonEqual(live, want);
}

/** the config-domain data after the change, and notes on what stays */
export function desiredDomainData(current: Record<string, string>, domain: string, replace: boolean): { data: Record<string, string>; notes: string[] } {
  if (replace) return { data: { [domain]: '' }, notes: [] };
  const data: Record<string, string> = {};
  const notes: string[] = [];
  for (const [k, v] of Object.entries(current)) {
    if (k === '_example' || k === domain) continue;
    data[k] = v;
    if (v.trim() === '') notes.push(`config-domain keeps "${k}", another default domain; set replace: true to drop it`);
  }
  data[domain] = '';
  return { data, notes };
}
