// `kfup modules`: each task type's description and parameters, read from its schema file (ESLint's
// self-describing rules), so the docs can never drift from what validation enforces.
import type { TaskRegistry } from '../types.js';
import { UserError, didYouMean } from '../errors.js';
import { stringify } from 'yaml';

type Prop = { type?: string | string[]; description?: string; default?: unknown; enum?: unknown[]; items?: Prop; oneOf?: Prop[] };

const typeOf = (p: Prop): string => {
  if (p.enum) return p.enum.map((e) => JSON.stringify(e)).join(' | ');
  if (p.oneOf) return [...new Set(p.oneOf.map(typeOf))].join(' | ');
  if (Array.isArray(p.type) && p.type.length > 3) return 'any';
  const t = Array.isArray(p.type) ? p.type.join(' | ') : (p.type ?? 'any');
  return t === 'array' && p.items ? `list of ${typeOf(p.items)}` : t;
};

/** the first sentence of a description ("e.g." and "i.e." do not end one) */
const firstSentence = (text: string): string => {
  const re = /\.\s+(?=[A-Z(`*])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const before = text.slice(Math.max(0, m.index - 3), m.index + 1);
    if (!/(e\.g\.|i\.e\.)$/.test(before)) return text.slice(0, m.index);
  }
  return text.replace(/\.$/, '');
};

export function describeModules(registry: TaskRegistry, one?: string): string {
  const types = registry.names();
  if (one && !types.includes(one)) {
    throw new UserError(`unknown task type "${one}"`, { hint: didYouMean(one, types) ?? `task types: ${types.join(', ')}` });
  }
  const out: string[] = [];
  for (const t of one ? [one] : types) {
    const s = registry.schema(t) as { description?: string; properties?: Record<string, Prop>; required?: string[]; examples?: unknown[] };
    out.push(`${t}  ${s.description ?? ''}`);
    const req = new Set(s.required ?? []);
    const props = Object.entries(s.properties ?? {});
    const width = Math.max(0, ...props.map(([k]) => k.length));
    for (const [k, p] of props) {
      const def = p.default !== undefined ? ` (default ${JSON.stringify(p.default)})` : '';
      const line = `    ${k.padEnd(width)}  ${req.has(k) ? 'required' : 'optional'}  ${typeOf(p)}${def}`;
      out.push(one ? `${line}\n${' '.repeat(width + 6)}${p.description ?? ''}` : `${line}${p.description ? `  ${firstSentence(p.description)}` : ''}`);
    }
    if (one && s.examples?.length) {
      out.push('', '  example:', ...stringify({ name: `An example ${t} task`, [t]: s.examples[0] }).trimEnd().split('\n').map((l) => `    ${l}`));
    }
    out.push('');
  }
  return out.join('\n');
}
