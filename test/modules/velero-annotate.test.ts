// velero-annotate's table for the conformance tester, against the sandbox: blue's notebooks mount
// an EFS workspace (and every other notebook an EBS data volume, which must NOT be annotated).
// The tester reverts every case and compares the annotations with those before the run.
// Rollback beside later edits, faults and 2,000 pods: velero-annotate.edges.test.ts.
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { taskTester } from '../kit/task-tester.js';

const KEY = 'backup.velero.io/backup-volumes';
const TASK = 'task under test';

function setAnnotation(sb: Sandbox, ns: string, name: string, v: string | undefined): void {
  const store = sb.clusters.blue.server.store;
  const p = store.get('v1', 'Pod', name, ns)!;
  const annotations = { ...p.metadata.annotations };
  if (v === undefined) delete annotations[KEY];
  else annotations[KEY] = v;
  store.update({ ...p, metadata: { ...p.metadata, annotations } });
}

/** every team pod's annotation, "ns/pod=value" */
const annotations = (sb: Sandbox) =>
  sb.clusters.blue.server.store
    .list('v1', 'Pod')
    .filter((p) => p.metadata.namespace?.startsWith('team-'))
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}=${p.metadata.annotations?.[KEY] ?? ''}`)
    .sort();

/** no pod annotated: each case starts from the same cluster */
function clear(sb: Sandbox): void {
  for (const p of sb.clusters.blue.server.store.list('v1', 'Pod')) {
    if (p.metadata.namespace?.startsWith('team-') && p.metadata.annotations?.[KEY] !== undefined) setAnnotation(sb, p.metadata.namespace, p.metadata.name, undefined);
  }
}

taskTester({
  type: 'velero-annotate',
  sandbox: { profiles: 3, timing: { veleroPhaseMs: 50, veleroSyncMs: 50 } },
  valid: [
    {
      name: 'annotates the EFS workspaces of the profile namespaces, merged with names already there',
      setup: (sb) => {
        clear(sb);
        setAnnotation(sb, 'team-002', 'nb-0-0', 'nb-0-workspace');
        setAnnotation(sb, 'team-001', 'nb-1-0', 'scratch');
      },
      params: { cluster: 'blue' },
      state: annotations,
      after: ({ sb, run }) => {
        const end = run.reporter.end(TASK);
        // team-002/nb-0-0 had its workspace already; the EBS data volumes are never named
        expect(end.changes.map((c) => c.target)).toEqual(['pod team-000/nb-0-0', 'pod team-000/nb-1-0', 'pod team-001/nb-0-0', 'pod team-001/nb-1-0', 'pod team-002/nb-1-0']);
        expect(end.changes.find((x) => x.target === 'pod team-001/nb-1-0')).toMatchObject({
          action: 'update',
          summary: `add nb-1-workspace to ${KEY}`,
          before: { [KEY]: 'scratch' },
          after: { [KEY]: 'scratch,nb-1-workspace' },
        });
        expect(end.changes.find((x) => x.target === 'pod team-000/nb-0-0')).toMatchObject({ before: {}, after: { [KEY]: 'nb-0-workspace' } });
        expect(annotations(sb)).toEqual([
          'team-000/nb-0-0=nb-0-workspace',
          'team-000/nb-1-0=nb-1-workspace',
          'team-001/nb-0-0=nb-0-workspace',
          'team-001/nb-1-0=scratch,nb-1-workspace',
          'team-002/nb-0-0=nb-0-workspace',
          'team-002/nb-1-0=nb-1-workspace',
        ]);
      },
    },
    {
      name: 'takes an explicit namespace list',
      setup: clear,
      params: { cluster: 'blue', namespaces: ['team-001'], concurrency: 1 },
      state: annotations,
      after: ({ run }) => expect(run.reporter.end(TASK).changes.map((c) => c.target)).toEqual(['pod team-001/nb-0-0', 'pod team-001/nb-1-0']),
    },
    {
      name: 'takes a namespace label selector',
      setup: clear,
      params: { cluster: 'blue', namespace_selector: 'kubernetes.io/metadata.name in (team-000,team-002)' },
      state: annotations,
      after: ({ run }) => expect(run.reporter.end(TASK).changes.map((c) => c.target)).toEqual(['pod team-000/nb-0-0', 'pod team-000/nb-1-0', 'pod team-002/nb-0-0', 'pod team-002/nb-1-0']),
    },
    {
      name: 'has nothing to do when no volume is on the drivers (only FSx here)',
      setup: clear,
      params: { cluster: 'blue', drivers: ['fsx.csi.aws.com'] },
      expect: 'ok',
      after: ({ sb }) => expect(annotations(sb).every((l) => l.endsWith('='))).toBe(true),
    },
  ],
  invalid: [
    { name: 'concurrency 0', params: { cluster: 'blue', concurrency: 0 }, error: /"concurrency" must be >= 1/ },
    { name: 'no drivers', params: { cluster: 'blue', drivers: [] }, error: /drivers/ },
    { name: 'a parameter it does not have', params: { cluster: 'blue', namespace: 'team-000' }, error: /unknown key "namespace"/ },
    { name: 'no cluster', params: {}, error: /missing the required "cluster"/ },
  ],
});
