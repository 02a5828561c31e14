// Handlebars rendering for playbook values: strict (an undefined variable is an error, never an
// empty string), no HTML escaping, and type-preserving when a string is exactly one {{expression}}.
// Values only known after apply (Unknown) flow through: an expression that touches one is Unknown.
import Handlebars from 'handlebars';
import { Unknown, isUnknown } from '../types.js';
import { parseErrorOf } from './parse-error.js';
import { UserError, nearest } from '../errors.js';
import { interpret, UNSUPPORTED, type AstNode } from './template-eval.js';
import { BudgetError, budgeted, expectLength, measure, withBudget } from './budget.js';
import { Lru } from './lru.js';

const hb = Handlebars.create();

export class TemplateError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly variable?: string,
    /** where in the template string the mistake is (a syntax error), to point at its column */
    readonly offset?: number,
  ) {
    super(message);
  }
}

const truthy = (v: unknown): boolean => {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object' && !isUnknown(v)) return Object.keys(v).length > 0;
  return Boolean(v);
};

/** wraps a helper so that any Unknown argument makes the result Unknown */
function unknownAware(fn: (...args: unknown[]) => unknown) {
  return function (this: unknown, ...args: unknown[]) {
    const real = args.slice(0, -1); // the last argument is Handlebars' options object
    const u = real.find(isUnknown);
    if (u) return u;
    return fn.apply(this, real);
  };
}

const helpers: Record<string, (...args: unknown[]) => unknown> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  gt: (a, b) => (a as number) > (b as number),
  lt: (a, b) => (a as number) < (b as number),
  gte: (a, b) => (a as number) >= (b as number),
  lte: (a, b) => (a as number) <= (b as number),
  and: (...xs) => xs.every(truthy),
  or: (...xs) => xs.some(truthy),
  not: (a) => !truthy(a),
  join: (list, sep) => {
    if (!Array.isArray(list)) throw new TemplateError('join expects a list as its first argument');
    const s = typeof sep === 'string' ? sep : ',';
    expectLength(list.length * s.length);
    return list.join(s);
  },
  json: (v) => JSON.stringify(v),
  lower: (s) => String(s).toLowerCase(),
  upper: (s) => String(s).toUpperCase(),
  trim: (s) => String(s).trim(),
  replace: (s, from, to) => {
    const parts = String(s).split(String(from));
    const by = String(to);
    expectLength(String(s).length + (parts.length - 1) * by.length);
    return parts.join(by);
  },
  split: (s, sep) => String(s).split(typeof sep === 'string' ? sep : ','),
  contains: (hay, needle) => (Array.isArray(hay) ? hay.includes(needle) : String(hay).includes(String(needle))),
  length: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  array: (...xs) => xs,
  // a list without its empty entries: builds lists whose items depend on conditions
  compact: (list) => (Array.isArray(list) ? list.filter((x) => x !== undefined && x !== null && x !== '' && x !== false) : list),
  concat: (...xs) => xs.map(String).join(''),
  int: (v) => {
    const n = Number.parseInt(String(v), 10);
    if (Number.isNaN(n)) throw new TemplateError(`int: "${String(v)}" is not a number`);
    return n;
  },
  bool: (v) => (typeof v === 'string' ? ['true', 'yes', '1', 'on'].includes(v.toLowerCase()) : truthy(v)),
  basename: (p) => String(p).split('/').pop() ?? '',
  dirname: (p) => String(p).split('/').slice(0, -1).join('/') || '.',
  // "host of a URL": turns an OIDC issuer URL into the provider name IAM uses
  host: (u) => String(u).replace(/^[a-z]+:\/\//i, ''),
};

for (const [name, fn] of Object.entries(helpers)) hb.registerHelper(name, unknownAware(fn));

// `default` must see Unknown as a value (it is defined, only not known yet), and undefined as absent;
// with strict mode a missing variable would throw before reaching it, so it is used as
// {{default maybe_var "fallback"}} together with a lookup that tolerates absence (see below).
// ternary must not turn an unknown branch it does not take into an unknown result
hb.registerHelper('ternary', function (cond: unknown, a: unknown, b: unknown) {
  if (isUnknown(cond)) return cond;
  return truthy(cond) ? a : b;
});

hb.registerHelper('default', function (v: unknown, fallback: unknown) {
  return v === undefined || v === null || v === '' ? fallback : v;
});

const empty = (v: unknown): boolean =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !isUnknown(v) && !Array.isArray(v) && Object.keys(v).length === 0);

// the first of its arguments that is present and not empty: picks the result of whichever of
// several alternative tasks (guarded by `when`) actually ran; its arguments may be absent
hb.registerHelper('coalesce', function (...args: unknown[]) {
  for (const a of args.slice(0, -1)) if (!empty(a)) return a;
  return undefined;
});

/**
 * Own properties only: a user-given name (a variable, a helper, a path segment) never finds what
 * every object inherits (`constructor`, `__proto__`, `toString`), so templates hand out no
 * Object or Function. Unknown proxies answer for every name as their own.
 */
export const hasOwn = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);
const isHelperName = (name: string): boolean => hasOwn(hb.helpers, name) && !UNLISTED_HELPERS.has(name);
// Handlebars' built-ins a playbook may not call: `log` would print its arguments (a secret
// among them) to the console, past the redactor; `lookup` takes a computed name, past the checks
const UNLISTED_HELPERS = new Set(['log', 'lookup', 'blockHelperMissing', 'helperMissing']);
hb.unregisterHelper('log');
hb.unregisterHelper('lookup');

/** what the secrets of the run are: a value a helper computes from a secret becomes one too */
export interface SecretSink {
  touches(v: unknown): boolean;
  add(v: unknown): void;
}
let secrets: SecretSink | undefined;
/** the run's redactor, for the helpers: {{upper secret}} or {{json secret}} is redacted like the secret */
export const watchSecrets = (sink: SecretSink | undefined): void => {
  secrets = sink;
};

function tainting(fn: (...a: unknown[]) => unknown) {
  return function (this: unknown, ...args: unknown[]) {
    const r = fn.apply(this, args);
    // a transform of a secret value itself (upper, base64, a slice) yields a secret; a helper that
    // merely receives an object holding a secret somewhere (coalesce over a task's outputs, say)
    // does not make its unrelated result one: a secret carried along unchanged is still found as is
    const scalar = (a: unknown) => typeof a === 'string' || typeof a === 'number';
    const fromSecret = (a: unknown) => (scalar(a) || (Array.isArray(a) && a.every(scalar))) && secrets!.touches(a);
    if (secrets && r !== undefined && r !== null && typeof r !== 'boolean' && args.slice(0, -1).some(fromSecret)) {
      const add = (v: unknown): void => {
        if (typeof v === 'string' || typeof v === 'number') secrets!.add(v);
        else if (Array.isArray(v)) v.forEach(add);
        else if (v && typeof v === 'object') Object.values(v).forEach(add);
      };
      add(r);
    }
    return r;
  };
}

// every helper, Handlebars' own blocks (#each, #if, #with) included, runs within the render's
// budget; a helper's result computed from a secret is a secret
// (a count or a test says nothing about the secret: `length`, `contains` and the comparisons stay plain)
const NOT_TAINTING = new Set(['length', 'contains', 'eq', 'ne', 'gt', 'lt', 'gte', 'lte', 'and', 'or', 'not', 'bool', 'if', 'unless']);
for (const [name, fn] of Object.entries(hb.helpers)) {
  const h = fn as (...a: unknown[]) => unknown;
  hb.registerHelper(name, budgeted(NOT_TAINTING.has(name) ? h : tainting(h)));
}

export const helperNames = (): string[] => Object.keys(hb.helpers).filter((h) => !h.startsWith('__') && !['blockHelperMissing', 'helperMissing', 'log', 'lookup', 'each', 'if', 'unless', 'with'].includes(h));

const MARKER = '(known after apply)';
const compiled = new Lru<string, Handlebars.TemplateDelegate>(500);
const SINGLE = /^\{\{\s*([^{}]+?)\s*\}\}$/s;

let captured: unknown;
hb.registerHelper('__capture', (v: unknown) => {
  captured = v;
  return '';
});

function compile(source: string): Handlebars.TemplateDelegate {
  let fn = compiled.get(source);
  if (!fn) {
    fn = hb.compile(source, { strict: true, noEscape: true, knownHelpersOnly: false });
    compiled.set(source, fn);
  }
  return fn;
}

export const hasTemplate = (s: string): boolean => s.includes('{{');

const asts = new Lru<string, AstNode>(500);

/** does a dotted path resolve in the data? (Unknown proxies answer yes to every property) */
function resolves(data: object, parts: string[]): boolean {
  let cur: unknown = data;
  for (const part of parts) {
    if (cur === null || cur === undefined || (typeof cur !== 'object' && typeof cur !== 'function')) return false;
    if (!hasOwn(cur, part)) return false;
    cur = (cur as Record<string, unknown>)[part];
  }
  return true;
}

/** "did you mean ...?" from the names that do exist where the path stopped resolving */
function spellingHint(data: object, parts: string[]): string {
  let cur: unknown = data;
  let i = 0;
  for (; i < parts.length; i++) {
    if (cur === null || cur === undefined || typeof cur !== 'object' || !hasOwn(cur, parts[i])) break;
    cur = (cur as Record<string, unknown>)[parts[i]];
  }
  const known = cur && typeof cur === 'object' && !isUnknown(cur) ? Object.keys(cur) : [];
  const guess = i < parts.length ? nearest(parts[i], known) : undefined;
  if (guess) return `did you mean "${[...parts.slice(0, i), guess].join('.')}"?`;
  return 'define it in vars, an environment file, --vars-file or --var; or check the spelling';
}

/**
 * Handlebars' strict mode misses variables used as helper arguments (they arrive as undefined),
 * so every variable a template names is checked against the data before rendering. Block helpers
 * that change the context (#each, #with) are left to Handlebars' own strict checks.
 */
function checkVariables(source: string, data: object): void {
  let ast = asts.get(source);
  if (!ast) {
    ast = hb.parse(source);
    asts.set(source, ast);
  }
  const visitPath = (p: AstNode | undefined, callee: boolean) => {
    if (!p || p.type !== 'PathExpression' || p.data || p.this || (p.depth ?? 0) > 0 || !p.parts?.length) return;
    if (callee) return;
    if (!resolves(data, p.parts)) {
      throw new TemplateError(`undefined variable "${p.original}" in ${JSON.stringify(source)}`, spellingHint(data, p.parts), p.original);
    }
  };
  const visitExpr = (n: AstNode | undefined) => {
    if (!n) return;
    if (n.type === 'SubExpression') visitCall(n);
    else visitPath(n, false);
  };
  const visitCall = (n: AstNode) => {
    const hasArgs = (n.params?.length ?? 0) > 0 || (n.hash?.pairs?.length ?? 0) > 0;
    const name = n.path?.original;
    const isHelper = hasArgs || (name !== undefined && isHelperName(name) && !hasOwn(data, name));
    if (isHelper && name !== undefined && !isHelperName(name)) {
      throw new TemplateError(`unknown template helper "${name}" in ${JSON.stringify(source)}`, `helpers: ${helperNames().join(', ')}`);
    }
    visitPath(n.path, isHelper);
    // `default` and `coalesce` exist to supply a value for a variable that may be absent
    (n.params ?? []).forEach((prm, i) => {
      const mayBeAbsent = (name === 'default' && i === 0) || name === 'coalesce';
      if (!(mayBeAbsent && prm.type === 'PathExpression')) visitExpr(prm);
    });
    for (const pair of n.hash?.pairs ?? []) visitExpr(pair.value);
  };
  const visitProgram = (prog: AstNode | undefined) => {
    for (const st of prog?.body ?? []) {
      if (st.type === 'MustacheStatement') visitCall(st);
      else if (st.type === 'BlockStatement') {
        visitCall(st);
        const name = st.path?.original;
        if (name === 'if' || name === 'unless') {
          visitProgram(st.program);
          visitProgram(st.inverse);
        }
      }
    }
  };
  visitProgram(ast);
}

/** explains Handlebars' own errors in playbook terms */
function translate(e: unknown, source: string): TemplateError {
  const msg = e instanceof Error ? e.message : String(e);
  const notDefined = /"([^"]+)" not defined in/.exec(msg);
  if (notDefined) {
    // Handlebars names only the last segment; report the whole dotted path as written
    const seg = notDefined[1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const full = new RegExp(`[A-Za-z0-9_@.-]*\\b${seg}\\b`).exec(source.replace(/\{\{|\}\}/g, ' '))?.[0] ?? notDefined[1];
    return new TemplateError(`undefined variable "${full}" in ${JSON.stringify(source)}`, 'define it in vars, an environment file, --vars-file or --var; or check the spelling', full);
  }
  const missingHelper = /Missing helper: "([^"]+)"/.exec(msg);
  if (missingHelper) {
    return new TemplateError(`unknown template helper "${missingHelper[1]}" in ${JSON.stringify(source)}`, `helpers: ${helperNames().join(', ')}`);
  }
  if (e instanceof TemplateError) return e;
  const syntax = parseErrorOf(msg, source);
  if (syntax) return new TemplateError(syntax.message, syntax.hint, undefined, syntax.offset);
  const first = msg.split('\n')[0];
  return new TemplateError(`template error in ${JSON.stringify(source)}: ${first}`, 'templates use Handlebars syntax: {{name}}, {{helper arg1 arg2}}');
}

/** renders one string; a string that is exactly one {{expression}} keeps the value's type */
export function renderString(source: string, data: object): unknown {
  if (!hasTemplate(source)) return source;
  return withBudget(() => renderBounded(source, data));
}

function renderBounded(source: string, data: object): unknown {
  const single = SINGLE.exec(source);
  try {
    checkVariables(source, data);
    try {
      const r = interpret(asts.get(source)!, data as Record<string, unknown>, hb.helpers as Record<string, (...a: unknown[]) => unknown>) as { value?: unknown; text?: string };
      if ('value' in r) return r.value;
      measure(r.text!);
      if (r.text!.includes(MARKER)) return Object.assign(new Unknown(source), { text: r.text });
      return r.text;
    } catch (e) {
      if (e !== UNSUPPORTED) throw e;
    }
    if (single && !single[1].startsWith('#') && !single[1].startsWith('/') && !single[1].startsWith('!') && !single[1].startsWith('>')) {
      captured = undefined;
      const expr = single[1].trim();
      // a bare path is captured as is; a helper call (or a lone helper name) as a sub-expression
      const call = /\s/.test(expr) || (isHelperName(expr) && !hasOwn(data, expr)) ? `(${expr})` : expr;
      compile(`{{__capture ${call}}}`)(data);
      const v = captured;
      captured = undefined;
      return v;
    }
    const out = measure(compile(source)(data));
    if (out.includes(MARKER)) return Object.assign(new Unknown(source), { text: out });
    return out;
  } catch (e) {
    // an error inside a variable's own template already names its place
    if (e instanceof UserError) throw e;
    if (e instanceof BudgetError) throw new TemplateError(`template ${JSON.stringify(source.length > 80 ? source.slice(0, 77) + '...' : source)}: ${e.message}`, 'templates compute values, they do not generate data; write large content to a file and pass its path');
    throw translate(e, source);
  }
}

/** renders every string in a value tree; errors carry the path of the string that failed */
export function renderDeep(value: unknown, data: object, path: (string | number)[] = []): unknown {
  if (typeof value === 'string') {
    try {
      return renderString(value, data);
    } catch (e) {
      throw Object.assign(e as TemplateError, { path });
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => renderDeep(v, data, [...path, i]));
  if (value && typeof value === 'object' && !isUnknown(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = renderDeep(v, data, [...path, k]);
      // a parameter whose template yields no value (e.g. {{coalesce maybe_empty}}) is left out
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
  return value;
}

/** the first Unknown in a value tree, with its path */
export function findUnknown(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; value: Unknown } | undefined {
  if (isUnknown(value)) return { path, value };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const f = findUnknown(value[i], [...path, i]);
      if (f) return f;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const f = findUnknown(v, [...path, k]);
      if (f) return f;
    }
  }
  return undefined;
}

/** a condition's truth, as `when:` and `assert` use it; strings "false", "no", "0" and "" are false */
export function isTrue(v: unknown): boolean {
  if (typeof v === 'string') return !['', 'false', 'no', '0', 'off', 'none', 'null'].includes(v.trim().toLowerCase());
  return truthy(v);
}

/** an Unknown whose every property, at any depth, is the same Unknown: a registered task before apply */
export function unknownTree(origin: string): Unknown {
  const proxy: Unknown = new Proxy(new Unknown(origin), {
    get: (t, p, r): unknown => (typeof p === 'symbol' || p in t ? (Reflect.get(t, p, r) as unknown) : proxy),
    has: () => true,
    getOwnPropertyDescriptor: (t, p) =>
      Reflect.getOwnPropertyDescriptor(t, p) ?? (typeof p === 'symbol' ? undefined : { value: proxy, writable: false, enumerable: true, configurable: true }),
  });
  return proxy;
}

/** wraps plan outputs so that keys the plan could not know yet read as Unknown instead of undefined */
export function outputsWithUnknowns(outputs: Record<string, unknown>, origin: string): Record<string, unknown> {
  const u = unknownTree(origin);
  return new Proxy(outputs, {
    get: (t, p): unknown => (typeof p === 'symbol' || p in t ? (Reflect.get(t, p) as unknown) : u),
    has: () => true,
    getOwnPropertyDescriptor: (t, p) => Reflect.getOwnPropertyDescriptor(t, p) ?? (typeof p === 'symbol' ? undefined : { value: u, writable: false, enumerable: true, configurable: true }),
  });
}
