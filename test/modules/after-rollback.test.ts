// A second attempt after a rollback (issue 13 "The upgrade as the real deployment runs it",
// point 9): a new run of the upgrade after `kfup rollback` never silently reuses the Velero
// backup or the AWS Backup recovery points of the attempt before it. The runner gives the last
// rollback of the playbook's runs as {{run.last_rollback}}; velero-backup, backup-snapshot and
// velero-restore then use <name>-<rollback id>, report what is older than the rollback, and take
// fresh ones. A second run with no rollback in between reuses them (idempotent).
// The playbook is the upgrade's backup-and-restore part, small: annotate (reversible, so there
// is something to roll back), snapshot, back up blue, restore into green.
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox, sandboxTargets } from '../helpers/sandbox.js';
import { CollectingReporter, runTasks, tempDir, type TaskRun } from '../helpers/run.js';
import { testTasks } from '../helpers/registry.js';
import { rollbackRun } from '../../src/runner/engine/rollback.js';
import { readJournal } from '../../src/runner/state/journal.js';
import { lastRollbackOf } from '../../src/runner/index.js';
import { LocalBackend } from '../../src/runner/state/backend.js';
import { canonicalPath } from '../../src/runner/state/location.js';
import { nameAfterRollback } from '../../src/modules/kit/index.js';

let sb: Sandbox;
useSandbox({ profiles: 1, notebooks: 1, timing: { veleroPhaseMs: 40, veleroSyncMs: 40, backupJobMs: 100 } }, (s) => (sb = s));

const NS = ['team-000'];
const tasks = () => [
  { name: 'annotate', 'velero-annotate': { cluster: 'blue', namespaces: NS } },
  {
    name: 'snapshot',
    'backup-snapshot': {
      vault: sb.scenario.backup.vault,
      role_arn: sb.aws.state.iam.getRole(sb.scenario.backup.roleName).Arn,
      resources: { efs: String(sb.vars.efs_file_system_arn) },
      poll: { initial: '30ms', max: '100ms' },
      snapshot_key: '{{backup_name}}',
      after_rollback: '{{run.last_rollback}}',
    },
  },
  { name: 'backup', 'velero-backup': { cluster: 'blue', name: '{{backup_name}}', included_namespaces: NS, after_rollback: '{{run.last_rollback}}' } },
  { name: 'restore', 'velero-restore': { cluster: 'green', backup: '{{backup_name}}', included_namespaces: NS, after_rollback: '{{run.last_rollback}}' } },
];
const dir = tempDir();
const run = () => runTasks({ dir, tasks: tasks(), vars: { backup_name: 'kf-up' }, targets: sandboxTargets(sb) });
const outputs = (r: TaskRun, name: string) => readJournal(r.stateDir, r.result.runId).flatMap((x) => (x.t === 'task-end' && x.name === name ? [x.outputs ?? {}] : []))[0] ?? {};
const statuses = (r: TaskRun) => Object.fromEntries(['annotate', 'snapshot', 'backup', 'restore'].map((n) => [n, r.reporter.end(n).status]));
const efsPoint = (r: TaskRun) => (outputs(r, 'snapshot').recovery_points as Record<string, string>).efs;

describe('a new attempt after a rollback', () => {
  it('first run takes the backup and snapshot; a second run (no rollback) reuses them; after a rollback the next run takes fresh ones and says why; then it is idempotent again', async () => {
    const first = await run();
    expect(statuses(first)).toEqual({ annotate: 'changed', snapshot: 'changed', backup: 'changed', restore: 'changed' });
    expect(outputs(first, 'backup').name).toBe('kf-up');
    const firstPoint = efsPoint(first);

    // a second run with no rollback in between: nothing new
    const second = await run();
    expect(statuses(second)).toEqual({ annotate: 'ok', snapshot: 'ok', backup: 'ok', restore: 'ok' });
    expect(efsPoint(second)).toBe(firstPoint);

    // the fail-back
    const rb = await rollbackRun({ runId: first.result.runId, stateDir: first.stateDir, yes: true, mode: 'run', registry: testTasks, reporter: new CollectingReporter(), notice: () => {} });
    expect(rb.failed ?? false).toBe(false);
    const rollbackId = rb.runId;

    // the next attempt: fresh backup and recovery point, each saying why
    const mark = sb.requestLog.mark();
    const third = await run();
    expect(statuses(third)).toEqual({ annotate: 'changed', snapshot: 'changed', backup: 'changed', restore: 'changed' });
    const fresh = `kf-up-${rollbackId}`;
    expect(outputs(third, 'backup').name).toBe(fresh);
    expect(sb.clusters.blue.server.store.get('velero.io/v1', 'Backup', fresh, 'velero')?.status).toMatchObject({ phase: 'Completed' });
    const backupEnd = third.reporter.end('backup');
    expect(backupEnd.notes.join('\n')).toMatch(new RegExp(`backup velero/kf-up \\(created [^)]+\\) is older than rollback ${rollbackId} of run ${first.result.runId} \\(ended [^)]+\\): not reused; this attempt takes a fresh backup, ${fresh}`));
    expect(backupEnd.changes?.[0].summary).toMatch(new RegExp(`fresh after rollback ${rollbackId}`));
    const snapEnd = third.reporter.end('snapshot');
    expect(snapEnd.notes.join('\n')).toMatch(new RegExp(`efs: recovery point ${firstPoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} under kfup.dev/snapshot-key=kf-up \\(created [^)]+\\) is older than rollback ${rollbackId}.*: not reused; a fresh snapshot is taken under kf-up-${rollbackId}`));
    expect(efsPoint(third)).not.toBe(firstPoint);
    expect(sb.requestLog.since(mark).filter((e) => e.operation === 'StartBackupJob').length).toBe(1);
    expect(outputs(third, 'restore')).toMatchObject({ name: `${fresh}-restore`, backup: fresh, phase: 'Completed' });

    // the rollback counts for this playbook and environment only
    const backend = new LocalBackend(third.stateDir);
    expect(lastRollbackOf(backend, canonicalPath(third.playbook), undefined)).toMatchObject({ id: rollbackId, of: first.result.runId, status: 'completed' });
    expect(lastRollbackOf(backend, canonicalPath(third.playbook), '/elsewhere/environments/production.yaml')).toBeNull();

    // and a run after that (no new rollback) reuses the fresh ones
    const fourth = await run();
    expect(statuses(fourth)).toEqual({ annotate: 'ok', snapshot: 'ok', backup: 'ok', restore: 'ok' });
    expect(outputs(fourth, 'backup').name).toBe(fresh);
    expect(efsPoint(fourth)).toBe(efsPoint(third));
  });
});

describe('the name after a rollback', () => {
  it('is <base>-<rollback id>, the base cut so that a Velero name stays within 63 characters', () => {
    const rb = { id: '20261201-143000-ab12', ended: '2026-12-01T14:30:05Z' };
    expect(nameAfterRollback('kf-upgrade-green', null)).toBe('kf-upgrade-green');
    expect(nameAfterRollback('kf-upgrade-green', rb, 63)).toBe('kf-upgrade-green-20261201-143000-ab12');
    const long = nameAfterRollback(`kf-upgrade-${'x'.repeat(40)}-cluster`, rb, 63);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^kf-upgrade-x+-20261201-143000-ab12$/);
  });
});
