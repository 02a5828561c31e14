// Terraform values written as HCL expressions (for *.tfvars files and `-var NAME=VALUE`): used by
// tfvars-from-state, which writes tfvars files, and terraform-apply, which passes variables.

export type TfValue = string | number | boolean | null | TfValue[] | { [k: string]: TfValue };

/** a quoted HCL string: escapes, and `${` / `%{` doubled so Terraform does not read them as templates */
export function hclString(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch < ' ') out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  // a function replacer: in a replacement string "$$" would itself mean one "$"
  return `"${out.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{')}"`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** one value as an HCL expression: lists as lists, maps as objects, on one line */
export function hclValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return hclString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('a tfvars number must be finite');
    return String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(hclValue).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    if (!entries.length) return '{}';
    return `{ ${entries.map(([k, x]) => `${IDENT.test(k) ? k : hclString(k)} = ${hclValue(x)}`).join(', ')} }`;
  }
  throw new Error(`cannot write a ${typeof v} as HCL`);
}

export const isHclIdentifier = (k: string): boolean => IDENT.test(k);
