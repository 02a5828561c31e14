// ctx.exec logs every line a command prints. `terraform show -json` prints the whole plan (with
// variable values, sensitive ones in clear) on one line, and `terraform output -json` prints
// sensitive outputs' values; these markers run first for each line (onLine is called before the
// line is logged) and mark what must not be shown as secret, so the log shows *** instead.
import type { Context } from '../../runner/types.js';

type OnLine = (line: string, stream: 'stdout' | 'stderr') => void;

/** for `terraform show -json`: the JSON document is one line; none of it belongs in the log */
export function hideJsonDocument(ctx: Context): OnLine {
  return (line, stream) => {
    if (stream === 'stdout' && line.trimStart().startsWith('{') && line.length >= 8) ctx.secret(line);
  };
}

/** brace depth change of a JSON line, ignoring braces inside strings */
function depthDelta(line: string): number {
  let d = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') d++;
    else if (ch === '}' || ch === ']') d--;
  }
  return d;
}

/**
 * for `terraform output -json` (pretty-printed, keys sorted, so "sensitive" comes before "value"):
 * every line after `"sensitive": true` inside that output's block is marked secret
 */
export function hideSensitiveOutputs(ctx: Context): OnLine {
  let depth = 0;
  let sensitive = false;
  return (line, stream) => {
    if (stream !== 'stdout') return;
    const t = line.trim();
    if (depth === 2 && /^"sensitive":\s*true/.test(t)) sensitive = true;
    else if (sensitive && depth >= 2 && t.length >= 4 && !/^"(type|sensitive)":/.test(t)) ctx.secret(t);
    depth += depthDelta(line);
    if (depth <= 1) sensitive = false;
  };
}
