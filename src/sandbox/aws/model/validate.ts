// Judges a decoded value against a model shape: required members, types, enums, lengths and
// counts, ranges and patterns. The checks and their wording follow the validation errors AWS
// services answer with ("1 validation error detected: Value 'x' at 'roleName' failed to satisfy
// constraint: Member must have length less than or equal to 64"), e.g. in
// https://github.com/awslabs/aws-transit-vpc/issues/32 and https://github.com/aws/aws-sdk-js/issues/3710.
import { modelPattern } from './pattern.js';
import type { MemberRef, ServiceModel, Shape } from './types.js';

export type ViolationKind = 'required' | 'type' | 'enum' | 'length' | 'range' | 'pattern' | 'unknown';

export interface Violation {
  kind: ViolationKind;
  /** the member's path as AWS writes it: lower-camel names, list items as `N.member` */
  path: string;
  /** the offending value as text (undefined for a missing member or a sensitive one) */
  value?: string;
  /** the constraint, AWS's wording ("Member must not be null") */
  constraint: string;
  /** the member's wire name (EC2 and query errors name the parameter as sent) */
  wireName?: string;
}

export interface ValidateOptions {
  /** scalars arrive as text (query, XML, URI, headers) rather than JSON values */
  text: boolean;
  /** check lengths, ranges and patterns too (requests); responses are held to types, required and enums */
  constraints: boolean;
  /** top-level members that arrive as text whatever `text` says (REST members bound to the URI, query string or headers) */
  textMembers?: Set<string>;
}

const lowerFirst = (s: string) => (s ? s[0].toLowerCase() + s.slice(1) : s);
const join = (path: string, name: string) => (path ? `${path}.${lowerFirst(name)}` : lowerFirst(name));
const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

const INT = /^-?\d+$/;
const NUM = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^(NaN|Infinity|-Infinity)$/;

export function validateShape(model: ServiceModel, shapeName: string, value: unknown, opts: ValidateOptions, path = ''): Violation[] {
  const out: Violation[] = [];
  check(model, model.shapes[shapeName], value, path, opts, out, undefined);
  return out;
}

function check(model: ServiceModel, shape: Shape, value: unknown, path: string, opts: ValidateOptions, out: Violation[], wireName: string | undefined): void {
  const sensitive = shape.sensitive;
  const bad = (kind: ViolationKind, constraint: string): void => {
    out.push({ kind, path, value: sensitive ? undefined : show(value), constraint, wireName });
  };
  switch (shape.type) {
    case 'structure': {
      if (!isObject(value)) return bad('type', 'Member must be a structure');
      const v = value as Record<string, unknown>;
      for (const name of shape.required ?? []) {
        if (v[name] === undefined || v[name] === null) {
          const ref = shape.members![name];
          out.push({ kind: 'required', path: join(path, name), constraint: 'Member must not be null', wireName: ref.queryName ?? ref.locationName ?? name });
        }
      }
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        if (v[name] === undefined || v[name] === null) continue;
        const memberOpts = path === '' && opts.textMembers?.has(name) ? { ...opts, text: true } : opts;
        check(model, model.shapes[ref.shape], v[name], join(path, name), memberOpts, out, memberWireName(ref, name));
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) return bad('type', 'Member must be a list');
      count(shape, value.length, path, out, opts, wireName);
      value.forEach((item, i) => check(model, model.shapes[shape.member!.shape], item, `${path}.${i + 1}.member`, opts, out, wireName));
      return;
    }
    case 'map': {
      if (!isObject(value)) return bad('type', 'Member must be a map');
      const entries = Object.entries(value as Record<string, unknown>);
      count(shape, entries.length, path, out, opts, wireName);
      for (const [k, v] of entries) {
        check(model, model.shapes[shape.key!.shape], k, `${path}.key`, opts, out, wireName);
        check(model, model.shapes[shape.value!.shape], v, `${path}.${k}`, opts, out, wireName);
      }
      return;
    }
    case 'string':
    case 'blob': {
      if (typeof value !== 'string') return bad('type', `Member must be a ${shape.type}`);
      if (shape.enum && !shape.enum.includes(value)) bad('enum', `Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      if (!opts.constraints || shape.type === 'blob') return;
      const len = [...value].length;
      if (shape.min !== undefined && len < shape.min) bad('length', `Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && len > shape.max) bad('length', `Member must have length less than or equal to ${shape.max}`);
      if (shape.pattern !== undefined) {
        const re = modelPattern(shape.pattern);
        if (re && !re.test(value)) bad('pattern', `Member must satisfy regular expression pattern: ${shape.pattern}`);
      }
      return;
    }
    case 'boolean': {
      const ok = opts.text ? value === 'true' || value === 'false' : typeof value === 'boolean';
      if (!ok) bad('type', 'Member must be a boolean');
      return;
    }
    case 'integer':
    case 'long':
    case 'float':
    case 'double': {
      const whole = shape.type === 'integer' || shape.type === 'long';
      let n: number;
      if (opts.text) {
        if (typeof value !== 'string' || !(whole ? INT : NUM).test(value.trim())) return bad('type', `Member must be ${whole ? 'an integer' : 'a number'}`);
        n = Number(value);
      } else {
        if (typeof value !== 'number' || (whole && !Number.isInteger(value))) return bad('type', `Member must be ${whole ? 'an integer' : 'a number'}`);
        n = value;
      }
      if (shape.type === 'integer' && (n > 2 ** 31 - 1 || n < -(2 ** 31))) return bad('type', 'Member must be a 32-bit integer');
      if (!opts.constraints) return;
      if (shape.min !== undefined && n < shape.min) bad('range', `Member must have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && n > shape.max) bad('range', `Member must have value less than or equal to ${shape.max}`);
      return;
    }
    case 'timestamp': {
      // JSON protocols send epoch seconds; XML, query strings and headers send dates as text
      const ok = opts.text ? typeof value === 'string' && (!Number.isNaN(Date.parse(value)) || NUM.test(value)) : typeof value === 'number';
      if (!ok) bad('type', 'Member must be a timestamp');
      return;
    }
  }
}

function count(shape: Shape, n: number, path: string, out: Violation[], opts: ValidateOptions, wireName: string | undefined): void {
  if (!opts.constraints) return;
  if (shape.min !== undefined && n < shape.min) out.push({ kind: 'length', path, constraint: `Member must have length greater than or equal to ${shape.min}`, wireName });
  if (shape.max !== undefined && n > shape.max) out.push({ kind: 'length', path, constraint: `Member must have length less than or equal to ${shape.max}`, wireName });
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

function memberWireName(ref: MemberRef, name: string): string {
  return ref.queryName ?? ref.locationName ?? name;
}

/** AWS's one-line summary of a request's violations */
export function validationMessage(violations: Violation[]): string {
  const parts = violations.map((v) => `Value ${v.value === undefined ? 'null' : `'${v.value}'`} at '${v.path}' failed to satisfy constraint: ${v.constraint}`);
  return `${violations.length} validation error${violations.length === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}
