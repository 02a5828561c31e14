// The in-memory object store of one sandbox cluster. Objects live in per-kind maps keyed by
// namespace then name, so a list or get costs only the kind (and namespace) asked for.
// Stored objects are never mutated after they are stored (an update stores a new object), so
// the event history and the HTTP layer can hold references to them without copying; callers
// of the public ObjectStore methods always get deep copies.
import { randomUUID } from 'node:crypto';
import { KindRegistry, kindKey, splitApiVersion, joinApiVersion, type KindInfo, type CrdInput } from './kinds.js';
import { unknownFields } from './known-fields.js';
import { checkOfficialSchema } from './official-schemas.js';
import { pruneAndValidate } from './schema.js';
import { parseLabelSelector, type Predicate } from './selectors.js';
import { StoreError, type KubeObject, type ObjectStore, type StoreListener, type WatchEventType } from './store-api.js';

export interface StoreEvent {
  rv: number;
  type: WatchEventType;
  /** `group/kind` */
  key: string;
  /** the stored object: read it, never mutate it */
  object: KubeObject;
  /** for MODIFIED and DELETED: the object before (lets selector watches turn a change into ADDED/DELETED) */
  old?: KubeObject;
}

export interface WriteOptions {
  /** validate and compute the result, store nothing (dryRun=All) */
  dryRun?: boolean;
  /**
   * What to do with fields a custom resource's schema does not know: 'Ignore' (default for the
   * store) prunes them silently, 'Warn' prunes them and reports them in `warnings`, 'Strict'
   * refuses the write with 400, as the API server does for ?fieldValidation=.
   */
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
  /** receives one message per pruned field when fieldValidation is 'Warn' */
  warnings?: string[];
}

export interface MemoryStoreOptions {
  /** how many events are kept for watches that start from an older resourceVersion */
  historySize?: number;
  /** validate built-in kinds against the official schemas (default true; false = lenient) */
  strict?: boolean;
}

const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

/** Kubernetes timestamps have second precision */
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** everything except metadata and status, to decide whether generation moves */
function specOf(o: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = o;
  return JSON.stringify(rest);
}

function withoutVersion(o: KubeObject): string {
  const { resourceVersion: _rv, ...meta } = o.metadata;
  return JSON.stringify({ ...o, metadata: meta });
}

const GENERATE_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export class MemoryStore implements ObjectStore {
  readonly kinds = new KindRegistry();
  /** group/kind -> namespace ('' when cluster-scoped) -> name -> object */
  private data = new Map<string, Map<string, Map<string, KubeObject>>>();
  private rv = 0;
  private history: StoreEvent[] = [];
  /** watches can start from any resourceVersion >= this (older events were dropped) */
  private historyFloor = 0;
  private readonly historySize: number;
  /** each listener with the kinds (`group/Kind`) it wants, or undefined for all */
  private listeners = new Map<StoreListener, Set<string> | undefined>();
  private rawListeners = new Set<(e: StoreEvent) => void>();

  private readonly strict: boolean;

  constructor(opts: MemoryStoreOptions = {}) {
    this.historySize = opts.historySize ?? 10_000;
    this.strict = opts.strict ?? true;
  }

  /** the latest resourceVersion of the whole cluster */
  get resourceVersion(): string {
    return String(this.rv);
  }

  /** the kind of apiVersion+kind, or 404 NotFound as the API server answers an unknown kind */
  kindOf(apiVersion: string, kind: string): KindInfo {
    const info = this.kinds.lookup(apiVersion, kind);
    if (!info) {
      throw new StoreError(404, 'NotFound', `no matches for kind "${kind}" in version "${apiVersion}" (create its CustomResourceDefinition first)`);
    }
    return info;
  }

  private bucket(info: KindInfo, namespace: string, create: boolean): Map<string, KubeObject> | undefined {
    const key = kindKey(info.group, info.kind);
    let byNs = this.data.get(key);
    if (!byNs) {
      if (!create) return undefined;
      byNs = new Map();
      this.data.set(key, byNs);
    }
    let byName = byNs.get(namespace);
    if (!byName && create) {
      byName = new Map();
      byNs.set(namespace, byName);
    }
    return byName;
  }

  private nsKey(info: KindInfo, namespace: string | undefined): string {
    return info.namespaced ? namespace || 'default' : '';
  }

  private emit(type: WatchEventType, info: KindInfo, object: KubeObject, old?: KubeObject): void {
    const ev: StoreEvent = { rv: this.rv, type, key: kindKey(info.group, info.kind), object, ...(old ? { old } : {}) };
    this.history.push(ev);
    if (this.history.length > this.historySize * 2) {
      const drop = this.history.length - this.historySize;
      this.historyFloor = this.history[drop - 1].rv;
      this.history.splice(0, drop);
    }
    for (const l of this.rawListeners) l(ev);
    for (const [l, kinds] of this.listeners) {
      if (kinds && !kinds.has(ev.key)) continue;
      try {
        l(type, clone(object));
      } catch {
        // a listener's failure is its own; the write already happened
      }
    }
  }

  private resourceName(info: KindInfo): string {
    return info.group ? `${info.plural}.${info.group}` : info.plural;
  }

  private notFound(info: KindInfo, name: string): StoreError {
    return new StoreError(404, 'NotFound', `${this.resourceName(info)} "${name}" not found`);
  }

  /**
   * validates a built-in object against its official OpenAPI schema (and an Istio policy against
   * Istio's own), prunes and validates a custom resource against its version's CRD schema
   */
  private admit(info: KindInfo, obj: KubeObject, opts: WriteOptions): void {
    if (this.strict && info.builtin) this.dropUnknownFields(obj, opts);
    if (this.strict) checkOfficialSchema(obj, info.group);
    if (!info.builtin) {
      const { version } = splitApiVersion(obj.apiVersion);
      const schema = info.schemas.get(version);
      if (schema) {
        const causes = pruneAndValidate(obj, schema);
        if (causes.pruned.length && opts.fieldValidation === 'Strict') {
          throw new StoreError(
            400,
            'BadRequest',
            `${info.kind} in version "${version}" cannot be handled as a ${info.kind}: strict decoding error: ${causes.pruned.map((f) => `unknown field "${f}"`).join(', ')}`,
          );
        }
        if (opts.fieldValidation === 'Warn') for (const f of causes.pruned) opts.warnings?.push(`unknown field "${f}"`);
        if (causes.length) {
          const msg = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
          throw new StoreError(422, 'Invalid', `${info.kind}.${info.group} "${obj.metadata.name}" is invalid: ${causes.length > 1 ? `[${msg}]` : msg}`, causes, obj.metadata.name);
        }
      }
    }
  }

  /** what the API server's decoder does with fields a built-in kind does not have (known-fields.ts) */
  private dropUnknownFields(obj: KubeObject, opts: WriteOptions): void {
    const strict = opts.fieldValidation === 'Strict';
    const unknown = unknownFields(obj, !strict);
    if (!unknown.length) return;
    if (strict) {
      const version = splitApiVersion(obj.apiVersion).version;
      throw new StoreError(400, 'BadRequest', `${obj.kind} in version "${version}" cannot be handled as a ${obj.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    if (opts.fieldValidation === 'Warn') for (const f of unknown) opts.warnings?.push(`unknown field "${f}"`);
  }

  private checkCrd(obj: KubeObject, dryRun: boolean): void {
    if (obj.kind !== 'CustomResourceDefinition') return;
    // registering into a scratch registry validates without touching the real one
    const target = dryRun ? new KindRegistry() : this.kinds;
    let info: KindInfo;
    try {
      info = target.registerCrd(obj);
    } catch (e) {
      const message = (e as Error).message;
      throw new StoreError(422, 'Invalid', `CustomResourceDefinition.apiextensions.k8s.io "${obj.metadata.name}" is invalid: ${message}`, [
        { field: message.split(':')[0], message, reason: 'FieldValueInvalid' },
      ]);
    }
    const crd: CrdInput = obj;
    const shortNames = crd.spec?.names?.shortNames;
    const t = now();
    obj.status = {
      acceptedNames: { kind: info.kind, listKind: info.listKind, plural: info.plural, singular: info.singular, ...(shortNames ? { shortNames } : {}) },
      conditions: [
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: t },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: t },
      ],
      storedVersions: [info.versions[0]],
    };
  }

  create(input: KubeObject, opts: WriteOptions = {}): KubeObject {
    if (!input || typeof input !== 'object' || !input.metadata || typeof input.apiVersion !== 'string' || typeof input.kind !== 'string') {
      throw new StoreError(400, 'BadRequest', 'the object needs apiVersion, kind and metadata');
    }
    const info = this.kindOf(input.apiVersion, input.kind);
    const obj = clone(input);
    const meta = obj.metadata;
    const ns = this.nsKey(info, meta.namespace);
    const existing = this.bucket(info, ns, false);
    if (!meta.name && typeof meta.generateName === 'string' && meta.generateName) {
      do {
        let suffix = '';
        for (let i = 0; i < 5; i++) suffix += GENERATE_CHARS[Math.floor(Math.random() * GENERATE_CHARS.length)];
        meta.name = meta.generateName + suffix;
      } while (existing?.has(meta.name));
    }
    if (!meta.name || typeof meta.name !== 'string') {
      throw new StoreError(422, 'Invalid', `${info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`, [
        { field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' },
      ]);
    }
    if (existing?.has(meta.name)) throw new StoreError(409, 'AlreadyExists', `${this.resourceName(info)} "${meta.name}" already exists`);
    if (info.namespaced) meta.namespace = ns;
    else delete meta.namespace;
    this.admit(info, obj, opts);
    this.checkCrd(obj, opts.dryRun === true);
    if (info.group === '' && info.kind === 'Namespace') obj.status = { phase: 'Active', ...(obj.status as object) };
    // the API server's defaulting (kubernetes pkg/apis/core/v1/defaults.go SetDefaults_Secret)
    if (info.group === '' && info.kind === 'Secret' && !obj.type) obj.type = 'Opaque';
    delete meta.deletionTimestamp;
    delete meta.resourceVersion;
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    meta.generation = 1;
    if (opts.dryRun) return obj;
    meta.resourceVersion = String(++this.rv);
    this.bucket(info, ns, true)!.set(meta.name, obj);
    this.emit('ADDED', info, obj);
    return clone(obj);
  }

  /** the stored object itself (do not mutate), for the HTTP layer */
  getRaw(info: KindInfo, name: string, namespace?: string): KubeObject | undefined {
    return this.bucket(info, this.nsKey(info, namespace), false)?.get(name);
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    const info = this.kinds.lookup(apiVersion, kind);
    if (!info) return undefined;
    const obj = this.getRaw(info, name, namespace);
    return obj ? clone(obj) : undefined;
  }

  /**
   * The stored objects of a kind (do not mutate), sorted by namespace then name, for the HTTP
   * layer. `namespace` undefined = all namespaces.
   */
  listRaw(info: KindInfo, namespace: string | undefined, pred?: Predicate): KubeObject[] {
    const byNs = this.data.get(kindKey(info.group, info.kind));
    if (!byNs) return [];
    const out: KubeObject[] = [];
    const buckets =
      info.namespaced && namespace !== undefined
        ? [byNs.get(namespace)]
        : [...byNs.keys()].sort().map((k) => byNs.get(k));
    for (const b of buckets) {
      if (!b) continue;
      const names = [...b.keys()].sort();
      for (const n of names) {
        const o = b.get(n)!;
        if (!pred || pred(o)) out.push(o);
      }
    }
    return out;
  }

  list(apiVersion: string, kind: string, namespace?: string, opts: { labelSelector?: string } = {}): KubeObject[] {
    const info = this.kindOf(apiVersion, kind);
    return this.listRaw(info, namespace, parseLabelSelector(opts.labelSelector)).map(clone);
  }

  update(input: KubeObject, opts: WriteOptions = {}): KubeObject {
    return clone(this.write(input, opts, true));
  }

  /**
   * update() for the HTTP layer, whose input is a fresh object nobody else holds (a decoded body
   * or a patch result): it is stored as it is, and the stored object is returned, to be
   * serialised and never mutated. Saves two deep copies per write.
   */
  updateOwned(input: KubeObject, opts: WriteOptions = {}): KubeObject {
    return this.write(input, opts, false);
  }

  /** the update itself; the input is copied first when the caller keeps it (or, for a custom resource, may share parts of it with the stored object: its schema prunes in place) */
  private write(input: KubeObject, opts: WriteOptions, callerKeepsInput: boolean): KubeObject {
    if (!input || typeof input !== 'object' || !input.metadata?.name) throw new StoreError(400, 'BadRequest', 'the object needs metadata.name');
    const info = this.kindOf(input.apiVersion, input.kind);
    const obj = callerKeepsInput || !info.builtin ? clone(input) : input;
    const ns = this.nsKey(info, obj.metadata.namespace);
    const old = this.bucket(info, ns, false)?.get(obj.metadata.name);
    if (!old) throw this.notFound(info, obj.metadata.name);
    const meta = obj.metadata;
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== old.metadata.resourceVersion) {
      throw new StoreError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${this.resourceName(info)} "${meta.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    if (meta.uid !== undefined && meta.uid !== old.metadata.uid) {
      throw new StoreError(409, 'Conflict', `Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (info.namespaced) meta.namespace = ns;
    else delete meta.namespace;
    this.admit(info, obj, opts);
    this.checkCrd(obj, opts.dryRun === true);
    // fields the server owns
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete meta.deletionTimestamp;
    meta.generation = (old.metadata.generation ?? 1) + (specOf(obj) !== specOf(old) ? 1 : 0);
    meta.resourceVersion = old.metadata.resourceVersion;
    if (withoutVersion(obj) === withoutVersion(old)) return old; // a no-op write keeps its resourceVersion
    if (opts.dryRun) return obj;
    meta.resourceVersion = String(++this.rv);
    if (meta.deletionTimestamp && !(meta.finalizers?.length) && !this.holdsNamespace(info, obj)) {
      this.remove(info, ns, obj, old);
      return obj;
    }
    this.bucket(info, ns, true)!.set(meta.name, obj);
    this.emit('MODIFIED', info, obj, old);
    return obj;
  }

  /** a terminating namespace stays until its contents are gone */
  private holdsNamespace(info: KindInfo, obj: KubeObject): boolean {
    if (info.group !== '' || info.kind !== 'Namespace') return false;
    for (const byNs of this.data.values()) if (byNs.get(obj.metadata.name)?.size) return true;
    return false;
  }

  /** removes a stored object (its final state is `obj`, already carrying its new resourceVersion) */
  private remove(info: KindInfo, ns: string, obj: KubeObject, old?: KubeObject): void {
    this.bucket(info, ns, false)?.delete(obj.metadata.name);
    this.emit('DELETED', info, obj, old);
    if (info.group === 'apiextensions.k8s.io' && info.kind === 'CustomResourceDefinition') this.dropCrd(obj);
    if (info.namespaced) this.maybeFinishNamespace(ns);
  }

  private dropCrd(crd: KubeObject): void {
    const { spec }: CrdInput = crd;
    // String() as kindKey's template would: a CRD without group or kind matches no kind
    const kind = this.kinds.byGroupKind(String(spec?.group), String(spec?.names?.kind));
    if (!kind || kind.builtin) return;
    const byNs = this.data.get(kindKey(kind.group, kind.kind));
    this.data.delete(kindKey(kind.group, kind.kind));
    for (const b of byNs?.values() ?? []) {
      for (const o of b.values()) {
        this.rv++;
        this.emit('DELETED', kind, { ...o, metadata: { ...o.metadata, resourceVersion: String(this.rv) } });
      }
    }
    this.kinds.remove(kind.group, kind.kind);
  }

  private maybeFinishNamespace(ns: string): void {
    const nsInfo = this.kinds.byGroupKind('', 'Namespace')!;
    const nsObj = this.getRaw(nsInfo, ns);
    if (!nsObj?.metadata.deletionTimestamp || nsObj.metadata.finalizers?.length) return;
    if (this.holdsNamespace(nsInfo, nsObj)) return;
    this.rv++;
    this.remove(nsInfo, '', { ...nsObj, metadata: { ...nsObj.metadata, resourceVersion: String(this.rv) } });
  }

  delete(apiVersion: string, kind: string, name: string, namespace?: string, opts: WriteOptions & { preconditions?: { uid?: string; resourceVersion?: string } } = {}): KubeObject | undefined {
    const info = this.kindOf(apiVersion, kind);
    const ns = this.nsKey(info, namespace);
    const old = this.bucket(info, ns, false)?.get(name);
    if (!old) return undefined;
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== old.metadata.uid) {
      throw new StoreError(409, 'Conflict', `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw new StoreError(409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`);
    }
    const isNamespace = info.group === '' && info.kind === 'Namespace';
    if (opts.dryRun) return clone(old);
    if (old.metadata.deletionTimestamp) return clone(old); // already being deleted
    if (isNamespace) this.emptyNamespace(name);
    if (old.metadata.finalizers?.length || (isNamespace && this.holdsNamespace(info, old))) {
      this.rv++;
      const marked: KubeObject = {
        ...old,
        metadata: { ...old.metadata, deletionTimestamp: now(), deletionGracePeriodSeconds: 0, resourceVersion: String(this.rv) },
      };
      if (isNamespace) marked.status = { ...(old.status as object), phase: 'Terminating' };
      this.bucket(info, ns, true)!.set(name, marked);
      this.emit('MODIFIED', info, marked, old);
      return clone(marked);
    }
    this.rv++;
    const gone = { ...old, metadata: { ...old.metadata, resourceVersion: String(this.rv) } };
    this.remove(info, ns, gone, old);
    return clone(gone);
  }

  /** what the namespace controller does: delete everything in the namespace */
  private emptyNamespace(ns: string): void {
    for (const info of this.kinds.all()) {
      if (!info.namespaced) continue;
      const b = this.bucket(info, ns, false);
      if (!b) continue;
      for (const obj of [...b.values()]) this.delete(joinApiVersion(info.group, info.versions[0]), info.kind, obj.metadata.name, ns);
    }
  }

  watch(listener: StoreListener, kinds?: string[]): () => void {
    this.listeners.set(listener, kinds && new Set(kinds));
    return () => this.listeners.delete(listener);
  }

  /** every event with the stored object (not a copy), for HTTP watches; returns unsubscribe */
  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.rawListeners.add(listener);
    return () => this.rawListeners.delete(listener);
  }

  /** events after resourceVersion `rv`, or undefined when they are no longer kept (410 Gone) */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.historyFloor) return undefined;
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  /**
   * The objects of a kind as they were at resourceVersion `rv` (sorted by namespace then name),
   * rebuilt by undoing the later events; undefined when those events are no longer kept. This is
   * what etcd gives a paged list: every page of one list comes from the same revision, until
   * compaction removes it (then 410 Expired).
   */
  listAt(info: KindInfo, rv: number, namespace: string | undefined, pred?: Predicate): KubeObject[] | undefined {
    const later = this.eventsSince(rv);
    if (!later) return undefined;
    const key = kindKey(info.group, info.kind);
    const at = new Map<string, KubeObject>();
    const k = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    for (const o of this.listRaw(info, undefined)) at.set(k(o), o);
    for (let i = later.length - 1; i >= 0; i--) {
      const ev = later[i];
      if (ev.key !== key) continue;
      if (ev.type === 'ADDED') at.delete(k(ev.object));
      else at.set(k(ev.object), ev.old ?? ev.object);
    }
    return [...at.entries()]
      .filter(([, o]) => (!info.namespaced || namespace === undefined || o.metadata.namespace === namespace) && (!pred || pred(o)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
  }

  /** the oldest resourceVersion a watch can still start from */
  get oldestResourceVersion(): number {
    return this.historyFloor;
  }
}

/** registers the kind a CRD object describes without storing the CRD (the store does both on create) */
export function registerCrd(store: MemoryStore, crd: KubeObject): KindInfo {
  return store.kinds.registerCrd(crd);
}
