// A minimal OpenAPI v3 (/openapi/v3 and /openapi/v3/apis/GROUP/VERSION): one path per resource
// whose PATCH operation names its group/version/kind and takes the `fieldValidation` query
// parameter. That is what kubectl 1.32 looks for to hand validation to the server instead of
// downloading the (protobuf) OpenAPI v2 document; PATCH operations deliberately declare no
// request body, so `kubectl apply` computes strategic merge patches from its own built-in
// types and uses JSON merge patches for custom resources. /openapi/v2 stays 404.
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
export function openApiDocument(kinds: KindRegistry, rest: string[]): unknown | undefined {
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
