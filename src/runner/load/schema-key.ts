// Which shipped schema an object is (so a precompiled validator can stand in for compiling it),
// and the ajv options both the build and the run time use.
import { createHash } from 'node:crypto';

export const ajvOptions = { allErrors: true, useDefaults: true, strict: false, allowUnionTypes: true, verbose: true } as const;

const keys = new WeakMap<object, string>();

export function tagSchema(schema: object, key: string): void {
  keys.set(schema, key);
}

export const schemaKey = (schema: object): string | undefined => keys.get(schema);

export const schemaHash = (schema: unknown): string => createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 16);
