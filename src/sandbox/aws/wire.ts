// Wire-format helpers for the emulated AWS endpoint: a small XML writer and reader (the project
// does not depend on an XML library), the query-protocol parameter unflattener, timestamps, and
// the error type every service handler throws.

import { randomUUID } from 'node:crypto';

/** An AWS error answered in the calling service's own protocol (code, message, HTTP status). */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** extra members for JSON error bodies (e.g. EFS's ErrorCode) */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const requestId = (): string => randomUUID();

/** ISO 8601 with milliseconds, as the XML protocols send timestamps */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** epoch seconds, as the JSON protocols send timestamps */
export const epochSeconds = (ms: number): number => ms / 1000;

// ---------------------------------------------------------------------------------------------
// XML writing

export function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * Serialises a plain value as XML children. Arrays become a wrapper element holding one element
 * per item; `itemName(key)` names those items ("member" for awsQuery, "item" for EC2, per-list
 * names for Route 53). Undefined and null members are left out, as AWS omits unset members.
 */
export function toXml(value: unknown, itemName: (listKey: string) => string): string {
  if (value === undefined || value === null) return '';
  // the answers are built from JSON-like data: what is not an object is a string, number or boolean
  if (typeof value !== 'object') return xmlEscape(`${value as string | number | boolean}`);
  let out = '';
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) {
      const item = itemName(key);
      out += `<${key}>${v.map((x) => `<${item}>${toXml(x, itemName)}</${item}>`).join('')}</${key}>`;
    } else {
      out += `<${key}>${toXml(v, itemName)}</${key}>`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// XML reading (Route 53 request bodies): elements, text and entities; attributes are skipped.

export interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

export function parseXml(src: string): XmlNode {
  const root: XmlNode = { name: '#document', children: [], text: '' };
  const stack: XmlNode[] = [root];
  const re = /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w.:-]*)((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src))) {
    const top = stack[stack.length - 1];
    if (m[1] !== undefined) top.text += m[1];
    else if (m[6] !== undefined) top.text += unescapeXml(m[6]);
    else if (m[3] !== undefined) {
      const name = m[3].includes(':') ? m[3].split(':')[1] : m[3];
      if (m[2] === '/') {
        if (top.name !== name) throw new AwsError('MalformedXML', `unexpected closing tag </${name}>`);
        stack.pop();
      } else {
        const node: XmlNode = { name, children: [], text: '' };
        top.children.push(node);
        if (m[5] !== '/') stack.push(node);
      }
    } else if (m[0].startsWith('<') && !m[0].startsWith('<?') && !m[0].startsWith('<!--')) {
      throw new AwsError('MalformedXML', 'the XML document is not well formed');
    }
  }
  if (stack.length !== 1) throw new AwsError('MalformedXML', 'the XML document is not well formed');
  return root;
}

export const xmlChild = (n: XmlNode | undefined, name: string): XmlNode | undefined => n?.children.find((c) => c.name === name);
export const xmlChildren = (n: XmlNode | undefined, name: string): XmlNode[] => n?.children.filter((c) => c.name === name) ?? [];
export const xmlText = (n: XmlNode | undefined, name: string): string | undefined => {
  const c = xmlChild(n, name);
  return c ? c.text.trim() : undefined;
};

// ---------------------------------------------------------------------------------------------
// Query protocol parameters: "Actions.member.1.RedirectConfig.Host" (awsQuery) and
// "Filter.1.Value.1" (EC2) become nested objects and arrays.

export type QueryValue = string | QueryValue[] | { [k: string]: QueryValue };

export function unflattenQuery(params: URLSearchParams): Record<string, QueryValue> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const tokens: (string | number)[] = [];
    const segs = key.split('.');
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i];
      if ((s === 'member' || s === 'item') && /^\d+$/.test(segs[i + 1] ?? '')) continue;
      tokens.push(/^\d+$/.test(s) ? Number(s) - 1 : s);
    }
    let cur: Record<string | number, unknown> = root;
    for (let i = 0; i < tokens.length - 1; i++) {
      const t = tokens[i];
      if (cur[t] === undefined) cur[t] = typeof tokens[i + 1] === 'number' ? [] : {};
      cur = cur[t] as Record<string | number, unknown>;
    }
    cur[tokens[tokens.length - 1]] = value;
  }
  // sparse arrays (a client that skipped an index) close up
  const compact = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(compact);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x)]));
    return v;
  };
  return compact(root) as Record<string, QueryValue>;
}

/** a list member of unflattened query input, always as an array */
export function qList(v: QueryValue | undefined): QueryValue[] {
  // an empty list is sent as the bare key ("Actions=")
  if (v === undefined || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

export function qStr(v: QueryValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
