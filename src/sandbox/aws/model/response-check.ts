// Reads an answer the sandbox sent back into its operation's output shape (official models,
// aws-models/) and lists where it departs from it: wrong types, missing required members,
// values outside an enum, members the model does not have (a real SDK would drop those silently,
// hiding a sandbox mistake). The test helpers run this on every answer; any problem fails the test.
import type { AwsReply } from '../emulator.js';
import { parseXml, type XmlNode } from '../wire.js';
import { fromJson } from './json-shape.js';
import { serviceModel } from './load.js';
import type { Shape } from './types.js';
import { fromXml } from './xml-shape.js';
import { validateShape } from './validate.js';

/** problems of one successful answer, each naming service, operation and member; [] when it fits the model */
export function checkResponse(reply: AwsReply): string[] {
  if (reply.status < 200 || reply.status >= 300) return [];
  const model = serviceModel(reply.service);
  const op = model?.operations[reply.operation];
  if (!model || !op) return [];
  const where = `${reply.service} ${reply.operation}`;
  const output = op.output;
  if (!output) return [];
  const shape = model.shapes[output.shape];
  const unknown: string[] = [];
  let value: Record<string, unknown>;
  let text = true;
  try {
    switch (model.metadata.protocol) {
      case 'query': {
        const root = parseXml(reply.body).children[0];
        if (root?.name !== `${reply.operation}Response`) return [`${where}: the root element is ${root?.name}, not ${reply.operation}Response`];
        const result = root.children.find((c) => c.name === (output.resultWrapper ?? `${reply.operation}Result`));
        for (const c of root.children) if (c !== result && c.name !== 'ResponseMetadata') unknown.push(c.name);
        value = result ? (fromXml(model, shape, result, unknown) as Record<string, unknown>) : {};
        break;
      }
      case 'ec2': {
        const root = parseXml(reply.body).children[0];
        if (root?.name !== `${reply.operation}Response`) return [`${where}: the root element is ${root?.name}, not ${reply.operation}Response`];
        const rest: XmlNode = { ...root, children: root.children.filter((c) => c.name !== 'requestId') };
        value = fromXml(model, shape, rest, unknown) as Record<string, unknown>;
        break;
      }
      case 'json':
        text = false;
        value = fromJson(model, shape, JSON.parse(reply.body || '{}'), unknown, '') as Record<string, unknown>;
        break;
      case 'rest-json':
      case 'rest-xml': {
        const xml = model.metadata.protocol === 'rest-xml';
        text = xml;
        const bodyShape: Shape = { ...shape, members: Object.fromEntries(Object.entries(shape.members ?? {}).filter(([, m]) => !m.location)) };
        const payload = shape.payload ? shape.members![shape.payload] : undefined;
        let body: Record<string, unknown> = {};
        if (payload) {
          const ps = model.shapes[payload.shape];
          if (ps.type === 'structure' && reply.body) {
            body = { [shape.payload!]: xml ? fromXml(model, ps, parseXml(reply.body).children[0], unknown) : fromJson(model, ps, JSON.parse(reply.body), unknown, '') };
          }
        } else if (reply.body) {
          body = (xml ? fromXml(model, bodyShape, parseXml(reply.body).children[0], unknown) : fromJson(model, bodyShape, JSON.parse(reply.body), unknown, '')) as Record<string, unknown>;
        }
        value = { ...body, ...fromHeaders(shape, reply) };
        break;
      }
      default:
        return [];
    }
  } catch (e) {
    return [`${where}: the answer cannot be read (${(e as Error).message})`];
  }
  const headerMembers = new Set(Object.entries(shape.members ?? {}).filter(([, m]) => m.location).map(([k]) => k));
  const violations = validateShape(model, output.shape, value, { text, constraints: false, textMembers: headerMembers });
  return [
    ...violations.map((v) => `${where}: ${v.value === undefined ? 'null' : `'${v.value}'`} at '${v.path}': ${v.constraint}`),
    ...unknown.map((u) => `${where}: '${u}' is not a member of ${output.shape} in the model`),
  ];
}

/** members the model binds to response headers or the status code */
function fromHeaders(shape: Shape, reply: AwsReply): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const headers = Object.fromEntries(Object.entries(reply.headers).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (ref.location === 'header') {
      const h = headers[(ref.locationName ?? name).toLowerCase()];
      if (h !== undefined) out[name] = h;
    } else if (ref.location === 'statusCode') out[name] = String(reply.status);
  }
  return out;
}

/** a checker for the `onResponse` option: collects every problem of every answer */
export function responseChecker(): { onResponse: (reply: AwsReply) => void; problems: string[] } {
  const problems: string[] = [];
  return { problems, onResponse: (reply) => problems.push(...checkResponse(reply)) };
}
