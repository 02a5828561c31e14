// An XML element read into a model shape's value, directed by the model (botocore's XML parsers
// are the reference): element names from locationName, list items named by the member's
// locationName ("member" by default; EC2 names them "item" in its model), flattened lists as
// repeated elements, maps as `entry` elements. Scalars stay text. Used for Route 53 request
// bodies and for reading back every XML answer the sandbox sends.
import type { XmlNode } from '../wire.js';
import type { ServiceModel, Shape } from './types.js';

/** elements the model does not know are pushed onto `unknown` (by path) */
export function fromXml(model: ServiceModel, shape: Shape, node: XmlNode, unknown: string[], path = ''): unknown {
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      const known = new Set<string>();
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        if (ref.location || ref.xmlAttribute) continue;
        const wire = ref.locationName ?? name;
        const s = model.shapes[ref.shape];
        if (s.type === 'list' && (ref.flattened || s.flattened)) {
          const item = s.member!.locationName ?? wire;
          known.add(item);
          const items = node.children.filter((c) => c.name === item);
          if (items.length) out[name] = items.map((c) => fromXml(model, model.shapes[s.member!.shape], c, unknown, `${path}${wire}.`));
          continue;
        }
        known.add(wire);
        const child = node.children.find((c) => c.name === wire);
        if (child) out[name] = fromXml(model, s, child, unknown, `${path}${wire}.`);
      }
      for (const c of node.children) if (!known.has(c.name)) unknown.push(`${path}${c.name}`);
      return out;
    }
    case 'list': {
      const item = shape.member!.locationName ?? 'member';
      for (const c of node.children) if (c.name !== item) unknown.push(`${path}${c.name}`);
      return node.children.filter((c) => c.name === item).map((c) => fromXml(model, model.shapes[shape.member!.shape], c, unknown, `${path}${item}.`));
    }
    case 'map': {
      const out: Record<string, unknown> = {};
      const k = shape.key!.locationName ?? 'key';
      const v = shape.value!.locationName ?? 'value';
      for (const e of node.children) {
        if (e.name !== 'entry') {
          unknown.push(`${path}${e.name}`);
          continue;
        }
        const key = e.children.find((c) => c.name === k)?.text ?? '';
        const val = e.children.find((c) => c.name === v);
        out[key] = val ? fromXml(model, model.shapes[shape.value!.shape], val, unknown, `${path}entry.`) : undefined;
      }
      return out;
    }
    default:
      if (node.children.length) return { elements: node.children.map((c) => c.name) };
      return shape.type === 'string' || shape.type === 'blob' ? node.text : node.text.trim();
  }
}
