// Helpers the emulated controllers share: read-modify-write with conflict retry, Kubernetes
// time stamps, and generated name suffixes.
import { StoreError, type KubeObject, type ObjectStore } from '../store-api.js';

/** RFC 3339 without fractions, as Kubernetes and Velero write time stamps */
export const rfc3339 = (d: Date = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** a 5-character suffix like the API server's generateName */
export function nameSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return s;
}

export const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');

/**
 * Re-read the object and apply `change` until the update goes through (other writers may bump
 * the resourceVersion in between). Returns undefined when the object is gone or `change`
 * returns false.
 */
export function modify(
  store: ObjectStore,
  ref: { apiVersion: string; kind: string; name: string; namespace?: string },
  change: (obj: KubeObject) => boolean | void,
): KubeObject | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = store.get(ref.apiVersion, ref.kind, ref.name, ref.namespace);
    if (!current) return undefined;
    const copy = structuredClone(current);
    if (change(copy) === false) return undefined;
    try {
      return store.update(copy);
    } catch (e) {
      if (e instanceof StoreError && e.code === 409) continue;
      if (e instanceof StoreError && e.code === 404) return undefined;
      throw e;
    }
  }
  throw new Error(`could not update ${ref.kind} ${ref.namespace ? ref.namespace + '/' : ''}${ref.name}: kept conflicting`);
}

export const refOf = (o: KubeObject) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace });

/** create, or return undefined when it already exists */
export function createIfAbsent(store: ObjectStore, obj: KubeObject): KubeObject | undefined {
  try {
    return store.create(obj);
  } catch (e) {
    if (e instanceof StoreError && e.code === 409) return undefined;
    throw e;
  }
}

/** Go duration ("720h0m0s", "24h", "90m") in milliseconds; undefined when it does not parse */
export function parseDuration(s: string): number | undefined {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * units[m[2]];
    consumed += m[0].length;
  }
  return consumed === s.length && s.length > 0 ? total : undefined;
}

/** a small timer set that can be cancelled all at once on stop() */
export class Timers {
  private handles = new Set<ReturnType<typeof setTimeout>>();
  stopped = false;

  after(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const h = setTimeout(() => {
      this.handles.delete(h);
      if (!this.stopped) fn();
    }, ms);
    this.handles.add(h);
  }

  every(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const h = setInterval(() => {
      if (!this.stopped) fn();
    }, ms);
    this.handles.add(h);
  }

  stop(): void {
    this.stopped = true;
    for (const h of this.handles) clearTimeout(h);
    this.handles.clear();
  }
}
