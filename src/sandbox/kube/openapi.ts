// A minimal OpenAPI v3 (/openapi/v3 and /openapi/v3/apis/GROUP/VERSION): one path per resource
// whose PATCH operation names its group/version/kind and takes the `fieldValidation` query
// parameter. That is what kubectl 1.32 looks for to hand validation to the server instead of
// downloading the (protobuf) OpenAPI v2 document; PATCH operations deliberately declare no
// request body, so `kubectl apply` computes strategic merge patches from its own built-in
// types and uses JSON merge patches for custom resources. /openapi/v2 answers a Swagger 2.0
// document of the same shape in JSON (`kubectl get --raw /openapi/v2`): every resource path
// with its GET operation's group/version/kind, and each kind's definition (a custom resource's
// openAPIV3Schema from its CRD, as the apiextensions server publishes it; a built-in kind only
// by name and group/version/kind). Clients that accept only the protobuf form of that document
// are told 406, so they fall back as they do against servers without it.
import { createHash } from 'node:crypto';
import type { KindInfo, KindRegistry } from './kinds.js';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function hashOf(kinds: KindInfo[], version: string): string {
  const h = createHash('sha256');
  for (const k of kinds) h.update(`${k.group}/${version}/${k.plural}/${k.kind}/${k.namespaced};`);
  return h.digest('hex').slice(0, 32).toUpperCase();
}

function groupVersionDoc(kinds: KindInfo[], group: string, version: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const k of kinds) {
    const base = `/${gvPath(group, version)}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}/{name}`;
    paths[base] = {
      patch: {
        operationId: `patch${k.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: k.kind },
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

/** the document at /openapi/<rest...>, or undefined (404) */
export function openApiDocument(kinds: KindRegistry, rest: string[]): unknown {
  if (rest[0] !== 'v3') return undefined;
  const groups = kinds.groups();
  if (rest.length === 1) {
    const paths: Record<string, unknown> = {};
    for (const [group, versions] of groups) {
      for (const v of versions) {
        paths[gvPath(group, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, v)}?hash=${hashOf(kinds.inGroupVersion(group, v), v)}` };
      }
    }
    return { paths };
  }
  const [, first, ...tail] = rest;
  const [group, version] = first === 'api' && tail.length === 1 ? ['', tail[0]] : first === 'apis' && tail.length === 2 ? [tail[0], tail[1]] : [undefined, undefined];
  if (group === undefined || version === undefined) return undefined;
  const list = kinds.inGroupVersion(group, version);
  return list.length ? groupVersionDoc(list, group, version) : undefined;
}

/** GET /openapi/v2 (Swagger 2.0, JSON): paths and definitions of every served kind */
export function openApiV2(kinds: KindRegistry): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const definitions: Record<string, unknown> = {};
  for (const k of kinds.all()) {
    for (const version of k.versions) {
      const gvk = { group: k.group, version, kind: k.kind };
      // definition names as the API server writes them: io.k8s.api.core.v1.Pod, or the reversed group for CRDs
      const prefix = k.builtin ? `io.k8s.api.${k.group ? k.group.replace(/\.k8s\.io$/, '').split('.')[0] : 'core'}.${version}` : k.group.split('.').reverse().join('.') + `.${version}`;
      const def = `${prefix}.${k.kind}`;
      definitions[def] = { ...(k.schemas.get(version) ?? { type: 'object' }), 'x-kubernetes-group-version-kind': [gvk] };
      const base = `/${gvPath(k.group, version)}${k.namespaced ? '/namespaces/{namespace}' : ''}/${k.plural}`;
      const op = (action: string, id: string) => ({
        operationId: `${id}${k.kind}`,
        'x-kubernetes-action': action,
        'x-kubernetes-group-version-kind': gvk,
        responses: { '200': { description: 'OK', schema: { $ref: `#/definitions/${def}` } } },
      });
      paths[base] = { get: op('list', 'list'), ...(k.verbs.includes('create') ? { post: op('post', 'create') } : {}) };
      if (k.verbs.includes('get')) paths[`${base}/{name}`] = { get: op('get', 'read') };
    }
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, definitions };
}
