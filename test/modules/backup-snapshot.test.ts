// backup-snapshot's table for the conformance tester, against the sandbox's AWS Backup. Each case
// names a snapshot_key: the second check (a new run) then finds the recovery points by their tag
// and plans nothing. Without a key every run takes its own snapshot (backup-snapshot-key.test.ts);
// runs, failed jobs, throttling and check-time refusals: backup-snapshot.edges.test.ts; an
// interrupted wait, resume and rollback: backup-snapshot-resume.test.ts.
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { readJournal } from '../../src/runner/state/journal.js';
import type { TaskRun } from '../helpers/run.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
const KEY_TAG = 'kfup.dev/snapshot-key';
let n = 0;
/** the key the current case chose (cases run one after another) */
let key = '';
const freshKey = () => (key = `kf-upgrade-table-${++n}-${Date.now()}`);

const outputsOf = (run: TaskRun) => readJournal(run.stateDir, run.result.runId).flatMap((r) => (r.t === 'task-end' && r.name === TASK ? [r.outputs ?? {}] : []))[0] ?? {};
const progressOf = (run: TaskRun) => run.reporter.events.flatMap((e) => (e.type === 'task-progress' ? [e.message] : []));
const keyedJobs = (sb: Sandbox) => [...sb.aws.state.backup.jobs.values()].filter((j) => j.RecoveryPointTags?.[KEY_TAG] === key);

const params = (sb: Sandbox, over: Record<string, unknown> = {}) => ({
  vault: sb.scenario.backup.vault,
  role_arn: sb.aws.state.iam.getRole(sb.scenario.backup.roleName).Arn,
  resources: { efs: String(sb.vars.efs_file_system_arn), s3: String(sb.vars.s3_bucket_arn), rds: String(sb.vars.rds_instance_arn), fsx: '' },
  snapshot_key: freshKey(),
  poll: { initial: '20ms', max: '80ms' },
  ...over,
});

const NOT_REVERTED = 'data stores are not rolled back (a restore replaces live data); revert only says how to restore, see backup-snapshot-resume.test.ts';

taskTester({
  type: 'backup-snapshot',
  sandbox: { profiles: 1, timing: { backupJobMs: 200 } },
  valid: [
    {
      name: 'snapshots EFS, S3 and RDS at once, tagged with the key, and outputs the recovery points',
      params: (sb) => params(sb),
      revert: false,
      why: NOT_REVERTED,
      after: ({ sb, run, check }) => {
        const jobs = keyedJobs(sb);
        expect(jobs.map((j) => [j.ResourceType, j.State]).sort()).toEqual([
          ['EFS', 'COMPLETED'],
          ['RDS', 'COMPLETED'],
          ['S3', 'COMPLETED'],
        ]);
        const byResource = Object.fromEntries(jobs.map((j) => [j.ResourceArn, j]));
        const o = outputsOf(run) as { recovery_points: Record<string, string>; jobs: Record<string, string> };
        expect(o.recovery_points).toEqual({
          efs: byResource[String(sb.vars.efs_file_system_arn)].RecoveryPointArn,
          s3: byResource[String(sb.vars.s3_bucket_arn)].RecoveryPointArn,
          rds: byResource[String(sb.vars.rds_instance_arn)].RecoveryPointArn,
        });
        // an RDS backup is an RDS snapshot
        expect(o.recovery_points.rds).toMatch(/^arn:aws:rds:.*:snapshot:awsbackup:job-/);
        expect(o.jobs).toEqual({ efs: byResource[String(sb.vars.efs_file_system_arn)].BackupJobId, s3: byResource[String(sb.vars.s3_bucket_arn)].BackupJobId, rds: byResource[String(sb.vars.rds_instance_arn)].BackupJobId });
        for (const j of jobs) expect(progressOf(run).some((m) => m.includes(j.BackupJobId) && /COMPLETED 100\.0%/.test(m))).toBe(true);
        expect(check.reporter.end(TASK).notes.filter((l) => l.includes(`already carries ${KEY_TAG}=${key}; no new backup`))).toHaveLength(3);
      },
    },
    {
      name: 'skips when every resource ARN is empty',
      params: (sb) => params(sb, { resources: { efs: '', s3: '', rds: '', fsx: '' } }),
      expect: 'skipped',
      after: ({ run }) => expect(run.reporter.end(TASK).notes[0]).toMatch(/no resource ARNs/),
    },
  ],
  invalid: [
    { name: 'a parameter it does not have', params: (sb) => params(sb, { vaults: 'x' }), error: /unknown key "vaults"/ },
    { name: 'an S3 ARN given as the EFS', params: (sb) => params(sb, { resources: { efs: 'arn:aws:s3:::not-a-file-system' } }), error: /resources.*efs.* has an invalid value "arn:aws:s3:::not-a-file-system"/ },
    { name: 'an RDS ARN without db: or cluster:', params: (sb) => params(sb, { resources: { rds: 'arn:aws:rds:us-west-2:123456789012:kubeflow-db' } }), error: /resources.*rds.* has an invalid value/ },
    { name: 'a role name where the role ARN goes', params: (sb) => params(sb, { role_arn: 'AWSBackupDefaultServiceRole' }), error: /"role_arn" has an invalid value "AWSBackupDefaultServiceRole"/ },
    { name: 'a poll factor below 1', params: (sb) => params(sb, { poll: { factor: 0.5 } }), error: /factor.* must be >= 1/ },
    { name: 'a snapshot_key AWS cannot tag with', params: (sb) => params(sb, { snapshot_key: 'key\nwith a newline' }), error: /"snapshot_key" has an invalid value/ },
  ],
});
