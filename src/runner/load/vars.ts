// Variables and their precedence, lowest first: task-type defaults (schema defaults, applied at
// validation), playbook vars, the environment file, --vars-file files in order, --var. Each value
// remembers where it came from, for `kfup vars` and for errors that point at the definition.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYamlValue } from 'yaml';
import { UserError, UserErrors, didYouMean } from '../errors.js';
import { loadYamlFile, positionIn, positionOf, type SourceFile, type YamlPath } from './source.js';
import { validateAt } from './validate.js';
import { loadSchema } from './package-root.js';
import { renderDeep, TemplateError } from '../template/template.js';
import type { Playbook } from './playbook.js';
import type { Targets } from '../types.js';

export interface VarEntry {
  value: unknown;
  /** "playbook", "environment staging", "vars-file ./x.yaml", "--var" */
  source: string;
  src?: SourceFile;
  path?: YamlPath;
}

export interface VarInputs {
  env?: string;
  varsFiles?: string[];
  vars?: string[];
}

export interface ResolvedInputs {
  vars: Map<string, VarEntry>;
  targets: Targets;
  secrets: Set<string>;
  envName?: string;
  envFile?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** how `kfup init` writes a value still to be filled in: "FILL IN: what goes here (e.g. ...)" */
export const PLACEHOLDER = 'FILL IN: ';

/** every variable whose value is still an init placeholder: one error each, saying what to put there */
function placeholderErrors(vars: Map<string, VarEntry>): UserError[] {
  const errors: UserError[] = [];
  for (const [name, e] of vars) {
    if (typeof e.value !== 'string' || !e.value.startsWith(PLACEHOLDER)) continue;
    errors.push(
      new UserError(`variable "${name}" (${e.source}) still has the placeholder kfup init wrote`, {
        pos: e.src && e.path ? positionOf(e.src, e.path) : undefined,
        hint: `replace it with ${e.value.slice(PLACEHOLDER.length)}`,
      }),
    );
  }
  return errors;
}

/** `--var key=value`: the value is read as a YAML scalar, so 3 is a number and true a boolean */
export function parseVarArg(arg: string): [string, unknown] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UserError(`bad --var "${arg}": expected key=value`, { hint: 'for example --var region=us-west-2' });
  const key = arg.slice(0, eq).trim();
  if (!NAME.test(key)) throw new UserError(`bad --var "${arg}": "${key}" is not a variable name`, { hint: 'names start with a letter or _ and hold letters, digits and _' });
  const raw = arg.slice(eq + 1);
  let value: unknown;
  try {
    value = raw === '' ? '' : parseYamlValue(raw, { version: '1.2', schema: 'core', logLevel: 'error' });
  } catch {
    value = raw;
  }
  if (value !== null && typeof value === 'object') value = raw; // structures come from files, not flags
  return [key, value];
}

/** the environment files beside a playbook: environments/NAME.yaml */
export function listEnvironments(playbookDir: string): string[] {
  const dir = join(playbookDir, 'environments');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f: string) => /\.ya?ml$/.test(f))
    .map((f: string) => basename(f, extname(f)))
    .sort();
}

export function environmentPath(playbookDir: string, env: string): string {
  if (/\.ya?ml$/.test(env) || env.includes('/')) return isAbsolute(env) ? env : resolve(env);
  const yaml = join(playbookDir, 'environments', `${env}.yaml`);
  return existsSync(yaml) || !existsSync(join(playbookDir, 'environments', `${env}.yml`)) ? yaml : join(playbookDir, 'environments', `${env}.yml`);
}

function addAll(into: Map<string, VarEntry>, obj: Record<string, unknown>, source: string, src: SourceFile | undefined, base: YamlPath): void {
  for (const [k, v] of Object.entries(obj)) into.set(k, { value: v, source, src, path: [...base, k] });
}

function mergeTargets(a: Targets, b: Targets | undefined): Targets {
  if (!b) return a;
  const clusters = { ...(a.clusters ?? {}) };
  for (const [name, c] of Object.entries(b.clusters ?? {})) clusters[name] = { ...(clusters[name] ?? {}), ...c };
  return { aws: { ...(a.aws ?? {}), ...(b.aws ?? {}) }, clusters };
}

interface EnvironmentFile {
  vars?: Record<string, unknown>;
  targets?: Targets;
  secrets?: string[];
  extends?: string;
}

/**
 * An environment file and the files it extends (`extends: base.yaml`, relative to the file),
 * base first. `via` names the files between the one selected and this one, for `kfup vars`.
 * A file that extends itself, directly or not, is refused with the chain.
 */
export function environmentChain(file: string): { src: SourceFile; env: EnvironmentFile; via: string[] }[] {
  const levels: { src: SourceFile; env: EnvironmentFile; via: string[] }[] = [];
  const seen: string[] = [];
  let current = resolve(file);
  let from: { src: SourceFile } | undefined;
  for (;;) {
    // the selected file as it was named; the files it extends relative to the working directory
    const shown = from ? relative(process.cwd(), current) || current : file;
    if (seen.includes(current)) {
      const chain = [...seen.slice(seen.indexOf(current)), current].map((f) => relative(process.cwd(), f) || f);
      throw new UserError(`environment files extend each other in a cycle: ${chain.join(' → ')}`, {
        pos: from ? positionOf(from.src, ['extends']) : undefined,
        hint: 'one of them must not extend another; put what they share in a base file',
      });
    }
    if (from && !existsSync(current)) {
      throw new UserError(`extends: ${shown} does not exist`, { pos: positionOf(from.src, ['extends']), hint: 'the path is relative to the file that extends it' });
    }
    seen.push(current);
    const src = loadYamlFile(current, shown);
    const value = src.value ?? {};
    const errors = validateAt(loadSchema('environment.schema.json'), value, src, [], (p) => (p.length ? `"${p.join('.')}"` : 'the environment file'));
    if (errors.length) throw new UserErrors(errors);
    const env = value as EnvironmentFile;
    levels.unshift({ src, env, via: seen.slice(1).map((f) => basename(f)) });
    if (!env.extends) break;
    from = { src };
    current = resolve(dirname(current), env.extends);
  }
  return levels;
}

export function resolveInputs(pb: Playbook, inputs: VarInputs): ResolvedInputs {
  const vars = new Map<string, VarEntry>();
  const secrets = new Set(pb.secrets);
  addAll(vars, pb.vars, 'playbook', pb.src, ['vars']);
  let targets = pb.targets;
  let envFile: string | undefined;
  if (inputs.env) {
    envFile = environmentPath(pb.dir, inputs.env);
    if (!existsSync(envFile)) {
      const known = listEnvironments(pb.dir);
      throw new UserError(`unknown environment "${inputs.env}": ${envFile} does not exist`, {
        hint: didYouMean(inputs.env, known) ?? (known.length ? `environments beside this playbook: ${known.join(', ')}` : 'create it with `kfup init DIR`, or pass a path to a .yaml file'),
      });
    }
    // the chain from the file furthest up (the base) to the one named: each overrides the one it extends
    for (const level of environmentChain(envFile)) {
      const env = level.env;
      const source = level.via.length ? `environment ${inputs.env} → ${level.via.join(' → ')}` : `environment ${inputs.env}`;
      addAll(vars, env.vars ?? {}, source, level.src, ['vars']);
      targets = mergeTargets(targets, env.targets);
      for (const s of env.secrets ?? []) secrets.add(s);
    }
  }
  for (const f of inputs.varsFiles ?? []) {
    const src = loadYamlFile(f);
    const value = src.value ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new UserError(`vars file ${f} must be a mapping of variable names to values`, { pos: { file: f, line: 1, col: 1 } });
    }
    for (const k of Object.keys(value)) {
      if (!NAME.test(k)) throw new UserError(`vars file ${f}: "${k}" is not a variable name`, { pos: positionOf(src, [k], true), hint: 'names start with a letter or _ and hold letters, digits and _' });
    }
    addAll(vars, value as Record<string, unknown>, `vars-file ${f}`, src, []);
  }
  for (const a of inputs.vars ?? []) {
    const [k, v] = parseVarArg(a);
    vars.set(k, { value: v, source: '--var' });
  }
  const placeholders = placeholderErrors(vars);
  if (placeholders.length) throw new UserErrors(placeholders);
  return { vars, targets, secrets, envName: inputs.env, envFile };
}

/** the last rollback of the playbook's runs with the same environment (`run.last_rollback`) */
export interface LastRollback {
  /** the rollback's own run id */
  id: string;
  /** the run it rolled back */
  of: string;
  started: string;
  /** when it ended (its start when it has no end recorded) */
  ended: string;
  status: string;
}

export interface Builtins {
  /** last_rollback: null when no run of this playbook and environment was rolled back */
  run: { id: string; started: string; mode: string; last_rollback?: LastRollback | null };
  playbook: { dir: string; name: string; file: string };
}

/**
 * The data templates see. Variables may refer to other variables; each is rendered on first use
 * (cycles are an error) and cached for the life of one data object. Registered task results and
 * set-vars exports are added as the run goes.
 */
export class Scope {
  readonly registered = new Map<string, unknown>();
  /** register names that tasks skipped by --start-at-task left unknown, with why (for the error of a task that needs one) */
  readonly unrecovered = new Map<string, string>();
  private exported = new Map<string, VarEntry>();

  constructor(
    readonly vars: Map<string, VarEntry>,
    readonly builtins: Builtins,
  ) {}

  setVar(name: string, value: unknown, source: string): void {
    this.exported.set(name, { value, source });
  }

  register(name: string, value: unknown): void {
    this.registered.set(name, value);
  }

  entry(name: string): VarEntry | undefined {
    return this.exported.get(name) ?? this.vars.get(name);
  }

  names(): string[] {
    return [...new Set([...this.vars.keys(), ...this.exported.keys()])];
  }

  /**
   * A fresh data object for one render; `extra` (loop item) is visible too. `local` are the
   * variables of the `import: ... vars:` entries around a task: they are rendered against the
   * importing scope (so `namespace: "{{namespace}}-x"` reads the outer value) and hide it.
   */
  data(extra: Record<string, unknown> = {}, local?: Record<string, unknown>): Record<string, unknown> {
    if (local && Object.keys(local).length) {
      const outer = this.data(extra);
      const inner = this.data(extra);
      for (const [k, v] of Object.entries(local)) {
        let cached: { value: unknown } | undefined;
        Object.defineProperty(inner, k, {
          enumerable: true,
          configurable: true,
          get: () => {
            cached ??= { value: renderDeep(v, outer) };
            return cached.value;
          },
        });
      }
      return inner;
    }
    const data: Record<string, unknown> = {};
    const cache = new Map<string, unknown>();
    const resolving: string[] = [];
    const define = (name: string, get: () => unknown) => Object.defineProperty(data, name, { get, enumerable: true, configurable: true });
    for (const name of this.names()) {
      define(name, () => {
        if (cache.has(name)) return cache.get(name);
        if (resolving.includes(name)) {
          const entry = this.entry(name)!;
          throw new UserError(`variable "${name}" refers to itself (${[...resolving, name].join(' → ')})`, {
            pos: entry.src && entry.path ? positionOf(entry.src, entry.path) : undefined,
            hint: 'break the cycle: one of these must be a plain value',
          });
        }
        resolving.push(name);
        try {
          const entry = this.entry(name)!;
          let value: unknown;
          try {
            value = renderDeep(entry.value, data);
          } catch (e) {
            if (e instanceof TemplateError) {
              const sub = (e as TemplateError & { path?: YamlPath }).path ?? [];
              throw new UserError(`in variable "${name}" (${entry.source}): ${e.message}`, {
                pos: entry.src && entry.path ? positionIn(entry.src, [...entry.path, ...sub], e.offset) : undefined,
                hint: e.hint,
              });
            }
            throw e;
          }
          cache.set(name, value);
          return value;
        } finally {
          resolving.pop();
        }
      });
    }
    for (const [name, value] of this.registered) define(name, () => value);
    define('run', () => this.builtins.run);
    define('playbook', () => this.builtins.playbook);
    // environment variables, read only where a playbook names them
    define(
      'env',
      () =>
        new Proxy<Record<string, string>>({}, {
          get: (_t, p) => (typeof p === 'string' ? process.env[p] : undefined),
          has: (_t, p) => typeof p === 'string' && process.env[p] !== undefined,
          getOwnPropertyDescriptor: (_t, p) => (typeof p === 'string' && process.env[p] !== undefined ? { value: process.env[p], enumerable: true, configurable: true } : undefined),
        }),
    );
    for (const [k, v] of Object.entries(extra)) define(k, () => v);
    return data;
  }
}
