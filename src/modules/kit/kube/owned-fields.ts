// Kubernetes objects as plain JSON, and the part of one a task type owns: its labels, annotations
// and spec. Task types that write objects (knative-config, prometheus-scrape) compare, show and
// restore only that part, so that status and server-set metadata never look like a change.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export const isJsonObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** a plain JSON copy (client-node model instances carry Dates and classes) */
export const plainJson = <T = JsonObject>(v: unknown): T => (v === undefined ? (undefined as T) : (JSON.parse(JSON.stringify(v)) as T));

/** the fields of an object a task owns (what check compares and revert restores) */
export const ownedFields = (o: unknown): JsonObject => {
  if (!isJsonObject(o)) return {};
  const m = isJsonObject(o.metadata) ? o.metadata : {};
  const out: JsonObject = { metadata: { labels: m.labels ?? {}, annotations: m.annotations ?? {} } };
  if (o.spec !== undefined) out.spec = o.spec;
  return out;
};

/** a JSON merge patch (RFC 7386) applied to a plain object, for showing what a patch leads to */
export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (isJsonObject(v) && isJsonObject(out[k])) out[k] = applyMergePatch(out[k], v);
    else out[k] = v;
  }
  return out;
}
