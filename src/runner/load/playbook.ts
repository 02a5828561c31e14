// Loads a playbook file into tasks that remember where they were written. Validation is two-step
// so that messages are precise: the envelope here, the parameters of each task's one task-type key
// against that type's schema later, after rendering (see plan.ts).
import { dirname, relative, resolve } from 'node:path';
import { UserError, UserErrors, didYouMean } from '../errors.js';
import { loadYamlFile, positionOf, type SourceFile, type YamlPath } from './source.js';
import { validateAt } from './validate.js';
import { loadSchema } from './package-root.js';
import { parseDuration } from './duration.js';
import type { SourcePos } from '../errors.js';
import type { Applied, Targets } from '../types.js';

export const CONTROL_KEYS = new Set([
  'name',
  'id',
  'when',
  'register',
  'tags',
  'loop',
  'retries',
  'delay',
  'timeout',
  'ignore_errors',
  'parallel',
  'block',
  'import',
  'vars',
]);

export interface TaskDef {
  /** position in the playbook: tasks.3 or tasks.5.parallel.1 */
  path: YamlPath;
  /** 1-based ordinal in the flattened task list, for messages and --start-at-task */
  index: number;
  name: string;
  id?: string;
  /** the task type (YAML key), absent for a parallel block */
  type?: string;
  params?: unknown;
  when?: string | boolean;
  register?: string;
  tags: string[];
  loop?: unknown;
  retries: number;
  delayMs: number;
  timeoutMs?: number;
  ignoreErrors: boolean;
  /** the tasks of a parallel block (run concurrently) */
  parallel?: TaskDef[];
  /** the tasks of a block (run in order; a block inside a parallel block is one concurrent branch) */
  block?: TaskDef[];
  pos: SourcePos;
  /** the file the task is written in, when not the playbook itself (an imported task file) */
  src?: SourceFile;
  /** an `import:` entry: the imported file, shown by list-tasks (the tasks are its block) */
  imported?: string;
  /** variables of the enclosing `import: ... vars:` entries, innermost last; rendered in the importing scope */
  vars?: Record<string, unknown>;
  /** a rollback step: the applied task whose revert this runs (rollback builds these, never a playbook) */
  revertOf?: Applied;
}

export interface Playbook {
  src: SourceFile;
  file: string;
  dir: string;
  name: string;
  description?: string;
  targets: Targets;
  vars: Record<string, unknown>;
  secrets: string[];
  tasks: TaskDef[];
}

/** the file a task was written in: an imported task file, or the playbook */
export const sourceOf = (pb: { src: SourceFile }, t: TaskDef): SourceFile => t.src ?? pb.src;

/** the tasks of a parallel block or block, if this is one */
export const childrenOf = (t: TaskDef): TaskDef[] | undefined => t.parallel ?? t.block;

/** every task, with parallel blocks and blocks expanded, in order */
export function flatten(tasks: TaskDef[]): TaskDef[] {
  return tasks.flatMap((t) => {
    const kids = childrenOf(t);
    return kids ? [t, ...flatten(kids)] : [t];
  });
}

export function loadPlaybook(file: string, knownTypes: string[]): Playbook {
  const src = loadYamlFile(file);
  const value = src.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError('a playbook must be a YAML mapping with name and tasks', {
      pos: { file: src.path, line: 1, col: 1 },
      hint: 'start from playbooks/examples/example.yaml, or run `kfup schema` for the format',
    });
  }
  const envelope = loadSchema('playbook.schema.json');
  const errors = validateAt(envelope, value, src, [], (p) => describePath(p));
  if (errors.length) throw new UserErrors(errors);
  // the envelope schema has checked these fields' types
  const pb = value as { name: string; description?: string; tasks: unknown[]; targets?: Targets; vars?: Record<string, unknown>; secrets?: string[] };
  const ctx: ReadContext = { knownTypes, counter: { n: 0 }, errors, chain: [resolve(file)], playbookSrc: src };
  const tasks = pb.tasks.map((t, i) => readTask(src, t as Record<string, unknown>, ['tasks', i], ctx, undefined));
  if (errors.length) throw new UserErrors(errors);
  checkUnique(src, flatten(tasks), errors);
  if (errors.length) throw new UserErrors(errors);
  return {
    src,
    file: resolve(file),
    dir: dirname(resolve(file)),
    name: pb.name,
    description: pb.description,
    targets: pb.targets ?? {},
    vars: pb.vars ?? {},
    secrets: pb.secrets ?? [],
    tasks,
  };
}

/** a path as a user reads it: "task 3 (Back up user namespaces) velero-backup.ttl" */
export function describePath(path: YamlPath): string {
  if (path.length === 0) return 'the playbook';
  const parts: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (seg === 'tasks' && typeof path[i + 1] === 'number') {
      parts.push(`tasks[${path[i + 1]}]`);
      i++;
    } else if (typeof seg === 'number') parts.push(`[${seg}]`);
    else parts.push(parts.length ? `.${seg}` : seg);
  }
  return `"${parts.join('').replace(/\.\[/g, '[')}"`;
}

interface ReadContext {
  knownTypes: string[];
  counter: { n: number };
  errors: UserError[];
  /** the files being imported, outermost first: an import of one of them is a cycle */
  chain: string[];
  playbookSrc: SourceFile;
}

/** what a task and an import entry both carry: where it is, its name and id, when and tags, and the file and import vars it came with */
function entryOf(
  src: SourceFile,
  t: Record<string, unknown>,
  path: YamlPath,
  ctx: ReadContext,
  e: { index: number; name: string; pos: TaskDef['pos']; vars: Record<string, unknown> | undefined },
): Pick<TaskDef, 'path' | 'index' | 'name' | 'id' | 'when' | 'tags' | 'pos' | 'src' | 'vars'> {
  return {
    path,
    index: e.index,
    name: e.name,
    id: t.id as string | undefined,
    when: t.when as string | boolean | undefined,
    tags: (t.tags as string[] | undefined) ?? [],
    pos: e.pos,
    ...(src !== ctx.playbookSrc ? { src } : {}),
    ...(e.vars ? { vars: e.vars } : {}),
  };
}

function readTask(src: SourceFile, t: Record<string, unknown>, path: YamlPath, ctx: ReadContext, vars: Record<string, unknown> | undefined): TaskDef {
  const { knownTypes, counter, errors } = ctx;
  if (t.import !== undefined) return readImport(src, t, path, ctx, vars);
  const pos = positionOf(src, path);
  const index = ++counter.n;
  const typeKeys = Object.keys(t).filter((k) => !CONTROL_KEYS.has(k));
  const name = String(t.name);
  const base: TaskDef = {
    ...entryOf(src, t, path, ctx, { index, name, pos, vars }),
    register: t.register as string | undefined,
    loop: t.loop,
    retries: (t.retries as number | undefined) ?? 0,
    delayMs: 5000,
    ignoreErrors: (t.ignore_errors as boolean | undefined) ?? false,
  };
  if (t.vars !== undefined) {
    errors.push(new UserError(`task "${name}": vars belong to an import`, { pos: positionOf(src, [...path, 'vars'], true), hint: 'set variables in the playbook, an environment file or with set-vars; `vars:` parameterises an `import:` entry' }));
  }
  for (const key of ['delay', 'timeout'] as const) {
    const text = t[key];
    if (typeof text === 'string') {
      try {
        const ms = parseDuration(text);
        if (key === 'delay') base.delayMs = ms;
        else base.timeoutMs = ms;
      } catch (e) {
        errors.push(new UserError(`task "${name}": ${(e as Error).message}`, { pos: positionOf(src, [...path, key]), hint: 'use a number and a unit: 500ms, 90s, 45m, 2h, 1h30m' }));
      }
    }
  }
  if (t.parallel !== undefined && t.block !== undefined) {
    errors.push(new UserError(`task "${name}" is both a parallel block and a block`, { pos: positionOf(src, [...path, 'block'], true), hint: 'nest one inside the other' }));
    return base;
  }
  for (const kind of ['parallel', 'block'] as const) {
    if (t[kind] === undefined) continue;
    if (typeKeys.length) {
      errors.push(new UserError(`task "${name}": a ${kind === 'parallel' ? 'parallel block' : 'block'} cannot also have a task type (${typeKeys.join(', ')})`, { pos: positionOf(src, [...path, typeKeys[0]], true), hint: `move the task into the ${kind} list` }));
    }
    base[kind] = (t[kind] as unknown[]).map((c, i) => readTask(src, c as Record<string, unknown>, [...path, kind, i], ctx, vars));
    return base;
  }
  if (typeKeys.length === 0) {
    errors.push(new UserError(`task "${name}" has no task type`, { pos, hint: `add one of: ${knownTypes.join(', ')}` }));
    return base;
  }
  if (typeKeys.length > 1) {
    const unknown = typeKeys.filter((k) => !knownTypes.includes(k));
    const known = typeKeys.filter((k) => knownTypes.includes(k));
    if (unknown.length && known.length <= 1) {
      // one real type plus a stray key: most likely a misspelt control key such as "retry"
      const stray = unknown[0];
      errors.push(
        new UserError(`task "${name}": unknown key "${stray}"`, {
          pos: positionOf(src, [...path, stray], true),
          hint: didYouMean(stray, [...CONTROL_KEYS, ...knownTypes]) ?? `a task has one task type and the keys ${[...CONTROL_KEYS].join(', ')}`,
        }),
      );
    } else {
      errors.push(
        new UserError(`task "${name}" has ${typeKeys.length} task types (${typeKeys.join(', ')}); a task has exactly one`, {
          pos: positionOf(src, [...path, typeKeys[1]], true),
          hint: 'split it into one task per type',
        }),
      );
    }
    return base;
  }
  const type = typeKeys[0];
  if (!knownTypes.includes(type)) {
    errors.push(
      new UserError(`unknown task type "${type}"`, {
        pos: positionOf(src, [...path, type], true),
        hint: didYouMean(type, [...knownTypes, ...CONTROL_KEYS]) ?? `known task types: ${knownTypes.join(', ')} (see \`kfup modules\`)`,
      }),
    );
    return base;
  }
  base.type = type;
  base.params = t[type] ?? {};
  return base;
}

// the shape of an imported task file: a list of tasks, each as in a playbook (draft-07, so the
// playbook schema's definitions are reused as they are)
let importSchema: object | undefined;
function importedTasksSchema(): object {
  const envelope = loadSchema('playbook.schema.json');
  importSchema ??= { $schema: envelope.$schema, definitions: envelope.definitions, type: 'array', minItems: 1, items: { $ref: '#/definitions/taskOrBlock' }, description: 'A task file for import: a list of tasks.' };
  return importSchema;
}

/**
 * `- import: tasks/backup.yaml` (optionally with name, vars, when, tags): the file's tasks, read
 * and checked now with the importing file, become one block. Their errors name the imported file.
 */
function readImport(src: SourceFile, t: Record<string, unknown>, path: YamlPath, ctx: ReadContext, outer: Record<string, unknown> | undefined): TaskDef {
  const rel = String(t.import);
  const pos = positionOf(src, path);
  const index = ++ctx.counter.n;
  const name = typeof t.name === 'string' ? t.name : `import ${rel}`;
  const vars = t.vars && typeof t.vars === 'object' ? { ...(outer ?? {}), ...(t.vars as Record<string, unknown>) } : outer;
  const base: TaskDef = {
    ...entryOf(src, t, path, ctx, { index, name, pos, vars }),
    retries: 0,
    delayMs: 0,
    ignoreErrors: false,
    imported: rel,
    block: [],
  };
  const stray = Object.keys(t).filter((k) => !['import', 'name', 'id', 'vars', 'when', 'tags'].includes(k));
  if (stray.length) {
    ctx.errors.push(new UserError(`import of ${rel}: "${stray[0]}" cannot be set on an import`, { pos: positionOf(src, [...path, stray[0]], true), hint: 'an import takes name, id, vars, when and tags; set the rest on the imported tasks' }));
    return base;
  }
  const file = resolve(dirname(src.path), rel);
  const display = relative(process.cwd(), file) || file;
  if (ctx.chain.includes(file)) {
    const names = [...ctx.chain.slice(ctx.chain.indexOf(file)), file].map((f) => relative(process.cwd(), f) || f);
    ctx.errors.push(new UserError(`import cycle: ${names.join(' → ')}`, { pos: positionOf(src, [...path, 'import']), hint: 'a task file cannot import itself, directly or through another file' }));
    return base;
  }
  let isrc: SourceFile;
  try {
    isrc = loadYamlFile(file, display);
  } catch (e) {
    if (e instanceof UserError) {
      ctx.errors.push(new UserError(`import of ${rel}: ${e.message}`, { pos: e.pos ?? positionOf(src, [...path, 'import']), hint: e.hint ?? `paths are relative to ${relative(process.cwd(), dirname(resolve(src.path))) || '.'}` }));
      return base;
    }
    throw e;
  }
  const value = isrc.value;
  const errors = validateAt(importedTasksSchema(), value, isrc, [], (p) => (p.length ? describePath(['tasks', ...p]) : `the task file ${display}`));
  if (errors.length) {
    ctx.errors.push(...errors);
    return base;
  }
  const chained: ReadContext = { ...ctx, chain: [...ctx.chain, file] };
  base.block = (value as unknown[]).map((c, i) => readTask(isrc, c as Record<string, unknown>, [i], chained, vars));
  return base;
}

function checkUnique(src: SourceFile, tasks: TaskDef[], errors: UserError[]): void {
  const ids = new Map<string, TaskDef>();
  const registers = new Map<string, TaskDef>();
  for (const t of tasks) {
    if (t.id) {
      const prev = ids.get(t.id);
      if (prev) errors.push(new UserError(`task id "${t.id}" is used twice (also by task "${prev.name}" at ${prev.pos.file}:${prev.pos.line})`, { pos: positionOf(t.src ?? src, [...t.path, 'id']), hint: 'ids must be unique: resume and --start-at-task find tasks by id' }));
      ids.set(t.id, t);
    }
    if (t.register) {
      const prev = registers.get(t.register);
      if (prev) errors.push(new UserError(`register name "${t.register}" is used twice (also by task "${prev.name}" at ${prev.pos.file}:${prev.pos.line})`, { pos: positionOf(t.src ?? src, [...t.path, 'register']), hint: 'give each registered result its own name' }));
      registers.set(t.register, t);
    }
  }
}
