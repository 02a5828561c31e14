// What a run was started from, recorded in its meta.json so that a resume can tell it is
// continuing the same run: the playbook and environment file (canonical path and content digest),
// the values given with --var and --vars-file (each digested with a salt of the run: a secret is
// never stored, only a keyed hash of it), and the kfup version.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { packagePath } from '../load/package-root.js';
import { canonicalPath } from './location.js';
import type { VarEntry } from '../load/vars.js';

export interface FileInput {
  path: string;
  digest: string;
}

export interface RunInputs {
  kfupVersion: string;
  playbook: FileInput;
  env?: FileInput;
  vars: { salt: string; digests: Record<string, string> };
}

let version: string | undefined;
export function kfupVersion(): string {
  version ??= (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  return version;
}

const sha = (text: string): string => 'sha256:' + createHash('sha256').update(text).digest('hex');

export function fileInput(file: string): FileInput {
  const path = canonicalPath(file);
  return { path, digest: sha(readFileSync(path, 'utf8')) };
}

const varDigest = (salt: string, value: unknown): string => createHmac('sha256', salt).update(JSON.stringify(value) ?? 'undefined').digest('hex').slice(0, 32);

/** the variables given on the command line (--var) or in --vars-file files */
function givenVars(vars: Map<string, VarEntry>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, e] of vars) if (e.source === '--var' || e.source.startsWith('vars-file ')) out.set(k, e.value);
  return out;
}

export function runInputs(playbookFile: string, envFile: string | undefined, vars: Map<string, VarEntry>, salt = randomBytes(12).toString('hex')): RunInputs {
  const digests: Record<string, string> = {};
  for (const [k, v] of givenVars(vars)) digests[k] = varDigest(salt, v);
  return { kfupVersion: kfupVersion(), playbook: fileInput(playbookFile), env: envFile ? fileInput(envFile) : undefined, vars: { salt, digests } };
}

/** how the inputs of a resume differ from the run's, one line each (none: the same run) */
export function inputDifferences(was: RunInputs, playbookFile: string, envFile: string | undefined, vars: Map<string, VarEntry>, shared = false): string[] {
  const now = runInputs(playbookFile, envFile, vars, was.vars.salt);
  was = structuredClone(was);
  // state shared between machines: the same file has another path on each, so names are compared
  if (shared) {
    for (const r of [was, now]) {
      r.playbook = { ...r.playbook, path: basename(r.playbook.path) };
      if (r.env) r.env = { ...r.env, path: basename(r.env.path) };
    }
  }
  const out: string[] = [];
  if (was.playbook.path !== now.playbook.path) out.push(`the playbook: the run was of ${was.playbook.path}, this is ${now.playbook.path}`);
  else if (was.playbook.digest !== now.playbook.digest) out.push(`the playbook ${now.playbook.path} was edited since the run started`);
  if ((was.env?.path ?? '') !== (now.env?.path ?? '')) out.push(`the environment: the run used ${was.env?.path ?? 'none'}, this is ${now.env?.path ?? 'none'}`);
  else if (was.env && now.env && was.env.digest !== now.env.digest) out.push(`the environment file ${now.env.path} was edited since the run started`);
  const names = new Set([...Object.keys(was.vars.digests), ...Object.keys(now.vars.digests)]);
  const changed: string[] = [];
  for (const n of [...names].sort()) {
    const a = was.vars.digests[n];
    const b = now.vars.digests[n];
    if (a === b) continue;
    changed.push(a === undefined ? `${n} (not given to the run)` : b === undefined ? `${n} (given to the run, missing now)` : `${n} (another value)`);
  }
  if (changed.length) out.push(`--var/--vars-file values: ${changed.join(', ')}`);
  if (was.kfupVersion !== now.kfupVersion) out.push(`kfup: the run was started by ${was.kfupVersion}, this is ${now.kfupVersion}`);
  return out;
}
