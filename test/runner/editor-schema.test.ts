// Issue 16, "the editor flags correct files": schemas/kfup.schema.json is what an editor's YAML
// language server checks a playbook against (`# yaml-language-server: $schema=...`). It is
// generated from combinedSchema(), so this test validates every shipped playbook and example with
// that same schema and plain ajv (draft-07, as yaml-language-server does) and expects no error,
// and checks that every field an editor completes has a description.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { builtinTasks } from '../../src/modules/index.js';
import { combinedSchema, taskFileSchema } from '../../src/runner/load/combined-schema.js';
import { loadSchema } from '../../src/runner/load/package-root.js';

const root = join(import.meta.dirname, '..', '..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

/** a fresh ajv, not kfup's (no defaults filled in, no precompiled validators): an editor's view */
function editorValidator(schema: object) {
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  return ajv.compile(schema);
}

const kfupSchema = combinedSchema(builtinTasks);
const playbookCheck = editorValidator(kfupSchema);
const environmentCheck = editorValidator(loadSchema('environment.schema.json'));
const taskFileCheck = editorValidator(taskFileSchema(builtinTasks));

// every YAML file under playbooks/: a playbook has tasks; a task file for import: is a list; an environment file sits in environments/
const files = yamlFiles(join(root, 'playbooks'))
  .map((f) => ({ file: relative(root, f), doc: parse(readFileSync(f, 'utf8')) as Record<string, unknown> | null }))
  .map(({ file, doc }) => ({ file, doc, kind: Array.isArray(doc) ? 'task file' : doc && 'tasks' in doc ? 'playbook' : /(^|\/)environments\//.test(file) ? 'environment' : 'other' }));

describe('every shipped playbook and example validates against the editor schema', () => {
  it('finds the shipped playbooks and environments', () => {
    expect(files.filter((f) => f.kind === 'playbook').length).toBeGreaterThanOrEqual(2);
    expect(files.filter((f) => f.kind === 'environment').length).toBeGreaterThanOrEqual(3);
    expect(files.filter((f) => f.kind === 'task file').length).toBeGreaterThanOrEqual(1);
  });
  for (const { file, doc, kind } of files.filter((f) => f.kind !== 'other')) {
    it(`${file} (${kind}): 0 errors`, () => {
      const check = kind === 'playbook' ? playbookCheck : kind === 'task file' ? taskFileCheck : environmentCheck;
      check(structuredClone(doc));
      expect((check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
    });
  }
});

describe('templates are accepted where the task type wants another type, the type is kept otherwise', () => {
  const pb = (params: Record<string, unknown>) => ({ name: 'p', tasks: [{ name: 't', 'velero-backup': params }] });
  it('a templated list, name and number pass', () => {
    expect(playbookCheck(pb({ name: '{{backup_name}}', included_namespaces: '{{namespaces}}', ttl: '{{ttl}}', cluster: 'blue' }))).toBe(true);
  });
  it('a literal of the wrong type still fails, as without templates', () => {
    expect(playbookCheck(pb({ name: 'ok-name', included_namespaces: 5, cluster: 'blue' }))).toBe(false);
    expect(playbookCheck(pb({ name: 'Not A Valid Name!', included_namespaces: ['a'], cluster: 'blue' }))).toBe(false);
  });
  it('an unknown parameter still fails', () => {
    expect(playbookCheck(pb({ name: 'x', included_namespaces: ['a'], cluster: 'blue', nope: 1 }))).toBe(false);
  });
});

/** every named field: properties of objects, in the playbook, the environment file and every task type */
function missingDescriptions(node: unknown, where: string, defs: Record<string, unknown>, out: string[], seen = new Set<unknown>()): string[] {
  if (!node || typeof node !== 'object' || seen.has(node)) return out;
  seen.add(node);
  const n = node as Record<string, unknown>;
  const described = (s: unknown): boolean => {
    if (!s || typeof s !== 'object') return true; // `true` schemas
    const o = s as Record<string, unknown>;
    if (typeof o.description === 'string' && o.description.length > 0) return true;
    const ref = o.$ref;
    return typeof ref === 'string' && described(defs[ref.split('/').pop()!]);
  };
  for (const [k, v] of Object.entries((n.properties as Record<string, unknown>) ?? {})) {
    if (!described(v)) out.push(`${where}.${k}`);
  }
  // a map's values are fields too when they have a structure of their own (tfvars-from-state.mappings.*);
  // a map of plain strings (labels, env) is described by the map itself
  const ap = n.additionalProperties as Record<string, unknown> | undefined;
  if (ap && typeof ap === 'object' && ['properties', 'oneOf', 'anyOf', 'items'].some((k) => k in ap) && !described(ap)) out.push(`${where}.*`);
  for (const [k, v] of Object.entries(n)) {
    if (Array.isArray(v)) v.forEach((x) => missingDescriptions(x, `${where}${k === 'oneOf' || k === 'anyOf' || k === 'allOf' ? '' : `.${k}`}`, defs, out, seen));
    else if (k === 'properties' || k === 'definitions') for (const [pk, pv] of Object.entries(v as Record<string, unknown>)) missingDescriptions(pv, `${where}.${pk}`, defs, out, seen);
    else if (k === 'additionalProperties') missingDescriptions(v, `${where}.*`, defs, out, seen);
    else if (k === 'items') missingDescriptions(v, `${where}[]`, defs, out, seen);
  }
  return out;
}

describe('every field has a description', () => {
  it('the editor schema (envelope and every task type)', () => {
    const defs = kfupSchema.definitions as Record<string, unknown>;
    expect(missingDescriptions(kfupSchema, 'playbook', defs, [])).toEqual([]);
  });
  it('the environment file schema', () => {
    expect(missingDescriptions(loadSchema('environment.schema.json'), 'environment', {}, [])).toEqual([]);
  });
  it('includes tfvars-from-state.mappings.* and the task-level retries, tags and ignore_errors', () => {
    const defs = kfupSchema.definitions as Record<string, Record<string, Record<string, { description?: string }>>>;
    for (const k of ['retries', 'tags', 'ignore_errors']) expect(defs.taskCommon.properties[k].description).toBeTruthy();
    // the field is wrapped as "its schema, or a template": its own schema is the first branch
    const mappings = defs['task-tfvars-from-state'].properties.mappings as unknown as { anyOf: { additionalProperties: { description?: string } }[] };
    expect(mappings.anyOf[0].additionalProperties.description).toBeTruthy();
  });
});
