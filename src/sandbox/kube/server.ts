// The Kubernetes API server of one sandbox cluster, over plain HTTP on 127.0.0.1. Every request
// goes through the shared Traffic (fault injection, latency, request log) before it is served.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { Side } from '../scenario.js';
import type { Traffic, TransportFault } from '../traffic.js';
import { AGGREGATED_V2, aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import { hasScale, joinApiVersion, type KindInfo } from './kinds.js';
import { checkOfficialSchema } from './official-schemas.js';
import { openApiDocument, openApiV2 } from './openapi.js';
import { decodeProtobuf, isProtobuf } from './protobuf.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { allOf, fieldSelectorEquals, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { status, statusOf, type Status } from './status.js';
import { MemoryStore, type WriteOptions } from './store.js';
import { StoreError, type KubeObject } from './store-api.js';
import { toTable, wantsTable } from './table.js';
import { serveWatch } from './watch.js';

export interface KubeApiServerOptions {
  name: Side;
  traffic: Traffic;
  store?: MemoryStore;
}

type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

interface ResourceRoute {
  group: string;
  version: string;
  plural: string;
  info?: KindInfo;
  namespace?: string;
  name?: string;
  sub?: string;
}

const WRITE_VERBS = new Set<Verb>(['create', 'update', 'patch', 'delete', 'deletecollection']);

const PATCH_TYPES = 'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml';

class HttpError extends Error {
  constructor(readonly st: Status) {
    super(st.message);
  }
}

const fail = (code: number, message: string, reason?: string, details?: Status['details']) => new HttpError(status(code, message, reason, details));

function segments(pathname: string): string[] {
  return pathname
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(raw: Buffer, contentType: string): unknown {
  if (isProtobuf(contentType)) {
    // typed client-go clients (e.g. `kubectl create namespace`) send built-in kinds as protobuf
    if (raw.length === 0) return undefined;
    try {
      return decodeProtobuf(raw);
    } catch (e) {
      throw fail(400, `the request body could not be decoded: ${(e as Error).message}`, 'BadRequest');
    }
  }
  if (/cbor/i.test(contentType)) {
    throw fail(415, `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`, 'UnsupportedMediaType');
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return /yaml/i.test(contentType) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw fail(400, `the request body could not be decoded: ${(e as Error).message}`);
  }
}

/** continue tokens carry the last key served; they are opaque to clients */
const encodeContinue = (key: string, rv: string) => Buffer.from(JSON.stringify({ k: key, rv })).toString('base64url');
function decodeContinue(token: string): { k: string; rv: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof v === 'object' && v !== null && 'k' in v && 'rv' in v && typeof v.k === 'string' && typeof v.rv === 'string' && /^\d+$/.test(v.rv)) return { k: v.k, rv: v.rv };
  } catch {
    // fall through
  }
  throw fail(400, 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

const objKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class KubeApiServer {
  readonly name: Side;
  readonly store: MemoryStore;
  readonly traffic: Traffic;
  url = '';
  private server?: Server;
  private watches = new Set<() => void>();

  constructor(opts: KubeApiServerOptions) {
    this.name = opts.name;
    this.traffic = opts.traffic;
    this.store = opts.store ?? new MemoryStore();
  }

  async start(): Promise<string> {
    if (this.server) return this.url;
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) this.send(res, statusOf(e).code, statusOf(e));
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const stop of [...this.watches]) stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = (req.method ?? 'GET').toUpperCase();
    const segs = segments(url.pathname);
    const q = url.searchParams;

    // classify the request before anything else, so that faults and the log see its verb
    let route: ResourceRoute | undefined;
    let verb: Verb = 'get';
    let group = '';
    const isApi = segs[0] === 'api' && segs.length >= 3 && segs[1] === 'v1';
    const isApis = segs[0] === 'apis' && segs.length >= 4;
    if (isApi || isApis) {
      group = isApi ? '' : segs[1];
      const version = isApi ? 'v1' : segs[2];
      const rest = segs.slice(isApi ? 2 : 3);
      const nsRoute = rest[0] === 'namespaces' && rest.length >= 3 && this.store.kinds.byResource(group, version, rest[2])?.namespaced;
      route = nsRoute
        ? { group, version, plural: rest[2], namespace: rest[1], name: rest[3], sub: rest[4] }
        : { group, version, plural: rest[0], name: rest[1], sub: rest[2] };
      route.info = this.store.kinds.byResource(group, version, route.plural);
      const watch = q.get('watch') === 'true' || q.get('watch') === '1';
      if (method === 'GET') verb = route.name ? 'get' : watch ? 'watch' : 'list';
      else if (method === 'POST') verb = 'create';
      else if (method === 'PUT') verb = 'update';
      else if (method === 'PATCH') verb = 'patch';
      else if (method === 'DELETE') verb = route.name ? 'delete' : 'deletecollection';
    } else if (segs[0] === 'apis' && segs.length >= 2) {
      group = segs[1];
    }
    const dryRun = q.getAll('dryRun').includes('All');
    const fv = q.get('fieldValidation');
    const warnings: string[] = [];
    // Warn is the API server's default since 1.27 (https://kubernetes.io/docs/reference/using-api/api-concepts/#setting-the-field-validation-level)
    const writeOpts: WriteOptions = { dryRun, fieldValidation: fv === 'Strict' || fv === 'Ignore' ? fv : 'Warn', warnings };
    const mutating = route !== undefined && WRITE_VERBS.has(verb) && !dryRun;
    const service = group || 'core';

    const fault = this.traffic.pickFault(this.name, service, verb, mutating);
    await this.traffic.delay();
    const log = (st: number | undefined) =>
      this.traffic.log.add({ target: this.name, service, operation: verb, method, path: url.pathname, mutating, status: st, ...(fault ? { fault } : {}) });

    if (fault) {
      this.answerFault(req, res, fault, route);
      log(fault === 'drop' ? undefined : res.statusCode);
      return;
    }

    try {
      if (!route) {
        const [code, body, type] = this.discovery(segs, req.headers.accept ?? '', req);
        const text = JSON.stringify(body);
        res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
        log(code);
        return;
      }
      if (verb === 'watch') {
        const info = this.kindOrFail(route);
        if (method === 'GET') {
          const stop = serveWatch(this.store, res, {
            info,
            namespace: info.namespaced ? route.namespace : undefined,
            pred: this.predicate(q),
            resourceVersion: q.get('resourceVersion') ?? undefined,
            timeoutSeconds: q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
            allowBookmarks: q.get('allowWatchBookmarks') === 'true',
            sendInitialEvents: q.get('sendInitialEvents') === 'true',
            present: (o) => this.present(o, route),
            // kubectl get -w: each event carries a one-row Table
            ...(wantsTable(req.headers.accept ?? '')
              ? { render: (o: KubeObject) => toTable(info, route.version, { resourceVersion: o.metadata.resourceVersion }, [o], q.get('includeObject')) }
              : {}),
          });
          this.watches.add(stop);
          res.on('close', () => this.watches.delete(stop));
          log(200);
          return;
        }
      }
      const body = WRITE_VERBS.has(verb) ? parseBody(await readBody(req), req.headers['content-type'] ?? '') : undefined;
      const served = this.serve(route, verb, method, q, body, req.headers['content-type'] ?? '', writeOpts);
      const code = served[0];
      let out = served[1];
      if ((verb === 'get' || verb === 'list') && code === 200 && wantsTable(req.headers.accept ?? '') && route.info) {
        // kubectl get: the columns a real server prints for this kind
        const one = verb === 'get' ? (out as KubeObject) : undefined;
        const listed = out as { metadata: Record<string, unknown>; items: KubeObject[] };
        out = toTable(route.info, route.version, one ? { resourceVersion: one.metadata.resourceVersion } : listed.metadata, one ? [one] : listed.items, q.get('includeObject'));
      }
      // the API server's way of reporting pruned fields under fieldValidation=Warn
      const headers: Record<string, string> = warnings.length ? { Warning: warnings.map((w) => `299 - "${w.replace(/"/g, "'")}"`).join(', ') } : {};
      this.send(res, code, out, headers);
      log(code);
    } catch (e) {
      // as the API server does: NotFound and Conflict name the resource, Invalid the kind
      const kind = e instanceof StoreError && e.reason === 'Invalid' ? route?.info?.kind : route?.plural;
      const st = e instanceof HttpError ? e.st : statusOf(e, route ? { name: route.name, group: route.group, kind } : {});
      if (!res.headersSent) this.send(res, st.code, st);
      log(st.code);
    }
  }

  private answerFault(req: IncomingMessage, res: ServerResponse, fault: TransportFault, route: ResourceRoute | undefined): void {
    switch (fault) {
      case 'drop':
        req.socket.destroy();
        return;
      case 'throttle':
        this.send(res, 429, status(429, 'Too many requests, please try again later.', 'TooManyRequests', { retryAfterSeconds: 1 }), { 'Retry-After': '1' });
        return;
      case 'error500':
        this.send(res, 500, status(500, 'Internal error occurred: injected fault (sandbox)', 'InternalError'));
        return;
      case 'error503':
        this.send(res, 503, status(503, 'the server is currently unable to handle the request', 'ServiceUnavailable'));
        return;
      case 'conflict': {
        const what = route ? `${route.group ? `${route.plural}.${route.group}` : route.plural} "${route.name ?? ''}"` : 'the object';
        this.send(res, 409, status(409, `Operation cannot be fulfilled on ${what}: the object has been modified; please apply your changes to the latest version and try again`, 'Conflict'));
        return;
      }
    }
  }

  private discovery(segs: string[], accept: string, req: IncomingMessage): [number, unknown, string] {
    const kinds = this.store.kinds;
    const json = 'application/json';
    const wantsAggregated = accept.includes('as=APIGroupDiscoveryList') && accept.includes('v=v2;') ;
    const path = segs.join('/');
    if (path === 'version') return [200, versionInfo(), json];
    if (path === 'api') {
      if (wantsAggregated) return [200, aggregatedDiscovery(kinds, true), AGGREGATED_V2];
      return [200, apiVersions(req.headers.host ?? '127.0.0.1'), json];
    }
    if (path === 'apis') {
      if (wantsAggregated) return [200, aggregatedDiscovery(kinds, false), AGGREGATED_V2];
      return [200, apiGroupList(kinds), json];
    }
    if (segs[0] === 'api' && segs.length === 2) {
      const doc = apiResourceList(kinds, '', segs[1]);
      if (doc) return [200, doc, json];
    }
    if (segs[0] === 'apis' && segs.length === 2) {
      const doc = apiGroup(kinds, segs[1]);
      if (doc) return [200, doc, json];
    }
    if (segs[0] === 'apis' && segs.length === 3) {
      const doc = apiResourceList(kinds, segs[1], segs[2]);
      if (doc) return [200, doc, json];
    }
    if (path === 'openapi/v2') {
      // the protobuf form (application/com.github.proto-openapi.spec.v2...) is not served
      if (!/application\/json|\*\/\*/.test(accept)) return [406, status(406, 'only application/json is served for /openapi/v2', 'NotAcceptable'), json];
      return [200, openApiV2(kinds), json];
    }
    if (segs[0] === 'openapi') {
      const doc = openApiDocument(kinds, segs.slice(1));
      if (doc) return [200, doc, json];
    }
    if (path === 'healthz' || path === 'readyz' || path === 'livez') return [200, 'ok', 'text/plain'];
    return [404, status(404, 'the server could not find the requested resource', 'NotFound'), json];
  }

  private kindOrFail(route: ResourceRoute): KindInfo {
    if (!route.info) throw fail(404, 'the server could not find the requested resource', 'NotFound');
    if (route.sub !== undefined && !(route.sub === 'status' && (route.info.statusSubresource || route.info.builtin)) && !(route.sub === 'scale' && hasScale(route.info))) {
      throw fail(404, 'the server could not find the requested resource', 'NotFound');
    }
    return route.info;
  }

  private predicate(q: URLSearchParams) {
    return allOf(parseLabelSelector(q.get('labelSelector') ?? undefined), parseFieldSelector(q.get('fieldSelector') ?? undefined));
  }

  /** the object as the client asked for it: in the requested version */
  private present(o: KubeObject, route: ResourceRoute): KubeObject {
    const apiVersion = joinApiVersion(route.group, route.version);
    return o.apiVersion === apiVersion ? o : { ...o, apiVersion };
  }

  private resourceName(info: KindInfo): string {
    return info.group ? `${info.plural}.${info.group}` : info.plural;
  }

  private getOrFail(info: KindInfo, route: ResourceRoute): KubeObject {
    const o = this.store.getRaw(info, route.name!, route.namespace);
    if (!o) throw fail(404, `${this.resourceName(info)} "${route.name}" not found`, 'NotFound', { name: route.name, group: info.group, kind: info.plural });
    return o;
  }

  private serve(route: ResourceRoute, verb: Verb, method: string, q: URLSearchParams, body: unknown, contentType: string, opts: WriteOptions): [number, unknown] {
    const dryRun = opts.dryRun === true;
    const info = this.kindOrFail(route);
    if (info.namespaced && route.name !== undefined && route.namespace === undefined) {
      throw fail(404, 'the server could not find the requested resource', 'NotFound');
    }
    if (!info.namespaced && route.namespace !== undefined) throw fail(404, 'the server could not find the requested resource', 'NotFound');
    if (verb === 'create' && route.name !== undefined) throw fail(405, `the server does not allow this method on the requested resource`, 'MethodNotAllowed');
    if (!['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) throw fail(405, `the server does not allow this method on the requested resource`, 'MethodNotAllowed');
    if ((verb === 'update' || verb === 'patch') && route.name === undefined) throw fail(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    if (!info.verbs.includes(verb)) throw fail(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    if (info.group === 'authorization.k8s.io' && info.kind === 'SelfSubjectAccessReview') return [201, this.accessReview(info, route, body)];
    if (route.sub === 'scale') return [200, this.scale(info, route, verb, body, contentType, opts)];
    switch (verb) {
      case 'get':
        return [200, this.present(this.getOrFail(info, route), route)];
      case 'list':
        return [200, this.list(info, route, q)];
      case 'create':
        return [201, this.present(this.create(info, route, body, opts), route)];
      case 'update':
        return [200, this.present(this.update(info, route, body, opts), route)];
      case 'patch':
        return this.patch(info, route, body, contentType, opts);
      case 'delete': {
        const opts = (body ?? {}) as { preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: string[] };
        const gone = this.store.delete(joinApiVersion(info.group, info.versions[0]), info.kind, route.name!, route.namespace, {
          dryRun: dryRun || (Array.isArray(opts.dryRun) && opts.dryRun.includes('All')),
          preconditions: opts.preconditions,
        });
        if (!gone) this.getOrFail(info, route);
        return [200, this.present(gone!, route)];
      }
      case 'deletecollection': {
        const items = this.store.listRaw(info, route.namespace, this.predicate(q));
        const out = items.map((o) => this.store.delete(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace, { dryRun }) ?? o);
        return [200, { kind: info.listKind, apiVersion: joinApiVersion(route.group, route.version), metadata: { resourceVersion: this.store.resourceVersion }, items: out.map((o) => this.present(o, route)) }];
      }
      default:
        throw fail(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    }
  }

  /**
   * `kubectl auth can-i`: the sandbox has no RBAC (every client is cluster-admin), so every
   * review is allowed. The review is checked against its official schema as a real one is.
   */
  private accessReview(info: KindInfo, route: ResourceRoute, body: unknown): KubeObject {
    const review = this.checkBody(info, route, body);
    checkOfficialSchema(review, info.group);
    return { ...review, metadata: { ...review.metadata, creationTimestamp: undefined }, status: { allowed: true, reason: 'the sandbox API server has no RBAC: every request is allowed' } };
  }

  /**
   * The /scale subresource (`kubectl scale`): an autoscaling/v1 Scale read from, and written to,
   * the object's spec.replicas (kubernetes pkg/registry/apps/deployment/storage ScaleREST).
   */
  private scale(info: KindInfo, route: ResourceRoute, verb: Verb, body: unknown, contentType: string, opts: WriteOptions): KubeObject {
    const current = this.getOrFail(info, route);
    const scaleOf = (o: KubeObject): KubeObject => {
      const spec = (o.spec ?? {}) as { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
      const { name, namespace, uid, resourceVersion, creationTimestamp } = o.metadata;
      return {
        apiVersion: 'autoscaling/v1',
        kind: 'Scale',
        metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
        spec: { replicas: spec.replicas ?? 1 },
        status: {
          replicas: ((o.status ?? {}) as { replicas?: number }).replicas ?? 0,
          selector: Object.entries(spec.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
        },
      };
    };
    if (verb === 'get') return scaleOf(current);
    if (verb !== 'update' && verb !== 'patch') throw fail(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    let next: unknown;
    if (verb === 'update') next = body;
    else {
      const type = contentType.split(';')[0].trim().toLowerCase();
      if (type === 'application/json-patch+json') next = jsonPatch(scaleOf(current), body);
      else if (type === 'application/strategic-merge-patch+json') next = strategicMergePatch(scaleOf(current), body);
      else if (type === 'application/merge-patch+json' || type === 'application/apply-patch+yaml') next = mergePatch(scaleOf(current), body);
      else throw fail(415, `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES}, application/strategic-merge-patch+json`, 'UnsupportedMediaType');
    }
    // the Scale as the client sent it (or as the patch left it): only these two fields are read
    const sent = (typeof next === 'object' && next !== null ? next : {}) as { spec?: { replicas?: unknown }; metadata?: { resourceVersion?: string } };
    const replicas = sent.spec?.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      const cause = { field: 'spec.replicas', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` };
      throw fail(422, `Scale.autoscaling "${route.name}" is invalid: ${cause.field}: ${cause.message}`, 'Invalid', { name: route.name, group: 'autoscaling', kind: 'Scale', causes: [cause] });
    }
    const rv = verb === 'update' ? sent.metadata?.resourceVersion : undefined;
    const updated = this.store.updateOwned(
      { ...current, metadata: { ...current.metadata, resourceVersion: rv || current.metadata.resourceVersion }, spec: { ...(current.spec as object), replicas } },
      opts,
    );
    return scaleOf(updated);
  }

  private list(info: KindInfo, route: ResourceRoute, q: URLSearchParams): Record<string, unknown> {
    const pred = this.predicate(q);
    const fs = q.get('fieldSelector') ?? undefined;
    const byName = fieldSelectorEquals(fs, 'metadata.name');
    const ns = route.namespace ?? fieldSelectorEquals(fs, 'metadata.namespace');
    let items: KubeObject[];
    if (byName !== undefined && (!info.namespaced || ns !== undefined)) {
      // a lookup, not a scan, for the common "watch/list one object by name"
      const o = this.store.getRaw(info, byName, ns);
      items = o && (!pred || pred(o)) ? [o] : [];
    } else {
      items = this.store.listRaw(info, info.namespaced ? ns : undefined, pred);
    }
    let rv = this.store.resourceVersion;
    const token = q.get('continue');
    if (token) {
      // a later page comes from the first page's revision (etcd's consistent paging), while the
      // store still keeps it; after that, 410 Expired with the apiserver's own message
      // (apiserver pkg/storage/etcd3 store.go, apimachinery errors.NewResourceExpired)
      const { k: after, rv: tokenRv } = decodeContinue(token);
      const snapshot = this.store.listAt(info, Number(tokenRv), info.namespaced ? ns : undefined, pred);
      if (!snapshot) {
        throw fail(
          410,
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
          'Expired',
        );
      }
      rv = tokenRv;
      items = snapshot.filter((o) => objKey(o) > after);
    }
    const limit = Number(q.get('limit') ?? 0);
    const metadata: Record<string, unknown> = { resourceVersion: rv };
    if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
      metadata.continue = encodeContinue(objKey(items[items.length - 1]), rv);
    }
    return { kind: info.listKind, apiVersion: joinApiVersion(route.group, route.version), metadata, items: items.map((o) => this.present(o, route)) };
  }

  private checkBody(info: KindInfo, route: ResourceRoute, body: unknown): KubeObject {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw fail(400, 'the request body must be a JSON object', 'BadRequest');
    const obj = body as KubeObject;
    const apiVersion = joinApiVersion(route.group, route.version);
    obj.apiVersion ??= apiVersion;
    obj.kind ??= info.kind;
    if (obj.kind !== info.kind || obj.apiVersion !== apiVersion) {
      throw fail(400, `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion}) or the kind (${obj.kind}) is not ${info.kind}`, 'BadRequest');
    }
    obj.metadata ??= { name: '' };
    if (typeof obj.metadata !== 'object') throw fail(400, 'metadata must be an object', 'BadRequest');
    if (info.namespaced) {
      if (obj.metadata.namespace && route.namespace && obj.metadata.namespace !== route.namespace) {
        throw fail(400, 'the namespace of the provided object does not match the namespace sent on the request', 'BadRequest');
      }
      obj.metadata.namespace = route.namespace ?? obj.metadata.namespace;
    }
    if (route.name !== undefined && obj.metadata.name !== route.name) {
      throw fail(400, `the name of the object (${obj.metadata.name}) does not match the name on the URL (${route.name})`, 'BadRequest');
    }
    return obj;
  }

  private requireNamespace(info: KindInfo, ns: string | undefined): void {
    if (!info.namespaced) return;
    if (!ns) throw fail(404, 'the server could not find the requested resource', 'NotFound');
    const nsInfo = this.store.kinds.byGroupKind('', 'Namespace')!;
    const nsObj = this.store.getRaw(nsInfo, ns);
    if (!nsObj) throw fail(404, `namespaces "${ns}" not found`, 'NotFound', { name: ns, kind: 'namespaces' });
    if (nsObj.metadata.deletionTimestamp) {
      throw fail(403, `unable to create new content in namespace ${ns} because it is being terminated`, 'Forbidden', { name: ns, kind: 'namespaces' });
    }
  }

  private create(info: KindInfo, route: ResourceRoute, body: unknown, opts: WriteOptions): KubeObject {
    if (route.sub) throw fail(405, 'the server does not allow this method on the requested resource', 'MethodNotAllowed');
    const obj = this.checkBody(info, route, body);
    this.requireNamespace(info, obj.metadata.namespace);
    // with a status subresource, a client cannot set status on create
    if (info.statusSubresource) delete obj.status;
    return this.store.create(obj, opts);
  }

  /** what a write through this endpoint may change: status only, or everything but status */
  private scoped(info: KindInfo, route: ResourceRoute, current: KubeObject, next: KubeObject): KubeObject {
    if (route.sub === 'status') {
      return { ...current, metadata: { ...current.metadata, resourceVersion: next.metadata?.resourceVersion ?? current.metadata.resourceVersion }, status: next.status };
    }
    if (info.statusSubresource) {
      const out = { ...next };
      if (current.status === undefined) delete out.status;
      else out.status = current.status;
      return out;
    }
    return next;
  }

  private update(info: KindInfo, route: ResourceRoute, body: unknown, opts: WriteOptions): KubeObject {
    const obj = this.checkBody(info, route, body);
    const current = this.getOrFail(info, route);
    return this.store.updateOwned(this.scoped(info, route, current, obj), opts);
  }

  private patch(info: KindInfo, route: ResourceRoute, body: unknown, contentType: string, opts: WriteOptions): [number, unknown] {
    const type = contentType.split(';')[0].trim().toLowerCase();
    const current = this.store.getRaw(info, route.name!, route.namespace);
    if (type === 'application/apply-patch+yaml' && !current && !route.sub) {
      // server-side apply of an object that does not exist yet creates it
      return [201, this.present(this.create(info, { ...route, name: undefined }, body, opts), route)];
    }
    if (!current) this.getOrFail(info, route);
    let patched: unknown;
    switch (type) {
      case 'application/merge-patch+json':
      case 'application/apply-patch+yaml':
        patched = mergePatch(current, body);
        break;
      case 'application/json-patch+json':
        patched = jsonPatch(current, body);
        break;
      case 'application/strategic-merge-patch+json':
        if (!info.builtin) throw fail(415, `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES}`, 'UnsupportedMediaType');
        patched = strategicMergePatch(current, body);
        break;
      default:
        throw fail(415, `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES}, application/strategic-merge-patch+json`, 'UnsupportedMediaType');
    }
    if (!patched || typeof patched !== 'object' || Array.isArray(patched)) throw fail(422, 'the patch made the object something other than an object', 'Invalid');
    const next = patched as KubeObject;
    if (next.metadata?.name !== current!.metadata.name || (info.namespaced && next.metadata?.namespace !== current!.metadata.namespace)) {
      throw fail(422, `${info.kind} "${current!.metadata.name}" is invalid: metadata.name: Invalid value: the name and namespace of an object cannot be patched`, 'Invalid');
    }
    if (next.kind !== current!.kind) throw fail(400, 'the kind of an object cannot be patched', 'BadRequest');
    next.apiVersion = current!.apiVersion;
    return [200, this.present(this.store.updateOwned(this.scoped(info, route, current!, next), opts), route)];
  }
}

export { StoreError };
