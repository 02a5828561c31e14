// Reads a request as it arrived on the wire into its operation's input structure, directed by the
// model, the way each protocol serialises it (botocore's serializers are the reference):
//  - query (IAM, STS, ELBv2, RDS): `Name`, `List.member.N`, `Map.entry.N.key`, member names from locationName;
//  - ec2: `Name.N` for every list, keys from queryName or the capitalised locationName;
//  - json: the body's JSON, member names from locationName;
//  - rest-json / rest-xml: members bound to the URI, query string and headers by their `location`,
//    the rest from the JSON body or the XML root element.
// Scalars read from text stay text: the validator knows which protocols send text.
import { safeDecode, type AwsRequest } from '../service.js';
import { parseXml, type XmlNode } from '../wire.js';
import { fromJson } from './json-shape.js';
import type { MemberRef, Operation, ServiceModel, Shape } from './types.js';
import { fromXml } from './xml-shape.js';

export interface DecodedInput {
  value: Record<string, unknown>;
  /** parameters the model does not know (query and EC2 protocols) */
  unknown: string[];
  /** the body's scalars are JSON values (json and rest-json bodies) */
  jsonBody: boolean;
}

/** the request decoded, or undefined when it cannot be read (the handler answers that as it does today) */
export function decodeRequest(model: ServiceModel, op: Operation, req: AwsRequest): DecodedInput | undefined {
  const shape = op.input ? model.shapes[op.input.shape] : undefined;
  if (!shape) return { value: {}, unknown: [], jsonBody: false };
  switch (model.metadata.protocol) {
    case 'query':
    case 'ec2':
      return decodeQuery(model, shape, queryParams(req), model.metadata.protocol === 'ec2');
    case 'json': {
      const body = parseJson(req.body);
      if (body === undefined) return undefined;
      return { value: fromJson(model, shape, body, []) as Record<string, unknown>, unknown: [], jsonBody: true };
    }
    case 'rest-json':
    case 'rest-xml':
      return decodeRest(model, op, shape, req);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// query and ec2

function queryParams(req: AwsRequest): URLSearchParams {
  const params = new URLSearchParams(req.query);
  if (req.body) for (const [k, v] of new URLSearchParams(req.body)) params.append(k, v);
  params.delete('Action');
  params.delete('Version');
  return params;
}

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

function decodeQuery(model: ServiceModel, shape: Shape, params: URLSearchParams, ec2: boolean): DecodedInput {
  const keys = [...params.keys()];
  const used = new Set<string>();
  const indices = (base: string): number[] => {
    const found = new Set<number>();
    for (const k of keys) {
      if (!k.startsWith(`${base}.`)) continue;
      const n = k.slice(base.length + 1).split('.')[0];
      if (/^\d+$/.test(n)) found.add(Number(n));
    }
    return [...found].sort((a, b) => a - b);
  };
  const value = (key: string, ref: MemberRef): unknown => {
    const s = model.shapes[ref.shape];
    if (s.type === 'structure') return keys.some((k) => k.startsWith(`${key}.`)) ? struct(key, s) : undefined;
    if (s.type === 'list') {
      // an empty list travels as the bare key ("Actions=")
      if (params.get(key) === '' && !keys.some((k) => k.startsWith(`${key}.`))) {
        used.add(key);
        return [];
      }
      const base = ec2 || ref.flattened || s.flattened ? key : `${key}.${s.member!.locationName ?? 'member'}`;
      const ns = indices(base);
      return ns.length ? ns.map((n) => value(`${base}.${n}`, s.member!)) : undefined;
    }
    if (s.type === 'map') {
      const base = s.flattened ? key : `${key}.entry`;
      const ns = indices(base);
      if (!ns.length) return undefined;
      const out: Record<string, unknown> = {};
      for (const n of ns) {
        const k = value(`${base}.${n}.${s.key!.locationName ?? 'key'}`, s.key!);
        out[String(k)] = value(`${base}.${n}.${s.value!.locationName ?? 'value'}`, s.value!);
      }
      return out;
    }
    if (!params.has(key)) return undefined;
    used.add(key);
    return params.get(key);
  };
  const struct = (prefix: string, s: Shape): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(s.members ?? {})) {
      const wire = ec2 ? (ref.queryName ?? (ref.locationName ? cap(ref.locationName) : name)) : (ref.locationName ?? name);
      const v = value(prefix ? `${prefix}.${wire}` : wire, ref);
      if (v !== undefined) out[name] = v;
    }
    return out;
  };
  const decoded = struct('', shape);
  return { value: decoded, unknown: keys.filter((k) => !used.has(k)), jsonBody: false };
}

// ---------------------------------------------------------------------------------------------
// json

function parseJson(body: string): unknown {
  if (!body) return {};
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// rest-json and rest-xml

function uriLabels(template: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const source = template
    .split('?')[0]
    .replace(/\/$/, '')
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const m = /^\{([^}+]+)(\+?)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]);
      return m[2] ? '(.+)' : '([^/]+)';
    })
    .join('');
  const m = new RegExp(`^${source}/?$`).exec(path);
  if (!m) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, safeDecode(m[i + 1])]));
}

function decodeRest(model: ServiceModel, op: Operation, shape: Shape, req: AwsRequest): DecodedInput | undefined {
  const labels = uriLabels(op.http.requestUri, req.path);
  if (!labels) return undefined;
  const xml = model.metadata.protocol === 'rest-xml';
  const out: Record<string, unknown> = {};
  const bound = new Set<string>();
  let queryMap: string | undefined;
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const wire = ref.locationName ?? name;
    const s = model.shapes[ref.shape];
    if (ref.location === 'uri') {
      if (labels[wire] !== undefined) out[name] = labels[wire];
    } else if (ref.location === 'querystring') {
      if (s.type === 'list') {
        const all = req.query.getAll(wire);
        if (all.length) out[name] = all;
      } else if (s.type === 'map') queryMap = name;
      else if (req.query.has(wire)) out[name] = req.query.get(wire);
      bound.add(wire);
    } else if (ref.location === 'header') {
      const h = req.headers[wire.toLowerCase()];
      if (h !== undefined) out[name] = Array.isArray(h) ? h.join(',') : h;
    } else if (ref.location === 'headers') {
      const prefix = wire.toLowerCase();
      const m = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), String(v)]));
      if (Object.keys(m).length) out[name] = m;
    }
  }
  if (queryMap) {
    // a map bound to the query string takes every parameter no other member names
    const m = Object.fromEntries([...new Set(req.query.keys())].filter((k) => !bound.has(k)).map((k) => [k, req.query.get(k)]));
    if (Object.keys(m).length) out[queryMap] = m;
  }
  // the body: one payload member, or every member not bound elsewhere
  const payload = shape.payload;
  let jsonBody = false;
  if (payload) {
    const ref = shape.members![payload];
    const s = model.shapes[ref.shape];
    if (s.type === 'structure') {
      const body = readBody(req.body, xml);
      if (body === null) return undefined;
      if (body !== undefined) {
        out[payload] = xml ? fromXml(model, s, body as XmlNode, []) : fromJson(model, s, body, []);
        jsonBody = !xml;
      }
    } else if (req.body) out[payload] = req.body;
  } else if (Object.values(shape.members ?? {}).some((m) => !m.location)) {
    const body = readBody(req.body, xml);
    if (body === null) return undefined;
    if (body !== undefined) {
      const bodyShape: Shape = { ...shape, members: Object.fromEntries(Object.entries(shape.members ?? {}).filter(([, m]) => !m.location)) };
      Object.assign(out, xml ? fromXml(model, bodyShape, body as XmlNode, []) : fromJson(model, bodyShape, body, []));
      jsonBody = !xml;
    }
  }
  return { value: out, unknown: [], jsonBody };
}

/** the body's JSON value or XML root element; undefined when empty, null when unreadable */
function readBody(body: string, xml: boolean): unknown {
  if (!body.trim()) return undefined;
  if (!xml) return parseJson(body) ?? null;
  try {
    return parseXml(body).children[0] ?? null;
  } catch {
    return null;
  }
}
