// Label and field selectors in Kubernetes syntax, parsed once per request into predicates.
import { StoreError, type KubeObject } from './store-api.js';

export type Predicate = (obj: KubeObject) => boolean;

interface Requirement {
  key: string;
  op: 'eq' | 'neq' | 'in' | 'notin' | 'exists' | '!exists';
  values: string[];
}

const badSelector = (sel: string, why: string) => new StoreError(400, 'BadRequest', `unable to parse requirement: invalid selector "${sel}": ${why}`);

/** splits on commas that are not inside parentheses */
function splitTop(sel: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter(Boolean);
}

function parseRequirement(raw: string, whole: string): Requirement {
  let m = /^!\s*([^\s!=()]+)$/.exec(raw);
  if (m) return { key: m[1], op: '!exists', values: [] };
  m = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(raw);
  if (m) {
    const values = m[3].split(',').map((v) => v.trim()).filter((v) => v !== '');
    return { key: m[1], op: m[2] as 'in' | 'notin', values };
  }
  m = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s,()]*)$/.exec(raw);
  if (m) return { key: m[1], op: m[2] === '!=' ? 'neq' : 'eq', values: [m[3]] };
  m = /^([^\s!=()]+)$/.exec(raw);
  if (m) return { key: m[1], op: 'exists', values: [] };
  throw badSelector(whole, `cannot parse "${raw}"`);
}

function matches(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case 'eq':
      return value === req.values[0];
    case 'neq':
      return value !== req.values[0];
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!exists':
      return value === undefined;
  }
}

export function parseLabelSelector(sel: string | undefined): Predicate | undefined {
  if (!sel || !sel.trim()) return undefined;
  const reqs = splitTop(sel).map((r) => parseRequirement(r, sel));
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => matches(r, Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined));
  };
}

/** a dotted path into the object; values compared as strings, as the API server does */
function fieldValue(obj: KubeObject, path: string): string | undefined {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return undefined;
  // a field of a JSON object: what is not an object is a string, number or boolean
  return typeof cur === 'object' ? JSON.stringify(cur) : `${cur as string | number | boolean}`;
}

/** field selectors: only =, == and != exist; a missing field compares as "" */
export function parseFieldSelector(sel: string | undefined): Predicate | undefined {
  if (!sel || !sel.trim()) return undefined;
  const reqs = sel
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((raw) => {
      const m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(raw);
      if (!m) throw new StoreError(400, 'BadRequest', `invalid field selector "${sel}": cannot parse "${raw}"`);
      return { path: m[1], neq: m[2] === '!=', value: m[3].trim() };
    });
  return (obj) => reqs.every((r) => ((fieldValue(obj, r.path) ?? '') === r.value) !== r.neq);
}

/** a field selector's exact metadata.name / metadata.namespace, used to narrow lookups */
export function fieldSelectorEquals(sel: string | undefined, path: string): string | undefined {
  if (!sel) return undefined;
  for (const raw of sel.split(',')) {
    const m = /^\s*([^\s!=]+)\s*(==|=)\s*(.*?)\s*$/.exec(raw);
    if (m && m[1] === path) return m[3];
  }
  return undefined;
}

export function allOf(...preds: (Predicate | undefined)[]): Predicate | undefined {
  const ps = preds.filter((p): p is Predicate => p !== undefined);
  if (ps.length === 0) return undefined;
  if (ps.length === 1) return ps[0];
  return (obj) => ps.every((p) => p(obj));
}
