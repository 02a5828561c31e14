// k8s-info's table for the conformance tester: reads only, so every case is `ok` in check and in
// a run, with its outputs known; the outputs are read back from the run's journal.
import { expect } from 'vitest';
import { readJournal } from '../../src/runner/state/journal.js';
import type { TaskRun } from '../helpers/run.js';
import { taskTester } from '../kit/task-tester.js';

const outputsOf = (run: TaskRun) =>
  readJournal(run.stateDir, run.result.runId).flatMap((r) => (r.t === 'task-end' && r.name === 'task under test' ? [r.outputs ?? {}] : []))[0] ?? {};

taskTester({
  type: 'k8s-info',
  sandbox: { profiles: 3 },
  valid: [
    {
      name: 'lists the storage locations of a namespace',
      params: { cluster: 'blue', api_version: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: 'velero' },
      expect: 'ok',
      after: ({ run }) => {
        const o = outputsOf(run);
        expect(o).toMatchObject({ exists: true, count: 1, names: ['velero/default'], object: null });
        const objects = o.objects as { kind?: string; spec?: { provider?: string } }[];
        expect(objects.map((x) => [x.kind, x.spec?.provider])).toEqual([['BackupStorageLocation', 'aws']]);
      },
    },
    {
      name: 'reads one object by name',
      params: { cluster: 'green', api_version: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: 'velero', name: 'default' },
      expect: 'ok',
      after: ({ run }) => {
        expect(outputsOf(run)).toMatchObject({ exists: true, count: 1, names: ['velero/default'], object: { metadata: { name: 'default', namespace: 'velero' } } });
      },
    },
    {
      name: 'lists a cluster-scoped kind (the Profiles)',
      params: { cluster: 'blue', api_version: 'kubeflow.org/v1', kind: 'Profile' },
      expect: 'ok',
      after: ({ run }) => expect(outputsOf(run)).toMatchObject({ exists: true, count: 3, names: ['team-000', 'team-001', 'team-002'] }),
    },
    {
      name: 'selects by label',
      params: { cluster: 'blue', api_version: 'v1', kind: 'Namespace', label_selector: 'kubernetes.io/metadata.name in (team-001,team-002)' },
      expect: 'ok',
      after: ({ run }) => expect(outputsOf(run)).toMatchObject({ count: 2, names: ['team-001', 'team-002'] }),
    },
    {
      name: 'with allow_missing an absent object is no error',
      params: { cluster: 'green', api_version: 'velero.io/v1', kind: 'BackupStorageLocation', namespace: 'velero', name: 'other', allow_missing: true },
      expect: 'ok',
      after: ({ run }) => expect(outputsOf(run)).toEqual({ exists: false, object: null, objects: [], count: 0, names: [] }),
    },
  ],
  invalid: [
    { name: 'no kind', params: { cluster: 'blue', api_version: 'v1' }, error: /missing the required "kind"/ },
    { name: 'allow_missing as a string', params: { cluster: 'blue', api_version: 'v1', kind: 'Namespace', allow_missing: 'yes' }, error: /allow_missing.*must be boolean/ },
    { name: 'a parameter it does not have', params: { cluster: 'blue', api_version: 'v1', kind: 'Namespace', selector: 'a=b' }, error: /unknown key "selector"/ },
    {
      name: 'a reference to an output it does not declare',
      params: { cluster: 'blue', api_version: 'v1', kind: 'Namespace', name: '{{first.outputs.obj.metadata.name}}' },
      tasks: [{ name: 'first', 'k8s-info': { cluster: 'blue', api_version: 'v1', kind: 'Namespace' }, register: 'first' }],
      error: /first\.outputs\.obj/,
    },
  ],
});
