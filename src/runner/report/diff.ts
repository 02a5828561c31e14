// --diff: unified diffs for text, field-level diffs for objects. The caller redacts secrets.
import { createTwoFilesPatch } from 'diff';
import type { Change } from '../types.js';

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** "path: before → after" lines for every leaf that differs */
export function fieldDiff(before: unknown, after: unknown, path = ''): string[] {
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => fieldDiff(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((b, i) => fieldDiff(b, after[i], `${path}[${i}]`));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  if (before === undefined) return [`+ ${path || '(value)'}: ${show(after)}`];
  if (after === undefined) return [`- ${path || '(value)'}: ${show(before)}`];
  return [`~ ${path || '(value)'}: ${show(before)} → ${show(after)}`];
}

export function textDiff(before: string, after: string, label: string): string[] {
  const patch = createTwoFilesPatch(`${label} (before)`, `${label} (after)`, before, after, '', '', { context: 3 });
  // drop the "Index:"/"===" header lines the library adds
  return patch.split('\n').filter((l) => !/^(Index:|=+$)/.test(l) && l !== '');
}

/** the diff lines of one change, or none when it carries no before/after */
export function changeDiff(c: Change): string[] {
  if (c.before === undefined && c.after === undefined) return [];
  if ((typeof c.before === 'string' || c.before === undefined) && (typeof c.after === 'string' || c.after === undefined) && (c.before !== undefined || c.after !== undefined)) {
    return textDiff(c.before ?? '', c.after ?? '', c.target);
  }
  return fieldDiff(c.before, c.after);
}
