// velero-restore beyond its conformance table (velero-restore.test.ts): check's note for a backup
// not synced yet, the sync timeout, a restore of the same name that failed, FailedValidation,
// retried 409/429/5xx on green, and a source_cluster that is the restore's own cluster.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox } from '../helpers/sandbox.js';
import { runTasks } from '../helpers/run.js';

let sb: Sandbox;
const targets = () => ({
  clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' } },
});
const green = () => sb.clusters.green.server.store;
const restoreTask = (params: Record<string, unknown>) => ({ name: 'restore', 'velero-restore': { cluster: 'green', ...params }, register: 'r' });

useSandbox({ profiles: 3, timing: { veleroPhaseMs: 50, veleroSyncMs: 50 } }, (s) => (sb = s));
beforeEach(() => {
  sb.traffic.setFaults([]);
  sb.traffic.scenario = {};
});


/** a task's end: its status, and its message and hint matching */
function expectEnd(end: { status: string; message?: string; hint?: string }, status: string, message?: RegExp | string, hint?: RegExp): void {
  expect(end.status, end.message).toBe(status);
  if (message !== undefined) expect(end.message ?? '').toMatch(message);
  if (hint) expect(end.hint ?? '').toMatch(hint);
}

describe('velero-restore waits and failures', () => {
  it('check plans the Restore of a backup not synced yet, from the source cluster\'s profiles', async () => {
    const r = await runTasks({ tasks: [restoreTask({ backup: 'not-there-yet', source_cluster: 'blue' })], targets: targets(), mode: 'check', diff: true });
    const end = r.reporter.end('restore');
    expect(end.status).toBe('changed');
    expect(end.notes.join('\n')).toMatch(/not on green yet; a run waits up to 5m/);
    expect(end.changes[0]).toMatchObject({ action: 'create', target: 'restore velero/not-there-yet-restore', after: { backupName: 'not-there-yet', includedNamespaces: ['team-000', 'team-001', 'team-002', 'velero'] } });
  });

  it('fails after sync_timeout when the backup never appears', async () => {
    const r = await runTasks({ tasks: [restoreTask({ backup: 'never', included_namespaces: ['team-000'], sync_timeout: '300ms' })], targets: targets() });
    expectEnd(r.reporter.end('restore'), 'failed', /backup velero\/never on green did not appear within/, /bucket/);
    expect(green().get('velero.io/v1', 'Restore', 'never-restore', 'velero')).toBeUndefined();
  });

  it('a restore of the same name that partially failed is refused unless allow_partial', async () => {
    await runTasks({ tasks: [{ name: 'b', 'velero-backup': { cluster: 'blue', name: 'kf-partial', included_namespaces: ['team-001'] } }], targets: targets() });
    // a restore of that name that ended PartiallyFailed (the final-phase rule itself is shared with velero-backup)
    green().create({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'p2', namespace: 'velero' }, spec: { backupName: 'kf-partial' }, status: { phase: 'PartiallyFailed', errors: 2, warnings: 1 } });
    const refused = await runTasks({ tasks: [restoreTask({ backup: 'kf-partial', name: 'p2', included_namespaces: ['team-001'] })], targets: targets(), mode: 'check' });
    expectEnd(refused.reporter.end('restore'), 'failed', /restore velero\/p2 already exists and ended in phase PartiallyFailed: phase PartiallyFailed, 2 errors, 1 warning/, /another restore name/);
    const ok = await runTasks({ tasks: [restoreTask({ backup: 'kf-partial', name: 'p2', allow_partial: true })], targets: targets() });
    expect(ok.reporter.end('restore').status).toBe('ok');
  });

  it('FailedValidation is reported with the validation errors', async () => {
    await runTasks({ tasks: [{ name: 'b', 'velero-backup': { cluster: 'blue', name: 'kf-valid', included_namespaces: ['team-002'] } }], targets: targets() });
    const r = await runTasks({ tasks: [restoreTask({ backup: 'kf-valid', name: 'v1', included_namespaces: ['team-002'], excluded_namespaces: ['team-002'], sync_timeout: '5s' })], targets: targets() });
    expectEnd(r.reporter.end('restore'), 'failed', /phase FailedValidation.*namespace team-002 is both included and excluded/);
  });

  it('retries 409, 429 and 5xx on green', async () => {
    await runTasks({ tasks: [{ name: 'b', 'velero-backup': { cluster: 'blue', name: 'kf-faults', included_namespaces: ['team-000'] } }], targets: targets() });
    sb.traffic.setFaults([
      { fault: 'conflict', target: 'green', times: 1 },
      { fault: 'throttle', target: 'green', operation: 'get', times: 1 },
      { fault: 'error500', target: 'green', times: 2 },
    ]);
    const r = await runTasks({ tasks: [restoreTask({ backup: 'kf-faults', included_namespaces: ['team-000'], sync_timeout: '5s', allow_partial: true })], targets: targets() });
    expect(r.reporter.end('restore').status, r.reporter.end('restore').message).toBe('changed');
  });

  it("refuses a source_cluster that is the restore's own cluster", async () => {
    const same = await runTasks({ tasks: [restoreTask({ backup: 'x', source_cluster: 'green' })], targets: targets(), mode: 'check' });
    expectEnd(same.reporter.end('restore'), 'failed', /source_cluster is the restore's own cluster/, /names the cluster that was backed up/);
  });
});
