// Reads mapped values out of a Terraform state file (format version 4). A state holds secrets
// (database passwords, access keys), so nothing read here leaves this file except the values the
// mappings ask for: errors name addresses and attribute paths, never values, and the parsed
// document is dropped as soon as the mapped values are picked out of it.
import { existsSync, readFileSync } from 'node:fs';
import { TaskError } from '../kit/index.js';
import { describeRule, type MappingRule, type VariableMapping } from './mappings.js';

interface StateInstance {
  index_key?: string | number;
  attributes?: Record<string, unknown>;
  sensitive_attributes?: unknown[];
}
interface StateResource {
  module?: string;
  mode?: string;
  type: string;
  name: string;
  instances?: StateInstance[];
}
interface StateDoc {
  version?: number;
  terraform_version?: string;
  outputs?: Record<string, { value: unknown; sensitive?: boolean }>;
  resources?: StateResource[];
}

export interface Found {
  value: unknown;
  /** where it came from: `output "x"` or an instance address and attribute */
  from: string;
  secret: boolean;
}

export interface StateValues {
  found: Map<string, Found>;
  /** variable → what was searched, for the ones nothing matched */
  missing: Map<string, string[]>;
  terraformVersion?: string;
}

// ---- addresses and attribute paths

const indexText = (k: string | number | undefined): string => (k === undefined ? '' : typeof k === 'number' ? `[${k}]` : `[${JSON.stringify(k)}]`);

export function instanceAddress(r: StateResource, inst: StateInstance): string {
  const prefix = r.module ? `${r.module}.` : '';
  const mode = r.mode === 'data' ? 'data.' : '';
  return `${prefix}${mode}${r.type}.${r.name}${indexText(inst.index_key)}`;
}

const patternCache = new Map<string, RegExp>();

/** an address pattern (see mappings.ts) as an anchored regular expression */
export function addressPattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (re) return re;
  const optIndex = '(?:\\[[^\\]]*\\])?';
  let src = '';
  let rest = pattern;
  while (rest.length) {
    if (rest.startsWith('**.')) {
      src += '(?:.*\\.)?';
      rest = rest.slice(3);
    } else if (rest.startsWith('**')) {
      src += '.*';
      rest = rest.slice(2);
    } else if (rest.startsWith('[*]')) {
      src += '\\[[^\\]]*\\]';
      rest = rest.slice(3);
    } else if (rest.startsWith('[')) {
      const end = rest.indexOf(']');
      const part = end < 0 ? rest : rest.slice(0, end + 1);
      src += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      rest = rest.slice(part.length);
    } else if (rest.startsWith('.')) {
      src += '\\.';
      rest = rest.slice(1);
    } else {
      const m = /^[^.[]+/.exec(rest)![0];
      src += m.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[^.\\[\\]]*');
      rest = rest.slice(m.length);
      // a name written without an index also matches the instances of a counted resource or module
      if (!rest.startsWith('[')) src += optIndex;
    }
  }
  re = new RegExp(`^${src}$`);
  patternCache.set(pattern, re);
  return re;
}

type PathSeg = string | number;

export function parseAttributePath(path: string): PathSeg[] {
  const segs: PathSeg[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path))) {
    if (m[1] !== undefined) segs.push(m[1]);
    else if (m[2] !== undefined) segs.push(Number(m[2]));
    else segs.push(JSON.parse(`"${m[3]}"`) as string);
  }
  return segs;
}

function getPath(root: unknown, segs: PathSeg[]): unknown {
  let cur = root;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

/**
 * Does the instance mark this attribute sensitive? Compared by top-level attribute: a sensitive
 * path inside it (Terraform records paths into the value, which the state may wrap, as it does
 * for terraform_data's dynamic `input`/`output`) makes the whole attribute secret. Erring this
 * way redacts too much, never too little.
 */
function isSensitive(inst: StateInstance, segs: PathSeg[]): boolean {
  for (const entry of inst.sensitive_attributes ?? []) {
    // Terraform writes each sensitive path as a list of steps: {type: get_attr|index, value}
    const steps = Array.isArray(entry) ? entry : (entry as { path?: unknown[] })?.path;
    if (!Array.isArray(steps) || !steps.length) continue;
    const first = (steps[0] as { value?: unknown })?.value;
    const top = first && typeof first === 'object' && 'value' in first ? first.value : first;
    if (String(top) === String(segs[0])) return true;
  }
  return false;
}

const isScalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
const kind = (v: unknown): string => (Array.isArray(v) ? 'a list' : v && typeof v === 'object' ? 'a map' : typeof v);

// ---- reading

export function loadState(path: string): StateDoc {
  if (!existsSync(path)) {
    throw new TaskError(`Terraform state file not found: ${path}`, {
      code: 'stateNotFound',
      hint: 'give the production deployment\'s terraform.tfstate; with a remote backend, save it first with `terraform state pull > prod.tfstate`',
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // the parser's message quotes the text around the error, which may be a secret: never show it
    throw new TaskError(`${path} is not a Terraform state file: it is not valid JSON`, { code: 'notState', hint: 'give the terraform.tfstate file itself (the JSON Terraform writes), not a plan or a tfvars file' });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new TaskError(`${path} is not a Terraform state file: it is not a JSON object`, { code: 'notState' });
  const version = (doc as StateDoc).version;
  if (version !== 4) {
    throw new TaskError(`${path} is a Terraform state of format version ${version === undefined ? '(none)' : JSON.stringify(version)}; kfup reads format version 4`, {
      code: 'stateVersion',
      hint: 'format 4 is what Terraform 0.12 and later write; run `terraform state pull > prod.tfstate` with a current Terraform to get one',
    });
  }
  return doc;
}

function lookup(doc: StateDoc, name: string, rule: MappingRule, list: boolean): { values: unknown[]; from: string[]; secret: boolean } | string {
  if (rule.output) {
    const o = doc.outputs?.[rule.output];
    if (!o || o.value === null || o.value === undefined) return 'absent';
    if (list ? !(Array.isArray(o.value) && o.value.every(isScalar)) && !isScalar(o.value) : !isScalar(o.value)) {
      return `is ${kind(o.value)}, not a ${list ? 'list of values' : 'single value'}`;
    }
    return { values: Array.isArray(o.value) ? o.value : [o.value], from: [describeRule(rule)], secret: o.sensitive === true };
  }
  if (!rule.resource || !rule.attribute) return 'incomplete rule (needs output, or resource and attribute)';
  const re = addressPattern(rule.resource);
  const segs = parseAttributePath(rule.attribute);
  const hits: { address: string; value: unknown; secret: boolean }[] = [];
  for (const r of doc.resources ?? []) {
    for (const inst of r.instances ?? []) {
      const address = instanceAddress(r, inst);
      if (!re.test(address)) continue;
      const value = getPath(inst.attributes, segs);
      if (value === undefined || value === null) continue;
      if (!(isScalar(value) || (list && Array.isArray(value) && value.every(isScalar)))) {
        return `${address} attribute ${rule.attribute} is ${kind(value)}, not a ${list ? 'list of values' : 'single value'}`;
      }
      hits.push({ address, value, secret: isSensitive(inst, segs) });
    }
  }
  if (!hits.length) return 'absent';
  // counted instances in index order, whatever order the state lists them in
  hits.sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
  if (!list) {
    const distinct = new Set(hits.map((h) => JSON.stringify(h.value)));
    if (distinct.size > 1) return `matches ${hits.length} instances with different values (${hits.map((h) => h.address).join(', ')}); make the pattern more specific`;
    return { values: [hits[0].value], from: [`${hits[0].address} attribute ${rule.attribute}`], secret: hits.some((h) => h.secret) };
  }
  return { values: hits.flatMap((h): unknown[] => (Array.isArray(h.value) ? (h.value as unknown[]) : [h.value])), from: hits.map((h) => `${h.address}`), secret: hits.some((h) => h.secret) };
}

/** the value of every mapped variable that the state holds, and what was searched for the others */
export function readStateValues(path: string, mappings: Record<string, VariableMapping>): StateValues {
  // only the mapped values leave this function: the rest of the state (secrets too) is dropped with it
  const doc = loadState(path);
  const found = new Map<string, Found>();
  const missing = new Map<string, string[]>();
  for (const [name, m] of Object.entries(mappings)) {
    const searched: string[] = [];
    let hit: Found | undefined;
    for (const rule of m.from) {
      const r = lookup(doc, name, rule, m.list === true);
      if (typeof r === 'string') {
        searched.push(`${describeRule(rule)}: ${r}`);
        continue;
      }
      hit = { value: m.list ? r.values : r.values[0], from: r.from.join(', '), secret: r.secret || m.secret === true };
      break;
    }
    if (hit) found.set(name, hit);
    else missing.set(name, searched.length ? searched : ['no rules']);
  }
  return { found, missing, terraformVersion: doc.terraform_version };
}
