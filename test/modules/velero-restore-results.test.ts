// velero-restore reports the objects Velero skipped because they already existed (issue 13 "The
// upgrade as the real deployment runs it", point 5). Velero keeps the messages in the bucket
// (restores/<name>/restore-<name>-results.gz) and only their count in Restore.status.warnings;
// `velero restore describe --details` reads the file when that count is not 0, through a
// DownloadRequest (target RestoreResults) whose status.downloadURL Velero fills with a pre-signed
// URL valid 10 minutes (vmware-tanzu/velero pkg/cmd/util/output/restore_describer.go,
// pkg/controller/download_request_controller.go, pkg/restore/restore.go "already exists").
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox, sandboxTargets } from '../helpers/sandbox.js';
import { runTasks, type TaskRun } from '../helpers/run.js';
import { readJournal } from '../../src/runner/state/journal.js';

let sb: Sandbox;
useSandbox({ profiles: 2, notebooks: 1, timing: { veleroPhaseMs: 40, veleroSyncMs: 40 } }, (s) => (sb = s));

const green = () => sb.clusters.green.server.store;
const restore = { name: 'restore', 'velero-restore': { cluster: 'green', backup: 'rr-backup', included_namespaces: ['team-000'] } };
const outputsOf = (run: TaskRun) => readJournal(run.stateDir, run.result.runId).flatMap((r) => (r.t === 'task-end' && r.name === 'restore' ? [r.outputs ?? {}] : []))[0] ?? {};
// the namespace made by hand lacks blue's labels: it differs too, and is cluster-scoped
const SKIPPED = [
  { namespace: '', kind: 'Namespace', name: 'team-000' },
  { namespace: 'team-000', kind: 'ConfigMap', name: 'kfp-launcher' },
];
const downloadRequests = () => green().list('velero.io/v1', 'DownloadRequest', 'velero');
let first: TaskRun;

beforeAll(async () => {
  const b = await runTasks({ tasks: [{ name: 'backup', 'velero-backup': { cluster: 'blue', name: 'rr-backup', included_namespaces: ['team-000'] } }], targets: sandboxTargets(sb) });
  expect(b.reporter.end('backup').status).toBe('changed');
  // green already holds an object of the same name, different from blue's: Velero leaves it
  green().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-000' } });
  green().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kfp-launcher', namespace: 'team-000' }, data: { defaultPipelineRoot: 's3://somewhere-else/' } });
  first = await runTasks({ tasks: [restore], targets: sandboxTargets(sb) });
});

describe('velero-restore: objects skipped because they already existed', () => {
  it('reads the results through a DownloadRequest and reports the skipped objects in its outputs and log', () => {
    const end = first.reporter.end('restore');
    expect(end.status, end.message).toBe('changed');
    const o = outputsOf(first);
    expect(o.warnings).toBeGreaterThan(0);
    expect(o.skipped_existing).toEqual(SKIPPED);
    const logs = first.reporter.events.flatMap((e) => (e.type === 'task-log' ? [e.message] : []));
    expect(logs.join('\n')).toMatch(/Velero skipped 2 objects that already existed .*: cluster\/Namespace\/team-000, team-000\/ConfigMap\/kfp-launcher/);
    // green's object is left as it was
    expect(green().get('v1', 'ConfigMap', 'kfp-launcher', 'team-000')!.data).toEqual({ defaultPipelineRoot: 's3://somewhere-else/' });
  });

  it('asked the way the velero CLI asks: a DownloadRequest Velero answered with a 10-minute URL on its S3 bucket', () => {
    const [d] = downloadRequests();
    expect(d.spec).toEqual({ target: { kind: 'RestoreResults', name: 'rr-backup-restore' } });
    const status = d.status as { phase: string; downloadURL: string; expiration: string };
    expect(status.phase).toBe('Processed');
    expect(status.downloadURL).toContain(`/${sb.scenario.velero.bucket}/restores/rr-backup-restore/restore-rr-backup-restore-results.gz?`);
    expect(Date.parse(status.expiration) - Date.now()).toBeGreaterThan(8 * 60_000);
    expect(sb.requestLog.entries.some((e) => e.service === 's3' && e.operation === 'GetObject' && e.path.endsWith('-results.gz'))).toBe(true);
  });

  it('a second run is ok and reports the same, reusing the URL Velero still holds (check creates nothing)', async () => {
    const before = downloadRequests().length;
    const again = await runTasks({ tasks: [restore], targets: sandboxTargets(sb) });
    const end = again.reporter.end('restore');
    expect(end.status).toBe('ok');
    expect(end.notes.join('\n')).toMatch(/team-000\/ConfigMap\/kfp-launcher/);
    expect(outputsOf(again).skipped_existing).toEqual(SKIPPED);
    expect(downloadRequests().length).toBe(before);
  });

  it('once Velero deleted the expired request, a check says where the warnings are instead of guessing', async () => {
    const [d] = downloadRequests();
    green().update({ ...d, status: { ...(d.status as object), expiration: new Date(Date.now() - 1000).toISOString() } });
    // Velero's periodic requeue deletes it
    while (downloadRequests().length) await new Promise((r) => setTimeout(r, 20));
    const check = await runTasks({ tasks: [restore], targets: sandboxTargets(sb), mode: 'check' });
    const end = check.reporter.end('restore');
    expect(end.status).toBe('ok');
    expect(end.notes.join('\n')).toMatch(/warnings are in the results file in the bucket; a run reads them \(or: velero restore describe rr-backup-restore --details\)/);
  });

  it('an expired pre-signed URL is refused by S3 (403 Request has expired)', async () => {
    const url = new URL(`${sb.awsEndpoint}/${sb.scenario.velero.bucket}/restores/rr-backup-restore/restore-rr-backup-restore-results.gz`);
    const past = new Date(Date.now() - 20 * 60_000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    url.search = new URLSearchParams({ 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Credential': `sandbox/${past.slice(0, 8)}/us-west-2/s3/aws4_request`, 'X-Amz-Date': past, 'X-Amz-Expires': '600', 'X-Amz-SignedHeaders': 'host', 'X-Amz-Signature': '0' }).toString();
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/Request has expired/);
  });
});
