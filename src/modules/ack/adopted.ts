// The AdoptedResource that binds a new Endpoint object to an existing SageMaker endpoint,
// rendered from templates/ack/adopted-endpoint.yaml.hbs (the file users can also apply by hand).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { packagePath, renderString } from '../kit/index.js';
import { ADOPTED, sagemakerName, type EndpointObject } from './endpoints.js';

export interface AdoptedResourceObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    aws: { nameOrID: string; arn?: string };
    kubernetes: { group: string; kind: string; metadata: { name: string; namespace: string; labels?: Record<string, string> } };
  };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

let template: string | undefined;

/** the manifest text for one endpoint (labels carried over; ACK's own annotations are not) */
export function renderAdopted(ep: EndpointObject, arn?: string): string {
  template ??= readFileSync(packagePath('templates', 'ack', 'adopted-endpoint.yaml.hbs'), 'utf8');
  const labels = ep.metadata.labels && Object.keys(ep.metadata.labels).length ? ep.metadata.labels : undefined;
  const data = { name: ep.metadata.name, namespace: ep.metadata.namespace, endpointName: sagemakerName(ep), arn: arn ?? '', labels: labels ?? '' };
  return String(renderString(template, data));
}

export function adoptedObject(manifest: string): AdoptedResourceObject {
  const obj = parse(manifest) as AdoptedResourceObject;
  if (obj.apiVersion !== `${ADOPTED.group}/${ADOPTED.version}` || obj.kind !== ADOPTED.kind) {
    throw new Error(`templates/ack/adopted-endpoint.yaml.hbs must render an ${ADOPTED.kind}, got ${obj.kind}`);
  }
  return obj;
}

/** the ACK.Adopted condition the controller sets once it has tried */
export function adoptedCondition(o: AdoptedResourceObject): { status: string; reason?: string; message?: string } | undefined {
  return o.status?.conditions?.find((c) => c.type === 'ACK.Adopted');
}
