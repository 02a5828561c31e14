// Turning a Backup's or Restore's final phase into the task's result: Completed is success,
// PartiallyFailed only when allowed, Failed and FailedValidation never; and what an object of the
// same name found at check time means for idempotency.
import { TaskError } from '../kit/index.js';
import type { VeleroObject } from './api.js';
import { FAILED_PHASES, PARTIAL, SUCCESS, countsOf, isFinal, outcomeLine, phaseOf } from './phases.js';

export type Kind = 'backup' | 'restore';

/** throws unless the final phase is acceptable */
export function requireSuccess(kind: Kind, o: VeleroObject, allowPartial: boolean): void {
  const phase = phaseOf(o);
  const what = `${kind} ${o.metadata.namespace}/${o.metadata.name}`;
  if (phase === SUCCESS) return;
  if (phase === PARTIAL && allowPartial) return;
  const hint =
    phase === PARTIAL
      ? `see \`velero ${kind} describe ${o.metadata.name} --details\` and \`velero ${kind} logs ${o.metadata.name}\`; set allow_partial: true to accept a partial ${kind}`
      : `see \`velero ${kind} describe ${o.metadata.name}\`; fix the cause and run again with another name`;
  throw new TaskError(`${what} ended ${phase === PARTIAL ? 'partially failed' : 'failed'}: ${outcomeLine(o)}`, { code: phase === PARTIAL ? 'partiallyFailed' : 'failed', hint });
}

export type Existing = { state: 'absent' } | { state: 'done'; note: string } | { state: 'running'; note: string };

/** what an object already there under the same name means */
export function judgeExisting(kind: Kind, o: VeleroObject | undefined, allowPartial: boolean): Existing {
  if (!o) return { state: 'absent' };
  const name = `${o.metadata.namespace}/${o.metadata.name}`;
  const phase = phaseOf(o);
  if (o.metadata.deletionTimestamp || phase === 'Deleting') {
    throw new TaskError(`${kind} ${name} already exists and is being deleted`, { code: 'beingDeleted', hint: `choose another name, or wait until it is gone` });
  }
  if (FAILED_PHASES.has(phase) || (phase === PARTIAL && !allowPartial)) {
    throw new TaskError(`${kind} ${name} already exists and ended in phase ${phase}: ${outcomeLine(o)}`, {
      code: 'existsFailed',
      hint: `choose another ${kind} name${phase === PARTIAL ? ', or set allow_partial: true to accept it' : ''} (or delete it: velero ${kind} delete ${o.metadata.name})`,
    });
  }
  if (isFinal(o)) return { state: 'done', note: `${kind} ${name} already exists: ${outcomeLine(o)}` };
  const c = countsOf(o);
  return { state: 'running', note: `${kind} ${name} already exists and is in progress (${phase}${c.total_items ? `, ${c.items_done}/${c.total_items} items` : ''})` };
}
