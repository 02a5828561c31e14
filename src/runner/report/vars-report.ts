// `kfup vars`: the merged variables, each with where its value comes from; secrets redacted.
import { stringify } from 'yaml';
import { load, type LoadRequest } from '../index.js';
import { REDACTED } from '../engine/redact.js';
import { isUnknown } from '../types.js';

export async function printVars(req: LoadRequest, output: 'text' | 'json' = 'text'): Promise<string> {
  const { scope, inputs, redactor } = await load(req);
  const data = scope.data();
  const rows = scope
    .names()
    .sort()
    .map((name) => {
      const entry = scope.entry(name)!;
      const secret = inputs.secrets.has(name);
      let value: unknown;
      try {
        value = data[name];
      } catch (e) {
        value = `(error: ${(e as Error).message})`;
      }
      if (isUnknown(value)) value = String(value);
      return { name, value: secret ? REDACTED : redactor.redactDeep(value), source: entry.source, secret };
    });
  if (output === 'json') return JSON.stringify(rows, null, 2) + '\n';
  const width = Math.max(4, ...rows.map((r) => r.name.length));
  const lines = rows.map((r) => {
    const v = typeof r.value === 'string' ? r.value : stringify(r.value, { flow: true }).trim();
    return `${r.name.padEnd(width)}  ${v.length > 80 ? v.slice(0, 77) + '...' : v}  (${r.source}${r.secret ? ', secret' : ''})`;
  });
  return lines.join('\n') + '\n';
}
