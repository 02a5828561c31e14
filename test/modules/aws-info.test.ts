// aws-info through the conformance tester (test/kit/task-tester.ts): one read-only AWS call, so
// every case is `ok` in check and in a run, with the response's fields as outputs (read back from
// the run's journal). The tester asserts that dry-run sends nothing and that neither check nor run
// writes. Refusals found when the call is made (secret material, a misspelt operation, a missing
// resource without allow_missing): aws-info.edges.test.ts.
import { expect } from 'vitest';
import { readJournal } from '../../src/runner/state/journal.js';
import type { TaskRun } from '../helpers/run.js';
import { taskTester } from '../kit/task-tester.js';

const outputsOf = (run: TaskRun) =>
  readJournal(run.stateDir, run.result.runId).flatMap((r) => (r.t === 'task-end' && r.name === 'task under test' ? [r.outputs ?? {}] : []))[0] ?? {};

taskTester({
  type: 'aws-info',
  sandbox: { profiles: 1 },
  valid: [
    {
      name: "describes the backup vault: the response's fields are the outputs",
      params: (sb) => ({ service: 'backup', operation: 'DescribeBackupVault', input: { BackupVaultName: sb.scenario.backup.vault } }),
      expect: 'ok',
      after: ({ sb, run }) => {
        const o = outputsOf(run);
        expect(o).toMatchObject({ exists: true, BackupVaultName: sb.scenario.backup.vault });
        expect(o.BackupVaultArn).toContain(':backup-vault:');
        expect(o).not.toHaveProperty('$metadata');
      },
    },
    {
      name: 'a vault that is not there, with allow_missing, is exists: false',
      params: { service: 'backup', operation: 'DescribeBackupVault', input: { BackupVaultName: 'no-such-vault' }, allow_missing: true },
      expect: 'ok',
      after: ({ run }) => {
        expect(outputsOf(run)).toEqual({ exists: false });
        expect(run.reporter.end('task under test').notes.join('\n')).toMatch(/DescribeBackupVault: \w*NotFound/);
      },
    },
    {
      name: 'an endpoint SageMaker cannot find (its ValidationException), with allow_missing, is exists: false',
      params: { service: 'sagemaker', operation: 'DescribeEndpoint', input: { EndpointName: 'no-such-endpoint' }, allow_missing: true },
      expect: 'ok',
      after: ({ run }) => expect(outputsOf(run)).toEqual({ exists: false }),
    },
    {
      name: 'lists the IAM OIDC providers, in the region given',
      params: (sb) => ({ service: 'iam', operation: 'ListOpenIDConnectProviders', region: sb.scenario.region }),
      expect: 'ok',
      after: ({ run }) => expect(outputsOf(run).OpenIDConnectProviderList).toHaveLength(2),
    },
  ],
  invalid: [
    { name: 'a write operation', params: { service: 'iam', operation: 'UpdateRole', input: {} }, error: /operation/ },
    { name: 'a service it does not offer', params: { service: 's3', operation: 'ListBuckets' }, error: /service/ },
    { name: 'input that is not an object', params: { service: 'backup', operation: 'DescribeBackupVault', input: 'kubeflow-upgrade-vault' }, error: /input/ },
  ],
});
