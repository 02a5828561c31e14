// The fast path of template rendering: most playbook templates are text, {{path}} and
// {{helper arg (sub expression)}}, which are evaluated here straight from Handlebars' parse tree
// instead of being compiled to a function first.

export type AstNode = { type: string; [k: string]: any };

export const UNSUPPORTED = Symbol('unsupported');

/**
 * Evaluates the templates playbooks mostly use - text, {{path}}, {{helper arg (sub expr)}} and
 * literals - straight from the parsed template, which is much cheaper than compiling it to a
 * function. Anything else (blocks, partials, @data, ../ paths, whitespace control) returns
 * UNSUPPORTED and goes to Handlebars itself.
 */
export function interpret(ast: AstNode, data: Record<string, unknown>, helpers: Record<string, (...a: unknown[]) => unknown>): unknown {
  const body = ast.body as AstNode[];
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
        if (n.data || n.this || n.depth > 0) throw UNSUPPORTED;
        const parts = n.parts as string[];
        if (parts.length === 1 && parts[0] in helpers && !(parts[0] in data)) return call(parts[0], [], undefined);
        let cur: unknown = data;
        for (const part of parts) {
          if (cur === null || cur === undefined) return undefined;
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
  const call = (name: string, params: AstNode[], hash: AstNode | undefined): unknown => {
    const helper = helpers[name] as ((...a: unknown[]) => unknown) | undefined;
    if (!helper) throw UNSUPPORTED;
    const hashValues: Record<string, unknown> = {};
    for (const pair of hash?.pairs ?? []) hashValues[pair.key] = evalExpr(pair.value);
    return helper.call(data, ...params.map(evalExpr), { name, hash: hashValues, data: { root: data } });
  };
  const callNode = (n: AstNode): unknown => {
    const hasArgs = (n.params?.length ?? 0) > 0 || (n.hash?.pairs?.length ?? 0) > 0;
    if (!hasArgs) return evalExpr(n.path);
    if (n.path.type !== 'PathExpression' || n.path.parts.length !== 1) throw UNSUPPORTED;
    return call(n.path.original, n.params ?? [], n.hash);
  };
  const isMustache = (n: AstNode) => n.type === 'MustacheStatement' && !n.strip?.open && !n.strip?.close;
  if (body.length === 1 && isMustache(body[0])) return { value: callNode(body[0]) };
  let out = '';
  for (const n of body) {
    if (n.type === 'ContentStatement') out += n.value;
    else if (n.type === 'CommentStatement') continue;
    else if (isMustache(n)) {
      const v = callNode(n);
      if (v !== undefined && v !== null) out += String(v);
    } else throw UNSUPPORTED;
  }
  return { text: out };
}
