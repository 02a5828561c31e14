// --diff: what a change does, laid out as `terraform plan` lays out a plan, so that a reviewer reads
// it rather than decodes it: a new object is shown whole as YAML, one field per line, each marked
// "+" (a removed one "-"); an update lists the fields that differ ("~ path: before → after"); a
// multi-line string (a config file in a ConfigMap's data) is a unified diff of its lines, not one
// escaped line. The caller redacts secrets.
import { createTwoFilesPatch, structuredPatch } from 'diff';
import { stringify } from 'yaml';
import type { Change } from '../types.js';

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const multiline = (v: unknown): v is string => typeof v === 'string' && v.includes('\n');

/** a value as YAML lines (block style, no line folding: a long value stays one line as written) */
export function yamlLines(v: unknown): string[] {
  const text = stringify(v, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
  return text.replace(/\n$/, '').split('\n');
}

/** the hunks of a line diff between two texts: "@@ -a,b +c,d @@" headers, then " ", "-" and "+" lines */
export function hunkLines(before: string, after: string, context = 3): string[] {
  const p = structuredPatch('', '', before, after, '', '', { context });
  return p.hunks.flatMap((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines.filter((l) => !l.startsWith('\\'))]);
}

/** how a scalar reads on one line: a string as JSON (quotes show spaces), absent as "(absent)" */
const show = (v: unknown): string => (v === undefined ? '(absent)' : JSON.stringify(v));

/** a value that is added (mark "+") or removed ("-") at path: scalars on the line, the rest below it as YAML */
function wholeValue(mark: '+' | '-', path: string, v: unknown): string[] {
  if (!multiline(v) && (v === null || typeof v !== 'object')) return [`${mark} ${path}: ${show(v)}`];
  const body = multiline(v) ? v.replace(/\n$/, '').split('\n') : yamlLines(v);
  return [`${mark} ${path}:${multiline(v) ? ' |' : ''}`, ...body.map((l) => `    ${l}`)];
}

/** the lines for every leaf that differs: "~ path: before → after", added and removed values whole */
export function fieldDiff(before: unknown, after: unknown, path = ''): string[] {
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => fieldDiff(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => fieldDiff(b, after[i], `${path}[${i}]`));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const at = path || '(value)';
  if (before === undefined) return wholeValue('+', at, after);
  if (after === undefined) return wholeValue('-', at, before);
  // a text changed: the lines that changed, with their context
  if (typeof before === 'string' && typeof after === 'string' && (multiline(before) || multiline(after))) {
    return [`~ ${at}:`, ...hunkLines(before, after).map((l) => `    ${l}`)];
  }
  // a list that grew or shrank, or a value that changed shape: the two as YAML, line by line
  if ((before !== null && typeof before === 'object') || (after !== null && typeof after === 'object')) {
    return [`~ ${at}:`, ...hunkLines(yamlLines(before).join('\n') + '\n', yamlLines(after).join('\n') + '\n').map((l) => `    ${l}`)];
  }
  return [`~ ${at}: ${show(before)} → ${show(after)}`];
}

export function textDiff(before: string, after: string, label: string): string[] {
  const patch = createTwoFilesPatch(`${label} (before)`, `${label} (after)`, before, after, '', '', { context: 3 });
  // drop the "Index:"/"===" header lines the library adds
  return patch.split('\n').filter((l) => !/^(Index:|=+$)/.test(l) && l !== '');
}

/** the diff lines of one change, or none when it carries no before/after */
export function changeDiff(c: Change): string[] {
  if (c.detail?.length) return c.detail;
  if (c.before === undefined && c.after === undefined) return [];
  if ((typeof c.before === 'string' || c.before === undefined) && (typeof c.after === 'string' || c.after === undefined)) {
    return textDiff(c.before ?? '', c.after ?? '', c.target);
  }
  // a new object (or one removed) is shown whole, each line marked as terraform plan marks it
  const absent = (v: unknown) => v === undefined || v === null;
  if (absent(c.before) && !absent(c.after)) return yamlLines(c.after).map((l) => `+ ${l}`);
  if (absent(c.after) && !absent(c.before)) return yamlLines(c.before).map((l) => `- ${l}`);
  return fieldDiff(c.before, c.after);
}
