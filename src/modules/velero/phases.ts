// Velero's phases for Backups and Restores, and the one-line summaries kfup reports for them.
import type { VeleroObject } from './api.js';

/** phases after which nothing more happens to the object */
export const SUCCESS = 'Completed';
export const PARTIAL = 'PartiallyFailed';
export const FAILED_PHASES = new Set(['Failed', 'FailedValidation']);
export const FINAL_PHASES = new Set([SUCCESS, PARTIAL, ...FAILED_PHASES]);

export function phaseOf(o: VeleroObject | undefined): string {
  const phase = o?.status?.phase;
  return typeof phase === 'string' && phase ? phase : 'New';
}
export const isFinal = (o: VeleroObject | undefined): boolean => FINAL_PHASES.has(phaseOf(o));

export interface Counts {
  phase: string;
  errors: number;
  warnings: number;
  total_items: number;
  /** itemsBackedUp for a Backup, itemsRestored for a Restore */
  items_done: number;
  validation_errors: string[];
  failure_reason?: string;
}

export function countsOf(o: VeleroObject): Counts {
  const s = o.status ?? {};
  const progress = (s.progress ?? {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  const c: Counts = {
    phase: phaseOf(o),
    errors: num(s.errors),
    warnings: num(s.warnings),
    total_items: num(progress.totalItems),
    items_done: num(progress.itemsBackedUp ?? progress.itemsRestored),
    validation_errors: Array.isArray(s.validationErrors) ? s.validationErrors.map(String) : [],
  };
  if (typeof s.failureReason === 'string' && s.failureReason) c.failure_reason = s.failureReason;
  return c;
}

/** "InProgress, 12/40 items" */
export function progressLine(kind: string, name: string, o: VeleroObject | undefined, verb: string): string {
  if (!o) return `${kind} ${name}: waiting for it to appear`;
  const c = countsOf(o);
  const items = c.total_items ? `, ${c.items_done}/${c.total_items} items ${verb}` : '';
  return `${kind} ${name}: ${c.phase}${items}`;
}

/** "phase PartiallyFailed, 1 error, 0 warnings; validation errors: ..." */
export function outcomeLine(o: VeleroObject): string {
  const c = countsOf(o);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  let s = `phase ${c.phase}, ${plural(c.errors, 'error')}, ${plural(c.warnings, 'warning')}`;
  if (c.validation_errors.length) s += `; validation errors: ${c.validation_errors.join('; ')}`;
  if (c.failure_reason) s += `; failure reason: ${c.failure_reason}`;
  return s;
}
