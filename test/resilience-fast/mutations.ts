// Malformed-input fuzzing: fast-check arbitraries that describe a mutation of a valid playbook
// or environment file (truncation, type swaps, deleted and duplicated keys, random unicode, deep
// nesting, huge strings, alias bombs), and the deterministic function that applies one. Shared
// by the fast suite (npm test) and the long one (npm run test:resilience).
import fc from 'fast-check';
import { parse, stringify } from 'yaml';

export type Op =
  | { op: 'truncate'; at: number }
  | { op: 'unicode'; at: number; text: string }
  | { op: 'delete-key'; pick: number }
  | { op: 'duplicate-line'; pick: number }
  | { op: 'swap-type'; pick: number; value: unknown }
  | { op: 'deep-nest'; pick: number; depth: number; flow: boolean }
  | { op: 'huge-string'; pick: number; size: number }
  | { op: 'add-key'; pick: number; key: string; value: unknown }
  | { op: 'alias-bomb'; width: number }
  | { op: 'bad-bytes'; at: number }
  | { op: 'template-bomb'; pick: number; kind: number }
  | { op: 'prototype-name'; pick: number; name: string };

/** where the writer puts bytes that are not UTF-8 (a lone 0xC3 before "(", a lone 0xFF) */
export const BAD_BYTES = '\u0000<bad-bytes>\u0000';

/** templates that would render gigabytes or take millions of steps without kfup's budget */
const BOMBS = [
  "{{#each (split (replace run.id '' ',') ',')}}{{#each (split (replace @root.run.id '' ',') ',')}}{{#each (split (replace @root.run.id '' ',') ',')}}{{#each (split (replace @root.run.id '' ',') ',')}}x{{/each}}{{/each}}{{/each}}{{/each}}",
  "{{replace (replace (replace (replace run.id '' run.id) '' run.id) '' run.id) '' run.id}}",
  "{{join (split (replace (replace run.id '' run.id) '' ',') ',') (replace run.id '' run.id)}}",
];

export interface Case {
  /** which file of the seed is mutated */
  target: 'playbook' | 'env';
  ops: Op[];
}

/** values of every YAML type, and strings that mean something to kfup's templates and durations */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, '', ' ', '{{', '}}', '{{nope}}', '{{item}}', '{{#each x}}', '{{> partial}}', '{{run.id', '5x', '-1s', '0ms', '99999999h', '~', 'null', '__proto__', 'constructor', 'NaN', '.inf'),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)), { maxLength: 4 }),
  fc.dictionary(fc.constantFrom('name', 'tasks', 'assert', 'that', 'vars', 'loop', 'when', 'x', '__proto__'), fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)), { maxKeys: 3 }),
);

/** text that stresses decoders and printers: any code point, control characters, BOM, surrogates, bidi */
const oddText = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.constantFrom('\u0000', '\uFEFF', '\uD800', '\uDFFF', '\u202E', '\t', '\r', '\r\n', ': ', '- ', '#', '&a ', '*a', '!!binary ', '!!js/function ', '%YAML 1.1\n', '---\n', '...\n', '"', "'", '{', '[', '|', '>', '@', '`', '\u2028', '😀', 'ﬀ'),
);

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('unicode' as const), at: fc.nat(), text: oddText }),
  fc.record({ op: fc.constant('delete-key' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('duplicate-line' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('swap-type' as const), pick: fc.nat(), value: oddValue }),
  fc.record({ op: fc.constant('deep-nest' as const), pick: fc.nat(), depth: fc.oneof(fc.integer({ min: 2, max: 64 }), fc.constantFrom(1000, 5000, 20000)), flow: fc.boolean() }),
  fc.record({ op: fc.constant('huge-string' as const), pick: fc.nat(), size: fc.constantFrom(10_000, 200_000, 2_000_000) }),
  fc.record({ op: fc.constant('add-key' as const), pick: fc.nat(), key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('name', 'tasks', 'vars', 'targets', 'secrets', 'id', 'register', 'parallel', 'loop', 'when', 'tags', 'retries', 'delay', 'timeout', 'assert', 'pause', 'set-vars', 'template', 'velero-backup', '__proto__', '<<')), value: oddValue }),
  fc.record({ op: fc.constant('alias-bomb' as const), width: fc.integer({ min: 2, max: 12 }) }),
  fc.record({ op: fc.constant('bad-bytes' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('template-bomb' as const), pick: fc.nat(), kind: fc.nat() }),
  fc.record({ op: fc.constant('prototype-name' as const), pick: fc.nat(), name: fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype', '{{constructor}}', '{{__proto__}}', '{{run.constructor.name}}', '{{lookup run "constructor"}}', '{{log run}}') }),
);

export const caseArb: fc.Arbitrary<Case> = fc.record({
  target: fc.constantFrom('playbook' as const, 'playbook' as const, 'env' as const),
  ops: fc.array(opArb, { minLength: 1, maxLength: 3 }),
});

type Path = (string | number)[];

/** every path in a parsed document (the root is []) */
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (!path.length) return value;
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path[path.length - 1]] = value;
  return root;
}

function deleteAt(root: unknown, path: Path): unknown {
  if (!path.length) return null;
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (Array.isArray(o)) o.splice(Number(last), 1);
  else delete o[last];
  return root;
}

/** a structural mutation: parse, change the node at the picked path, print again */
function structural(text: string, pick: number, change: (doc: unknown, path: Path) => unknown): string {
  let doc: unknown;
  try {
    doc = parse(text, { logLevel: 'silent' });
  } catch {
    return text; // an earlier mutation broke the YAML: structural ones no longer apply
  }
  try {
    const all = paths(doc);
    const path = all[pick % all.length];
    return stringify(change(doc, path), { lineWidth: 0, aliasDuplicateObjects: false });
  } catch (e) {
    // nest mutations on top of each other and the document gets too deep for the printer (a
    // limit of this generator, not of kfup, which gets the flow-style deep nests as text)
    if (e instanceof RangeError) return text;
    throw e;
  }
}

function nested(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { n: v };
  return v;
}

export function applyOp(text: string, op: Op): string {
  switch (op.op) {
    case 'truncate':
      return text.slice(0, op.at % (text.length + 1));
    case 'unicode': {
      const at = op.at % (text.length + 1);
      return text.slice(0, at) + op.text + text.slice(at);
    }
    case 'duplicate-line': {
      const lines = text.split('\n');
      const i = op.pick % lines.length;
      lines.splice(i, 0, lines[i]);
      return lines.join('\n');
    }
    case 'delete-key':
      return structural(text, op.pick, (doc, path) => deleteAt(doc, path));
    case 'swap-type':
      return structural(text, op.pick, (doc, path) => setAt(doc, path, op.value));
    case 'huge-string':
      return structural(text, op.pick, (doc, path) => setAt(doc, path, 'x{{'.repeat(Math.ceil(op.size / 3)).slice(0, op.size)));
    case 'add-key':
      return structural(text, op.pick, (doc, path) => {
        const parent = path.length ? path.slice(0, -1) : path;
        let o: unknown = doc;
        for (const k of parent) o = (o as Record<string | number, unknown>)[k];
        if (!o || typeof o !== 'object' || Array.isArray(o)) o = doc;
        if (!o || typeof o !== 'object' || Array.isArray(o)) return doc;
        // defineProperty: a "__proto__" key becomes a real key, as a YAML parser would read it
        Object.defineProperty(o, op.key, { value: op.value, enumerable: true, configurable: true, writable: true });
        return doc;
      });
    case 'deep-nest': {
      if (op.flow) {
        // as text, so the depth is not limited by stringify: a value of [[[[...]]]]
        const lines = text.split('\n');
        const i = op.pick % lines.length;
        const m = /^(\s*(?:- )?[\w-]+:)/.exec(lines[i]);
        const value = '['.repeat(op.depth) + ']'.repeat(op.depth);
        lines[i] = m ? `${m[1]} ${value}` : value;
        return lines.join('\n');
      }
      return structural(text, op.pick, (doc, path) => setAt(doc, path, nested(Math.min(op.depth, 200))));
    }
    case 'bad-bytes': {
      const at = op.at % (text.length + 1);
      return text.slice(0, at) + BAD_BYTES + text.slice(at);
    }
    case 'template-bomb':
      return structural(text, op.pick, (doc, path) => setAt(doc, path, BOMBS[op.kind % BOMBS.length]));
    case 'prototype-name':
      return structural(text, op.pick, (doc, path) => setAt(doc, path, op.name));
    case 'alias-bomb': {
      // a small "billion laughs": each level repeats the previous one `width` times
      const lines = ['bomb0: &b0 [lol, lol]'];
      for (let i = 1; i < 10; i++) lines.push(`bomb${i}: &b${i} [${Array.from({ length: op.width }, () => `*b${i - 1}`).join(', ')}]`);
      return `${text.replace(/\n*$/, '\n')}${lines.join('\n')}\n`;
    }
  }
}

export const applyCase = (text: string, c: Case): string => c.ops.reduce(applyOp, text);

/** a short description of a case for failure messages (long values elided) */
export function describeCase(c: Case): string {
  return JSON.stringify(c, (_k, v: unknown) => (typeof v === 'string' && v.length > 40 ? `${v.slice(0, 40)}...(${v.length})` : v));
}
