// The fast path of template rendering: most playbook templates are text, {{path}} and
// {{helper arg (sub expression)}}, which are evaluated here straight from Handlebars' parse tree
// instead of being compiled to a function first.

/**
 * The fields of Handlebars' parse tree that kfup reads (handlebars/docs/compiler-api.md); which
 * of them a node has depends on its type.
 */
export interface AstNode {
  type: string;
  /** Program */
  body?: AstNode[];
  /** ContentStatement and the literals */
  value?: string | number | boolean;
  /** PathExpression */
  original?: string;
  parts?: string[];
  data?: boolean;
  this?: boolean;
  depth?: number;
  /** MustacheStatement, BlockStatement, SubExpression */
  path?: AstNode;
  params?: AstNode[];
  hash?: { pairs?: { key: string; value: AstNode }[] };
  strip?: { open?: boolean; close?: boolean };
  /** BlockStatement */
  program?: AstNode;
  inverse?: AstNode;
}

const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** thrown when the fast path cannot evaluate a template; one instance, compared by identity */

export const UNSUPPORTED = new Error('a template the fast path leaves to Handlebars');

/**
 * Evaluates the templates playbooks mostly use - text, {{path}}, {{helper arg (sub expr)}} and
 * literals - straight from the parsed template, which is much cheaper than compiling it to a
 * function. Anything else (blocks, partials, @data, ../ paths, whitespace control) returns
 * UNSUPPORTED and goes to Handlebars itself.
 */
export function interpret(ast: AstNode, data: Record<string, unknown>, helpers: Record<string, (...a: unknown[]) => unknown>): unknown {
  const body = ast.body ?? [];
  const evalExpr = (n: AstNode): unknown => {
    switch (n.type) {
      case 'StringLiteral':
      case 'NumberLiteral':
      case 'BooleanLiteral':
        return n.value;
      case 'UndefinedLiteral':
        return undefined;
      case 'NullLiteral':
        return null;
      case 'PathExpression': {
        if (n.data || n.this || (n.depth ?? 0) > 0) throw UNSUPPORTED;
        const parts = n.parts ?? [];
        if (parts.length === 1 && own(helpers, parts[0]) && !own(data, parts[0])) return call(parts[0], [], undefined);
        let cur: unknown = data;
        for (const part of parts) {
          if (cur === null || cur === undefined) return undefined;
          // own properties only: no path reaches Object.prototype or a Function
          if (typeof cur !== 'object' || !own(cur, part)) return undefined;
          cur = (cur as Record<string, unknown>)[part];
        }
        return cur;
      }
      case 'SubExpression':
        return callNode(n);
      default:
        throw UNSUPPORTED;
    }
  };
  const call = (name: string, params: AstNode[], hash: AstNode['hash']): unknown => {
    const helper = own(helpers, name) ? helpers[name] : undefined;
    if (!helper) throw UNSUPPORTED;
    const hashValues: Record<string, unknown> = {};
    for (const pair of hash?.pairs ?? []) hashValues[pair.key] = evalExpr(pair.value);
    return helper.call(data, ...params.map(evalExpr), { name, hash: hashValues, data: { root: data } });
  };
  const callNode = (n: AstNode): unknown => {
    const hasArgs = (n.params?.length ?? 0) > 0 || (n.hash?.pairs?.length ?? 0) > 0;
    if (!n.path) throw UNSUPPORTED;
    if (!hasArgs) return evalExpr(n.path);
    if (n.path.type !== 'PathExpression' || n.path.parts?.length !== 1 || n.path.original === undefined) throw UNSUPPORTED;
    return call(n.path.original, n.params ?? [], n.hash);
  };
  const isMustache = (n: AstNode) => n.type === 'MustacheStatement' && !n.strip?.open && !n.strip?.close;
  if (body.length === 1 && isMustache(body[0])) return { value: callNode(body[0]) };
  let out = '';
  for (const n of body) {
    if (n.type === 'ContentStatement') out += String(n.value);
    else if (n.type === 'CommentStatement') continue;
    else if (isMustache(n)) {
      const v = callNode(n);
      // printed as Handlebars prints a value, objects included
      // eslint-disable-next-line @typescript-eslint/no-base-to-string
      if (v !== undefined && v !== null) out += String(v);
    } else throw UNSUPPORTED;
  }
  return { text: out };
}
