// Long suite (npm run test:resilience): the upgrade under each fault class alone and mixed at
// 10% of requests ends as a clean run does; non-transient faults stop at their task with their
// reason and the run resumes cleanly once the fault is lifted.
import { describe, expect, it } from 'vitest';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import type { FaultRule } from '../../src/sandbox/traffic.js';
import { comparable, expectUpgraded, sandbox, upgrade } from '../e2e/helpers.js';

async function reference() {
  const { sb, done } = await sandbox();
  try {
    expect((await upgrade(sb, 'run')).result.failed).toBe(false);
    return comparable(upgradeEndState(sb));
  } finally {
    await done();
  }
}

const CLASSES: Record<string, FaultRule[]> = {
  'AWS throttling': [{ fault: 'throttle', target: 'aws', rate: 0.2 }],
  'AWS 5xx': [{ fault: 'error500', target: 'aws', rate: 0.1 }, { fault: 'error503', target: 'aws', rate: 0.1 }],
  'dropped connections': [{ fault: 'drop', rate: 0.05 }],
  'Kubernetes 409': [{ fault: 'conflict', target: 'kube', rate: 0.2 }],
  'Kubernetes 429': [{ fault: 'throttle', target: 'kube', rate: 0.05 }],
  'mixed at 10%': [
    { fault: 'throttle', rate: 0.03 },
    { fault: 'error503', rate: 0.03 },
    { fault: 'conflict', target: 'kube', rate: 0.03 },
    { fault: 'drop', rate: 0.01 },
  ],
};

describe('transient faults', () => {
  for (const [name, rules] of Object.entries(CLASSES)) {
    it(`completes under ${name}`, async () => {
      const want = await reference();
      const { sb, done } = await sandbox({ seed: 11 });
      try {
        sb.traffic.setFaults(rules, 11);
        const { result, reporter } = await upgrade(sb, 'run');
        sb.traffic.setFaults([]);
        expect(result.failed, JSON.stringify(reporter.ends().filter((e) => e.status === 'failed').map((e) => [e.task.name, e.message]))).toBe(false);
        const injected = sb.requestLog.count((e) => e.fault !== undefined);
        console.log(`${name}: ${injected} faults injected in ${sb.requestLog.entries.length} requests`);
        expect(injected).toBeGreaterThan(0);
        expect(comparable(upgradeEndState(sb))).toEqual(want);
      } finally {
        await done();
      }
    });
  }

  it('completes through a slow DNS change', async () => {
    const { sb, done } = await sandbox();
    try {
      sb.traffic.scenario = { slowDnsMs: 3000 };
      const { result } = await upgrade(sb, 'run');
      expect(result.failed).toBe(false);
      expectUpgraded(sb);
    } finally {
      await done();
    }
  });
});

describe('non-transient faults', () => {
  it('a FAILED backup job stops the run at the snapshot with its reason, and a resume completes', async () => {
    const { sb, done } = await sandbox();
    try {
      sb.traffic.scenario = { failBackupJobs: ['rds'] };
      const first = await upgrade(sb, 'run');
      expect(first.result.failed).toBe(true);
      const failed = first.reporter.ends().find((e) => e.status === 'failed' && e.task.type === 'backup-snapshot');
      expect(failed?.message).toMatch(/FAILED/);
      expect(first.reporter.ends().some((e) => e.task.name === 'Send users to green')).toBe(false);
      sb.traffic.scenario = {};
      const resumed = await upgrade(sb, 'run', { resume: 'last' });
      expect(resumed.result.failed).toBe(false);
      expectUpgraded(sb);
    } finally {
      await done();
    }
  });

  it('a PartiallyFailed Velero backup stops the run there, and a resume with a new backup name completes', async () => {
    const { sb, done } = await sandbox();
    try {
      sb.traffic.scenario = { partialVeleroBackups: ['*'] };
      const first = await upgrade(sb, 'run');
      expect(first.result.failed).toBe(true);
      const failed = first.reporter.ends().find((e) => e.status === 'failed' && e.task.type === 'velero-backup');
      expect(failed?.message).toMatch(/PartiallyFailed/);
      sb.traffic.scenario = {};
      // the failed backup keeps its name; as the error says, the next attempt takes another
      const resumed = await upgrade(sb, 'run', { resume: 'last', vars: ['backup_name=kf-upgrade-retry'] });
      expect(resumed.result.failed, JSON.stringify(resumed.reporter.ends().filter((e) => e.status === 'failed').map((e) => e.message))).toBe(false);
      expectUpgraded(sb);
    } finally {
      await done();
    }
  });
});
