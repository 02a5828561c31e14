// Files that ship with kfup (schemas, templates, playbooks) are found relative to the package
// root: the nearest folder above this file that holds kfup's package.json. This file runs from
// src/runner/load (tests), dist/runner/load (the compiled tree) and dist/bundle (the CLI).
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import type { JSONSchema } from '../types.js';
import { tagSchema } from './schema-key.js';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas', 'playbook.schema.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`kfup's package root not found above ${from}`);
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

export const packagePath = (...parts: string[]): string => join(packageRoot, ...parts);

const schemaCache = new Map<string, JSONSchema>();

/** the parameters schema of a task type, schemas/tasks/<name>.schema.json */
export function loadTaskSchema(name: string): JSONSchema {
  let s = schemaCache.get(name);
  if (!s) {
    s = JSON.parse(readFileSync(packagePath('schemas', 'tasks', `${name}.schema.json`), 'utf8')) as JSONSchema;
    tagSchema(s, `task:${name}`);
    schemaCache.set(name, s);
  }
  return s;
}

/** a task type's schema that does not come from schemas/tasks/ (see registerTaskType) */
export function registerSchema(name: string, schema: JSONSchema): void {
  schemaCache.set(name, schema);
}

export function loadSchema(file: string): JSONSchema {
  let s = schemaCache.get(file);
  if (!s) {
    s = JSON.parse(readFileSync(packagePath('schemas', file), 'utf8')) as JSONSchema;
    tagSchema(s, `file:${file}`);
    schemaCache.set(file, s);
  }
  return s;
}
