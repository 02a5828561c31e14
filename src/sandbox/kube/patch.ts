// The three patch formats of the Kubernetes API: JSON merge patch (RFC 7386), JSON patch
// (RFC 6902) and strategic merge patch (built-in kinds only: lists of known fields merge by
// their patch merge key, with the $patch / $deleteFromPrimitiveList / $setElementOrder
// directives). Each returns a new document; the input is not modified.
import { StoreError } from './store-api.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const copy = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

const invalid = (msg: string) => new StoreError(422, 'Invalid', msg);
const bad = (msg: string) => new StoreError(400, 'BadRequest', msg);

export function mergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return copy(patch as Json);
  const out: JsonObject = isObject(target) ? copy(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ---------------------------------------------------------------- JSON patch

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(ptr: string): string[] {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw bad(`invalid JSON pointer "${ptr}": it must start with "/"`);
  return ptr
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(arr: Json[], seg: string, forInsert: boolean, ptr: string): number {
  if (seg === '-' && forInsert) return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(seg)) throw invalid(`the server rejected our request due to an error in our request: invalid array index "${seg}" in "${ptr}"`);
  const i = Number(seg);
  if (i > arr.length || (!forInsert && i === arr.length)) throw invalid(`the server rejected our request due to an error in our request: index ${i} out of bounds in "${ptr}"`);
  return i;
}

/** the container of the pointer's last segment */
function parentOf(doc: Json, segs: string[], ptr: string): Json {
  let cur = doc;
  for (const seg of segs.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, seg, false, ptr)];
    else if (isObject(cur) && seg in cur) cur = cur[seg];
    else throw invalid(`the server rejected our request due to an error in our request: doc is missing path: "${ptr}"`);
  }
  return cur;
}

function getAt(doc: Json, ptr: string): Json {
  const segs = parsePointer(ptr);
  if (segs.length === 0) return doc;
  const parent = parentOf(doc, segs, ptr);
  const last = segs[segs.length - 1];
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, false, ptr)];
  if (isObject(parent) && last in parent) return parent[last];
  throw invalid(`the server rejected our request due to an error in our request: doc is missing path: "${ptr}"`);
}

function removeAt(doc: Json, ptr: string): Json {
  const segs = parsePointer(ptr);
  if (segs.length === 0) throw invalid('cannot remove the whole document');
  const parent = parentOf(doc, segs, ptr);
  const last = segs[segs.length - 1];
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, ptr), 1)[0];
  if (isObject(parent) && last in parent) {
    const v = parent[last];
    delete parent[last];
    return v;
  }
  throw invalid(`the server rejected our request due to an error in our request: unable to remove nonexistent key: ${last}: missing value`);
}

function addAt(doc: Json, ptr: string, value: Json, replace: boolean): Json {
  const segs = parsePointer(ptr);
  if (segs.length === 0) return value;
  const parent = parentOf(doc, segs, ptr);
  const last = segs[segs.length - 1];
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, !replace, ptr);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObject(parent)) {
    if (replace && !(last in parent)) {
      throw invalid(`the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: ${ptr}: missing value`);
    }
    parent[last] = value;
  } else throw invalid(`the server rejected our request due to an error in our request: doc is missing path: "${ptr}"`);
  return doc;
}

export function jsonPatch(target: unknown, ops: unknown): Json {
  if (!Array.isArray(ops)) throw bad('a JSON patch must be an array of operations');
  let doc = copy(target as Json);
  for (const raw of ops as Op[]) {
    if (!isObject(raw) || typeof raw.path !== 'string') throw bad(`invalid JSON patch operation ${JSON.stringify(raw)}`);
    switch (raw.op) {
      case 'add':
        if (!('value' in raw)) throw bad(`"add" operation has no value: ${JSON.stringify(raw)}`);
        doc = addAt(doc, raw.path, copy(raw.value as Json), false);
        break;
      case 'replace':
        if (!('value' in raw)) throw bad(`"replace" operation has no value: ${JSON.stringify(raw)}`);
        doc = addAt(doc, raw.path, copy(raw.value as Json), true);
        break;
      case 'remove':
        removeAt(doc, raw.path);
        break;
      case 'test': {
        const actual = getAt(doc, raw.path);
        if (JSON.stringify(canonical(actual)) !== JSON.stringify(canonical(raw.value as Json))) {
          throw invalid(`the server rejected our request due to an error in our request: testing value ${raw.path} failed: test failed`);
        }
        break;
      }
      case 'move': {
        if (typeof raw.from !== 'string') throw bad(`"move" operation has no from: ${JSON.stringify(raw)}`);
        const v = removeAt(doc, raw.from);
        doc = addAt(doc, raw.path, v, false);
        break;
      }
      case 'copy': {
        if (typeof raw.from !== 'string') throw bad(`"copy" operation has no from: ${JSON.stringify(raw)}`);
        doc = addAt(doc, raw.path, copy(getAt(doc, raw.from)), false);
        break;
      }
      default:
        throw bad(`unexpected JSON patch operation "${String(raw.op)}"`);
    }
  }
  return doc;
}

/** key order does not matter to "test" */
function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}

// ---------------------------------------------------------------- strategic merge patch

/**
 * Patch merge keys of the built-in list fields we serve, by field name (and, where one name
 * means two things, by the name of the field holding it). Lists not named here are replaced
 * whole, as atomic lists are in Kubernetes.
 */
function mergeKeyFor(field: string, parentField: string | undefined): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'env':
    case 'imagePullSecrets':
    case 'secrets': // ServiceAccount
    case 'volumeClaimTemplates':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'ports':
      // a Service's ports merge by port, a container's by containerPort
      return parentField === 'spec' ? 'port' : 'containerPort';
    case 'conditions':
      return 'type';
    case 'ownerReferences':
      return 'uid';
    case 'hostAliases':
      return 'ip';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    default:
      return undefined;
  }
}

/** lists of scalars that merge as sets */
const PRIMITIVE_MERGE = new Set(['finalizers']);

function smpObject(original: JsonObject, patch: JsonObject, field: string | undefined): Json | undefined {
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest);
  }
  const out: JsonObject = copy(original);
  const retain = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const name = k.slice('$deleteFromPrimitiveList/'.length);
      const del = new Set((Array.isArray(v) ? v : []).map((x) => JSON.stringify(x)));
      if (Array.isArray(out[name])) out[name] = (out[name]).filter((x) => !del.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const merged = smpValue(out[k], v, k, field);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

function smpList(original: Json | undefined, patch: Json[], field: string, parentField: string | undefined): Json {
  const replaceDirective = patch.find((p) => isObject(p) && p.$patch === 'replace' && Object.keys(p).length === 1);
  if (replaceDirective) return stripDirectives(patch.filter((p) => p !== replaceDirective));
  const orig = Array.isArray(original) ? copy(original) : [];
  if (PRIMITIVE_MERGE.has(field)) {
    const seen = new Set(orig.map((x) => JSON.stringify(x)));
    for (const p of patch) if (!seen.has(JSON.stringify(p))) orig.push(p);
    return orig;
  }
  const key = mergeKeyFor(field, parentField);
  if (!key || !patch.every(isObject)) return stripDirectives(patch);
  for (const p of patch) {
    const idx = orig.findIndex((o) => isObject(o) && o[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) orig.splice(idx, 1);
      continue;
    }
    if (idx >= 0) orig[idx] = smpObject(orig[idx] as JsonObject, p, field) as Json;
    else orig.push(stripDirectives(p));
  }
  return orig;
}

function smpValue(original: Json | undefined, patch: Json, field: string, parentField: string | undefined): Json | undefined {
  if (Array.isArray(patch)) return smpList(original, patch, field, parentField);
  if (isObject(patch)) return smpObject(isObject(original) ? original : {}, patch, field);
  return patch;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
    return out;
  }
  return v;
}

export function strategicMergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) throw bad('a strategic merge patch must be a JSON object');
  return smpObject(isObject(target) ? target : {}, patch, undefined) ?? {};
}
