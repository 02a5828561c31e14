// A local strategic merge patch, as the API server applies one to the built-in kinds this task
// patches: maps merge, null deletes, lists of known fields merge by their patch merge key, other
// lists are replaced, and the $patch: replace | delete directives are honoured. Check uses it to
// know whether a patch would change anything (kubectl patch would still send it).
import { isJsonObject as isObj, type JsonObject } from '../kit/index.js';

type Json = JsonObject[string];

/** the merge key of a list field; `path` is the list's parent path, e.g. ['spec'] for a Service's ports */
function mergeKey(kind: string, field: string, parent: string[]): string | undefined {
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'env':
    case 'imagePullSecrets':
    case 'volumeClaimTemplates':
      return 'name';
    case 'volumeMounts':
      return 'mountPath';
    case 'volumeDevices':
      return 'devicePath';
    case 'ports':
      return kind === 'Service' && parent.length === 1 && parent[0] === 'spec' ? 'port' : 'containerPort';
    case 'hostAliases':
      return 'ip';
    case 'topologySpreadConstraints':
      return 'topologyKey';
    default:
      return undefined;
  }
}

const strip = (v: Json): Json => {
  if (Array.isArray(v)) return v.map(strip);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('$')).map(([k, x]) => [k, strip(x)]));
  return v;
};

function mergeObject(kind: string, orig: JsonObject, patch: JsonObject, path: string[]): JsonObject | undefined {
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch === 'replace') return strip(patch) as JsonObject;
  const out: JsonObject = { ...orig };
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    const merged = mergeValue(kind, out[k], v, [...path, k]);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

function mergeList(kind: string, orig: Json | undefined, patch: Json[], path: string[]): Json {
  const field = path[path.length - 1];
  const key = mergeKey(kind, field, path.slice(0, -1));
  if (!key || !patch.every(isObj) || patch.some((p) => isObj(p) && p.$patch === 'replace')) return strip(patch.filter((p) => !(isObj(p) && p.$patch === 'replace' && Object.keys(p).length === 1)));
  const out = Array.isArray(orig) ? [...orig] : [];
  for (const p of patch) {
    const i = out.findIndex((o) => isObj(o) && o[key] === p[key]);
    if (p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = mergeObject(kind, out[i] as JsonObject, p, path) as Json;
    else out.push(strip(p));
  }
  return out;
}

function mergeValue(kind: string, orig: Json | undefined, patch: Json, path: string[]): Json | undefined {
  if (Array.isArray(patch)) return mergeList(kind, orig, patch, path);
  if (isObj(patch)) return mergeObject(kind, isObj(orig) ? orig : {}, patch, path);
  return patch;
}

export function strategicMerge(kind: string, target: JsonObject, patch: JsonObject): JsonObject {
  return mergeObject(kind, target, patch, []) ?? {};
}
