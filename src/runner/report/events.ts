// What a run reports, as events: the text, listr2, JSON and Markdown reporters all render these.
// Events are redacted before any reporter sees them.
import type { Change, Mode } from '../types.js';

export type TaskStatus = 'ok' | 'changed' | 'skipped' | 'failed' | 'deferred' | 'planned';

export interface TaskRef {
  /** unique per execution: "7" or "7.2" for the third loop item of task 7 */
  key: string;
  index: number;
  name: string;
  type?: string;
  /** file:line of the task */
  where: string;
  /** set for tasks inside a parallel block or block: the group's key */
  group?: string;
  /** set on a group: how its tasks run */
  groupKind?: 'parallel' | 'block';
}

export type RunEvent =
  | { type: 'run-start'; playbook: string; file: string; mode: Mode; runId: string; tasks: TaskRef[]; resumedFrom?: string }
  | { type: 'task-start'; task: TaskRef; parallel?: boolean }
  | { type: 'task-log'; task: TaskRef; message: string }
  | { type: 'task-progress'; task: TaskRef; message: string }
  | { type: 'task-plan'; task: TaskRef; changes: Change[]; notes: string[]; describe?: string[] }
  | {
      type: 'task-end';
      task: TaskRef;
      status: TaskStatus;
      durationMs: number;
      message?: string;
      /** where the problem is, for failures caused by the playbook */
      where?: string;
      hint?: string;
      changes: Change[];
      notes: string[];
      describe?: string[];
      ignored?: boolean;
      attempts?: number;
    }
  | {
      type: 'recap';
      mode: Mode;
      runId: string;
      counts: Record<TaskStatus, number>;
      tasks: { key: string; name: string; status: TaskStatus; durationMs: number }[];
      durationMs: number;
      stoppedAt?: string;
      interrupted?: boolean;
      /** the changes planned (check) or made (run), by action */
      plan?: PlanCounts;
    };

/** changes by action, as `terraform plan` sums them up ("Plan: 1 to add, 0 to change, 0 to destroy") */
export interface PlanCounts {
  add: number;
  change: number;
  destroy: number;
  /** commands run (a job, a script): neither adds, changes nor destroys a thing kfup can name */
  run: number;
  /** changes whose number is known only once an earlier task has applied, and tasks whose parameters or condition are */
  afterApply: number;
}

export const emptyPlan = (): PlanCounts => ({ add: 0, change: 0, destroy: 0, run: 0, afterApply: 0 });

export interface Reporter {
  handle(event: RunEvent): void;
  /** called once at the end; flush and restore the terminal */
  close?(): Promise<void> | void;
}

export const emptyCounts = (): Record<TaskStatus, number> => ({ ok: 0, changed: 0, skipped: 0, failed: 0, deferred: 0, planned: 0 });
