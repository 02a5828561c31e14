// Parameters a task type marks secret in its schema ("x-kfup-secret": true) are registered with
// the run's redactor as soon as they are rendered, before anything (journal, events, errors) can
// show them, even when a playbook writes them in plain text instead of secret variables.
import type { Redactor } from './redact.js';

type Schema = { 'x-kfup-secret'?: boolean; properties?: Record<string, Schema>; items?: Schema; additionalProperties?: Schema | boolean; oneOf?: Schema[]; anyOf?: Schema[] };

function addAll(value: unknown, redactor: Redactor): void {
  if (typeof value === 'string' || typeof value === 'number') redactor.add(String(value));
  else if (Array.isArray(value)) value.forEach((v) => addAll(v, redactor));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => addAll(v, redactor));
}

export function registerSecretParams(schema: unknown, value: unknown, redactor: Redactor): void {
  const s = schema as Schema | undefined;
  if (!s || typeof s !== 'object' || value === undefined || value === null) return;
  if (s['x-kfup-secret']) {
    addAll(value, redactor);
    return;
  }
  for (const alt of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) registerSecretParams(alt, value, redactor);
  if (Array.isArray(value)) {
    if (s.items) value.forEach((v) => registerSecretParams(s.items, v, redactor));
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const sub = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      registerSecretParams(sub, v, redactor);
    }
  }
}
