// JSON Schema validation with ajv, turned into errors that name the file:line:col of the bad
// value, say what is wrong in playbook terms, and suggest a fix. Shipped schemas use validators
// precompiled at build time (scripts/compile-schemas.js); ajv itself is loaded only for the rest.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { UserError, didYouMean } from '../errors.js';
import { positionOf, type SourceFile, type YamlPath } from './source.js';
import { isUnknown } from '../types.js';
import { packagePath } from './package-root.js';
import { ajvOptions, schemaHash, schemaKey } from './schema-key.js';

const require = createRequire(import.meta.url);

let ajv: Ajv | undefined;
export function getAjv(): Ajv {
  if (!ajv) {
    const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
    const formats = require('ajv-formats') as { default?: (a: Ajv) => void } & ((a: Ajv) => void);
    ajv = new AjvClass({ ...ajvOptions });
    (formats.default ?? formats)(ajv);
  }
  return ajv;
}

let precompiled: Record<string, { file: string; hash: string }> | undefined;
function precompiledFor(schema: object): ValidateFunction | undefined {
  const key = schemaKey(schema);
  if (!key) return undefined;
  if (!precompiled) {
    const index = packagePath('dist', 'validators', 'index.json');
    precompiled = existsSync(index) ? (JSON.parse(readFileSync(index, 'utf8')) as typeof precompiled) : {};
  }
  const entry = precompiled![key];
  // a schema edited since the build is compiled afresh rather than checked by a stale validator
  if (!entry || entry.hash !== schemaHash(schema)) return undefined;
  const mod = require(packagePath('dist', 'validators', entry.file)) as ValidateFunction & { default?: ValidateFunction };
  return mod.default ?? mod;
}

const cache = new WeakMap<object, ValidateFunction>();
export function compileSchema(schema: object): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    fn = precompiledFor(schema) ?? getAjv().compile(schema);
    cache.set(schema, fn);
  }
  return fn;
}

const pointerToPath = (ptr: string): YamlPath =>
  ptr
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : typeof v);

function valueAt(root: unknown, path: YamlPath): unknown {
  let cur = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** is there an Unknown at or above this path? (those values are checked again once known) */
function underUnknown(root: unknown, path: YamlPath): boolean {
  let cur = root;
  if (isUnknown(cur)) return true;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return false;
    cur = (cur as Record<string | number, unknown>)[seg];
    if (isUnknown(cur)) return true;
  }
  return false;
}

export interface SchemaIssue {
  /** path within the validated value */
  path: YamlPath;
  /** true when the position should be the key (unknown parameter) rather than the value */
  atKey: boolean;
  message: string;
  hint?: string;
}

/** the ajv errors of one validation, made readable; noise from oneOf/anyOf branches is dropped */
export function describeErrors(errors: ErrorObject[], value: unknown, label: (path: YamlPath) => string): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if' || e.keyword === 'not' || e.keyword === 'propertyNames') continue;
    const path = pointerToPath(e.instancePath);
    const propertyName = (e as { propertyName?: string }).propertyName;
    if (propertyName !== undefined) {
      // a bad key (propertyNames): point at the key itself
      const desc = (e.parentSchema as { description?: string } | undefined)?.description;
      const key = `${e.instancePath}/${propertyName}|name`;
      if (!seen.has(key)) {
        seen.add(key);
        issues.push({ path: [...path, propertyName], atKey: true, message: `${label(path)} has an invalid name "${propertyName}"`, hint: desc });
      }
      continue;
    }
    if (underUnknown(value, path)) continue;
    let issue: SchemaIssue;
    const here = label(path);
    // the parameters ajv documents per keyword (https://ajv.js.org/api.html#error-parameters); each is read only under its keyword
    const params = e.params as { missingProperty: string; additionalProperty: string; type: string | string[]; allowedValues: unknown[]; pattern: string };
    switch (e.keyword) {
      case 'required':
        issue = { path, atKey: false, message: `${here} is missing the required "${params.missingProperty}"` };
        break;
      case 'additionalProperties': {
        const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        const extra = params.additionalProperty;
        issue = {
          path: [...path, extra],
          atKey: true,
          message: `unknown key "${extra}" in ${here}`,
          hint: didYouMean(extra, known) ?? (known.length ? `allowed: ${known.join(', ')}` : undefined),
        };
        break;
      }
      case 'type': {
        const v = valueAt(value, path);
        issue = { path, atKey: false, message: `${here} must be ${String(params.type).replace(',', ' or ')}, not ${typeName(v)}` };
        if (typeof v === 'string' && /^\{\{/.test(v) === false && params.type === 'boolean') issue.hint = 'write true or false without quotes';
        break;
      }
      case 'enum': {
        const allowed = params.allowedValues.map((a) => JSON.stringify(a));
        const v = valueAt(value, path);
        issue = {
          path,
          atKey: false,
          message: `${here} must be one of ${allowed.join(', ')}`,
          hint: typeof v === 'string' ? didYouMean(v, params.allowedValues.map(String)) : undefined,
        };
        break;
      }
      case 'pattern': {
        const desc = (e.parentSchema as { description?: string } | undefined)?.description;
        issue = { path, atKey: false, message: `${here} has an invalid value ${JSON.stringify(valueAt(value, path))}`, hint: desc ?? `it must match ${params.pattern}` };
        break;
      }
      default:
        issue = { path, atKey: false, message: `${here} ${e.message ?? 'is invalid'}` };
    }
    const key = `${issue.path.join('/')}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

/** validate and turn every issue into a UserError located in the source file */
export function validateAt(
  schema: object,
  value: unknown,
  src: SourceFile,
  basePath: YamlPath,
  label: (path: YamlPath) => string,
): UserError[] {
  const fn = compileSchema(schema);
  if (fn(value)) return [];
  return describeErrors(fn.errors ?? [], value, label).map(
    (i) => new UserError(i.message, { pos: positionOf(src, [...basePath, ...i.path], i.atKey), hint: i.hint }),
  );
}
