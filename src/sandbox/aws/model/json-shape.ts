// A JSON value read into a model shape's value: wire names (locationName) become member names,
// members bound elsewhere (URI, query string, headers) are not read from the body, and keys the
// model does not know are listed. Values of the wrong JSON type are kept for the validator to refuse.
import type { ServiceModel, Shape } from './types.js';

export function fromJson(model: ServiceModel, shape: Shape, v: unknown, unknown: string[], path = ''): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (shape.type === 'list' && Array.isArray(v)) return v.map((x, i) => fromJson(model, model.shapes[shape.member!.shape], x, unknown, `${path}[${i}]`));
  if (shape.type === 'map' && !Array.isArray(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(model, model.shapes[shape.value!.shape], x, unknown, `${path}.${k}`)]));
  }
  if (shape.type === 'structure' && !Array.isArray(v)) {
    const obj = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const known = new Set<string>();
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      if (ref.location) continue;
      const wire = ref.locationName ?? name;
      known.add(wire);
      if (obj[wire] !== undefined && obj[wire] !== null) out[name] = fromJson(model, model.shapes[ref.shape], obj[wire], unknown, path ? `${path}.${wire}` : wire);
    }
    for (const k of Object.keys(obj)) if (!known.has(k)) unknown.push(path ? `${path}.${k}` : k);
    return out;
  }
  return v;
}
