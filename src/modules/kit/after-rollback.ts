// A second attempt after a rollback (issue 13, point 9). Tasks that find what an earlier run of
// the same upgrade made by a stable name (a Velero backup, AWS Backup recovery points tagged
// with a snapshot key) would otherwise reuse it after a rollback, although it shows the world
// as it was before the failed attempt. Given the last rollback (`{{run.last_rollback}}`), they
// use a name of their own for everything after it: the same for a resume or a second run with
// no rollback in between (so those still reuse), a new one after each rollback.

/** `run.last_rollback`, as a task parameter */
export interface RollbackRef {
  /** the rollback's run id (yyyymmdd-hhmmss-xxxx) */
  id: string;
  /** when it ended (RFC 3339) */
  ended: string;
  /** the run it rolled back */
  of?: string;
}

/**
 * The name after the rollback: `<base>-<rollback id>`, the base cut so that the whole stays
 * within max (Velero puts names in label values: 63 characters); unchanged without a rollback.
 */
export function nameAfterRollback(base: string, rollback: RollbackRef | null | undefined, max = Infinity): string {
  if (!rollback) return base;
  const suffix = `-${rollback.id}`;
  const head = base.slice(0, Math.max(1, max - suffix.length)).replace(/[-.]+$/, '');
  return `${head}${suffix}`;
}

/** is something created at `created` from before the rollback ended? */
export const olderThanRollback = (created: string | Date | undefined, rollback: RollbackRef): boolean => {
  const t = created instanceof Date ? created.getTime() : created ? Date.parse(created) : NaN;
  return Number.isFinite(t) && t < Date.parse(rollback.ended);
};

/** "rollback 20261201-143000-ab12 (of run ..., ended ...)" */
export const rollbackText = (r: RollbackRef): string => `rollback ${r.id}${r.of ? ` of run ${r.of}` : ''} (ended ${r.ended})`;
