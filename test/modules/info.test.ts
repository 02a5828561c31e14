// k8s-info and aws-info: reads that feed assertions, known in check mode, never a write.
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox } from '../helpers/sandbox.js';
import { runTasks } from '../helpers/run.js';

let sb: Sandbox;
useSandbox({ profiles: 3 }, (s) => (sb = s));
const targets = () => ({
  aws: { region: sb.scenario.region },
  clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' }, green: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-green' }, gone: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' } },
});

describe('k8s-info and aws-info', () => {
  it('feed preflight assertions in check mode without a single write', async () => {
    const mark = sb.requestLog.mark();
    const r = await runTasks({
      mode: 'check',
      targets: targets(),
      tasks: [
        { name: 'blue bsl', 'k8s-info': { cluster: 'blue', api_version: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: 'velero' }, register: 'blue_bsl' },
        { name: 'green bsl', 'k8s-info': { cluster: 'green', api_version: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: 'velero', name: 'default' }, register: 'green_bsl' },
        { name: 'profiles', 'k8s-info': { cluster: 'blue', api_version: 'kubeflow.org/v1', kind: 'Profile' }, register: 'profiles' },
        { name: 'vault', 'aws-info': { service: 'backup', operation: 'DescribeBackupVault', input: { BackupVaultName: sb.scenario.backup.vault } }, register: 'vault' },
        {
          name: 'same bucket, vault present, 3 profiles',
          assert: {
            that: [
              '{{eq blue_bsl.outputs.objects.[0].spec.objectStorage.bucket green_bsl.outputs.object.spec.objectStorage.bucket}}',
              '{{eq vault.outputs.BackupVaultName "' + sb.scenario.backup.vault + '"}}',
              '{{eq profiles.outputs.count 3}}',
            ],
          },
        },
      ],
    });
    expect(r.reporter.ends().map((e) => [e.task.name, e.status])).toEqual([
      ['blue bsl', 'ok'],
      ['green bsl', 'ok'],
      ['profiles', 'ok'],
      ['vault', 'ok'],
      ['same bucket, vault present, 3 profiles', 'ok'],
    ]);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });

  it('says clearly what is missing', async () => {
    const r = await runTasks({
      mode: 'check',
      targets: targets(),
      tasks: [
        { name: 'no such bsl', ignore_errors: true, 'k8s-info': { cluster: 'green', api_version: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: 'velero', name: 'other' } },
        { name: 'maybe', 'k8s-info': { cluster: 'green', api_version: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: 'velero', name: 'other', allow_missing: true }, register: 'maybe' },
        { name: 'absent ok', assert: { that: ['{{not maybe.outputs.exists}}'] } },
      ],
    });
    expect(r.reporter.end('no such bsl').message).toBe('BackupStorageLocation velero/other does not exist on green (context sandbox-green)');
    expect(r.reporter.end('absent ok').status).toBe('ok');
  });

  // aws-info alone: its table in aws-info.test.ts, its refusals in aws-info.edges.test.ts
});
