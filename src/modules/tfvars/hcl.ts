// Merging assignments into an existing tfvars file without disturbing what the user wrote there
// (comments, other keys, layout). The values themselves are written by the kit's hclValue.
import { hclValue } from '../kit/index.js';

interface Assignment {
  key: string;
  /** first and last line (inclusive) the assignment spans */
  start: number;
  end: number;
  indent: string;
  /** a comment after the value on the last line, kept when the value is replaced */
  trailingComment: string;
  /** the value's source text, for reading existing values (secret detection) */
  valueText: string;
}

/**
 * Finds top-level `key = value` assignments and how many lines each spans, following brackets,
 * quoted strings and heredocs, so a multi-line list or map is replaced as a whole.
 */
export function findAssignments(text: string): Assignment[] {
  const lines = text.split('\n');
  const out: Assignment[] = [];
  let i = 0;
  let inBlockComment = false;
  while (i < lines.length) {
    const line = lines[i];
    if (inBlockComment) {
      if (line.includes('*/')) inBlockComment = false;
      i++;
      continue;
    }
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_-]*)\s*=(?!=)/.exec(line);
    if (!m) {
      if (/^\s*\/\*/.test(line) && !line.includes('*/')) inBlockComment = true;
      i++;
      continue;
    }
    const start = i;
    let depth = 0;
    let inString = false;
    let heredoc: string | undefined;
    let comment = '';
    let valueText = '';
    let pos = m[0].length;
    for (;;) {
      const cur = lines[i];
      if (heredoc !== undefined) {
        if (cur.trim() === heredoc) heredoc = undefined;
        valueText += cur + '\n';
      } else {
        comment = '';
        for (let p = pos; p < cur.length; p++) {
          const ch = cur[p];
          if (inString) {
            if (ch === '\\') p++;
            else if (ch === '"') inString = false;
            continue;
          }
          if (ch === '"') inString = true;
          else if (ch === '[' || ch === '{' || ch === '(') depth++;
          else if (ch === ']' || ch === '}' || ch === ')') depth--;
          else if (ch === '#' || (ch === '/' && cur[p + 1] === '/')) {
            comment = cur.slice(p);
            break;
          } else if (ch === '<' && cur[p + 1] === '<') {
            const h = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(cur.slice(p));
            if (h) {
              heredoc = h[1];
              break;
            }
          }
        }
        valueText += (comment ? cur.slice(pos, cur.length - comment.length) : cur.slice(pos)) + '\n';
      }
      pos = 0;
      if ((heredoc === undefined && depth <= 0 && !inString) || i === lines.length - 1) break;
      i++;
    }
    out.push({ key: m[2], start, end: i, indent: m[1], trailingComment: comment ? ` ${comment.trim()}` : '', valueText: valueText.trim() });
    i++;
  }
  return out;
}

/** a simple quoted string value as written in a tfvars file, or undefined for anything else */
export function plainStringValue(valueText: string): string | undefined {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(valueText.trim());
  if (!m) return undefined;
  try {
    return JSON.parse(`"${m[1].replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{')}"`) as string;
  } catch {
    return m[1];
  }
}

export interface MergeResult {
  content: string;
  replaced: string[];
  added: string[];
  /** keys that appeared more than once (as `cat >>` leaves them); the extra copies are removed */
  deduplicated: string[];
}

/**
 * Sets each key in an existing tfvars text: an existing assignment is replaced in place (a
 * trailing comment is kept), later duplicates of a managed key are dropped, new keys are appended
 * in the given order, every other line stays as it was. Merging the same values twice changes nothing.
 */
export function mergeTfvars(existing: string, values: [string, unknown][]): MergeResult {
  const wanted = new Map(values);
  const lines = existing.length ? existing.replace(/\r\n/g, '\n').split('\n') : [];
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const assignments = findAssignments(lines.join('\n'));
  const seen = new Set<string>();
  const replaced: string[] = [];
  const deduplicated: string[] = [];
  const replacement = new Map<number, { end: number; text: string[] }>();
  for (const a of assignments) {
    if (!wanted.has(a.key)) continue;
    if (seen.has(a.key)) {
      replacement.set(a.start, { end: a.end, text: [] });
      if (!deduplicated.includes(a.key)) deduplicated.push(a.key);
      continue;
    }
    seen.add(a.key);
    const text = `${a.indent}${a.key} = ${hclValue(wanted.get(a.key))}${a.trailingComment}`;
    const old = lines.slice(a.start, a.end + 1).join('\n');
    if (old !== text) replaced.push(a.key);
    replacement.set(a.start, { end: a.end, text: [text] });
  }
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const r = replacement.get(i);
    if (r) {
      out.push(...r.text);
      i = r.end;
    } else out.push(lines[i]);
  }
  const added: string[] = [];
  for (const [k, v] of values) {
    if (seen.has(k)) continue;
    out.push(`${k} = ${hclValue(v)}`);
    added.push(k);
  }
  return { content: out.length ? out.join('\n') + '\n' : '', replaced, added, deduplicated };
}

/** tfvars keys whose values are credentials: their existing values are redacted from diffs */
export const SENSITIVE_KEY = /(password|passwd|secret_access_key|access_key_id|secret_key|access_key|token|private_key|credential)/i;
