// The variables a playbook needs from outside (an environment file, --vars-file, --var): every
// variable its templates name, less the built-ins, its own vars, registered results and the
// variables its set-vars tasks set. `kfup init --playbook FILE` writes an environment for these.
import Handlebars from 'handlebars';
import { flatten, type Playbook, type TaskDef } from './runner/load/playbook.js';
import type { AstNode } from './runner/template/template-eval.js';

const BUILTINS = new Set(['run', 'playbook', 'env', 'item', 'loop_index']);

/** the first segment of every variable a template names (not helpers, not @data, not inside #each/#with) */
export function templateVariables(source: string): string[] {
  if (!source.includes('{{')) return [];
  let ast: AstNode;
  try {
    const parsed: unknown = Handlebars.parse(source);
    ast = parsed as AstNode;
  } catch {
    return []; // a template that does not parse is validate's to report
  }
  const found = new Set<string>();
  const path = (p: AstNode | undefined) => {
    if (p?.type === 'PathExpression' && !p.data && !p.this && !(p.depth ?? 0) && p.parts?.length) found.add(p.parts[0]);
  };
  const expr = (n: AstNode | undefined) => (n?.type === 'SubExpression' ? call(n) : path(n));
  const call = (n: AstNode) => {
    const hasArgs = (n.params?.length ?? 0) > 0 || (n.hash?.pairs?.length ?? 0) > 0;
    const name = n.path?.original;
    if (!hasArgs && !(name !== undefined && name in Handlebars.helpers)) path(n.path);
    (n.params ?? []).forEach(expr);
    for (const pair of n.hash?.pairs ?? []) expr(pair.value);
  };
  const program = (body: AstNode[] | undefined) => {
    for (const st of body ?? []) {
      if (st.type === 'MustacheStatement') call(st);
      else if (st.type === 'BlockStatement') {
        call(st);
        if (st.path?.original === 'if' || st.path?.original === 'unless') {
          program(st.program?.body);
          program(st.inverse?.body);
        }
      }
    }
  };
  program(ast.body);
  return [...found];
}

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
}

export interface NeededVariable {
  name: string;
  /** the tasks (or "targets") whose templates use it */
  usedBy: string[];
}

/** the variables a playbook uses that it does not define itself; `setsVars` says which task types export variables */
export function neededVariables(pb: Playbook, setsVars: (type: string) => boolean): NeededVariable[] {
  const defined = new Set<string>([...BUILTINS, ...Object.keys(pb.vars)]);
  const tasks = flatten(pb.tasks);
  for (const t of tasks) {
    if (t.register) defined.add(t.register);
    if (t.type && setsVars(t.type) && t.params && typeof t.params === 'object') for (const k of Object.keys(t.params)) defined.add(k);
    for (const k of Object.keys(t.vars ?? {})) defined.add(k);
  }
  const used = new Map<string, Set<string>>();
  const note = (where: string, v: unknown) => {
    for (const s of strings(v)) for (const name of templateVariables(s)) if (!defined.has(name)) used.set(name, (used.get(name) ?? new Set()).add(where));
  };
  note('targets', pb.targets);
  for (const [k, v] of Object.entries(pb.vars)) note(`the playbook's var "${k}"`, v);
  const own = (t: TaskDef) => [t.params, t.when, t.loop, t.vars];
  for (const t of tasks) note(`task "${t.name}"`, own(t));
  return [...used].map(([name, by]) => ({ name, usedBy: [...by] }));
}
