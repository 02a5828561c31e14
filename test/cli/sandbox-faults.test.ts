// Issue 16: the help's own example `--faults backup-fail:efs` injected nothing (an EFS file
// system's ARN is arn:aws:elasticfilesystem:…, which holds no "efs"). Every example that
// `kfup sandbox up --help` lists is read from the built CLI's help, and the sandbox is started with
// it as `kfup sandbox up --faults` starts it (startSandbox with the spec as given); then the fault
// it says it injects is provoked and seen: in the request log for transport faults (and on no
// other side), and in the emulated behaviour for the others.
import { describe, expect, it } from 'vitest';
import { BackupClient, DescribeBackupJobCommand, StartBackupJobCommand } from '@aws-sdk/client-backup';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import type { Sandbox } from '../../src/sandbox/index.js';
import type { TrafficTarget } from '../../src/sandbox/traffic.js';
import { startSandbox } from '../helpers/sandbox.js';
import { kfup } from '../helpers/cli.js';

const FAST = { backupJobMs: 60, dnsChangeMs: 50, veleroPhaseMs: 20, veleroSyncMs: 20 };

/** the examples of `kfup sandbox up --help`: "  SPEC   what it injects" lines under "Fault examples" */
async function helpExamples(): Promise<{ spec: string; says: string }[]> {
  const r = await kfup(['sandbox', 'up', '--help']);
  expect(r.code).toBe(0);
  const after = r.stdout.slice(r.stdout.indexOf('Fault examples'));
  return [...after.matchAll(/^ {2}(\S+:\S+)\s{2,}(.+)$/gm)].map((m) => ({ spec: m[1], says: m[2] }));
}

const aws = (sb: Sandbox) => ({ region: sb.scenario.region, endpoint: sb.awsEndpoint, credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox-secret' }, maxAttempts: 1 });

/** polls until check() gives a value, for at most 10 s of wall clock */
async function until<T>(check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (const end = Date.now() + 10_000; Date.now() < end; ) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out waiting');
}

/**
 * Requests to the given sides, a few at a time, until done() or 400 rounds: AWS reads, and on a
 * cluster a read and a write (a label on a namespace). A fault at rate r shows within about 1/r.
 */
async function traffic(sb: Sandbox, sides: TrafficTarget[], done: () => boolean): Promise<void> {
  const iam = new IAMClient(aws(sb));
  const headers = { authorization: 'Bearer sandbox-token', 'content-type': 'application/merge-patch+json' };
  for (let i = 0; i < 400 && !done(); i++) {
    if (sides.includes('aws')) await iam.send(new ListRolesCommand({ MaxItems: 1 })).catch(() => undefined);
    for (const c of [sb.clusters.blue, sb.clusters.green].filter((x) => sides.includes(x.name))) {
      await fetch(`${c.url}/api/v1/namespaces/kubeflow`, { headers }).then((r) => r.arrayBuffer()).catch(() => undefined);
      await fetch(`${c.url}/api/v1/namespaces/kubeflow`, { method: 'PATCH', headers, body: JSON.stringify({ metadata: { labels: { probe: String(i) } } }) })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
    }
  }
  iam.destroy();
}

/** provokes the fault an example names and checks it happened */
async function provoke(sb: Sandbox, spec: string): Promise<void> {
  const [head, arg] = spec.split(':');
  const [side, fault] = head.includes('/') ? head.split('/') : [undefined, head];
  if (['throttle', 'error500', 'error503', 'drop', 'conflict'].includes(fault)) {
    // the sides the example names; without one, every side that can take the fault
    const sides: TrafficTarget[] = side === 'aws' ? ['aws'] : side === 'kube' ? ['blue', 'green'] : side === 'blue' || side === 'green' ? [side] : fault === 'conflict' ? ['blue', 'green'] : ['aws', 'blue', 'green'];
    const hits = () => sb.requestLog.entries.filter((e) => e.fault === fault);
    await traffic(sb, side ? ['aws', 'blue', 'green'] : sides, () => sides.every((x) => hits().some((e) => e.target === x)));
    expect(new Set(hits().map((e) => e.target)), `${spec}: the sides that got ${fault}`).toEqual(new Set(sides));
    // a rate, not every request
    expect(hits().length).toBeLessThan(sb.requestLog.entries.filter((e) => sides.includes(e.target)).length);
    return;
  }
  if (fault === 'backup-fail') {
    const backup = new BackupClient(aws(sb));
    const start = (arn: string) =>
      backup.send(new StartBackupJobCommand({ BackupVaultName: sb.scenario.backup.vault, ResourceArn: arn, IamRoleArn: `arn:aws:iam::${sb.scenario.accountId}:role/service-role/${sb.scenario.backup.roleName}` }));
    const ended = (id: string) => until(async () => ((s) => (s === 'FAILED' || s === 'COMPLETED' ? s : undefined))((await backup.send(new DescribeBackupJobCommand({ BackupJobId: id }))).State));
    expect(arg).toBe('efs');
    const efs = await start(sb.aws.state.backup.resources.efs);
    const rds = await start(sb.aws.state.backup.resources.rds);
    expect(await ended(efs.BackupJobId!), 'the EFS job').toBe('FAILED');
    expect(await ended(rds.BackupJobId!), 'a job of another type').toBe('COMPLETED');
    backup.destroy();
    return;
  }
  if (fault === 'velero-partial') {
    const store = sb.clusters.blue.server.store;
    store.create({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'probe', namespace: 'velero' }, spec: { includedNamespaces: ['kubeflow'] } });
    const phase = await until(() => ((p) => (p === 'Completed' || p === 'PartiallyFailed' || p === 'Failed' ? p : undefined))((store.get('velero.io/v1', 'Backup', 'probe', 'velero')?.status as { phase?: string } | undefined)?.phase));
    expect(phase).toBe('PartiallyFailed');
    return;
  }
  if (fault === 'dns-slow') {
    const r53 = new Route53Client(aws(sb));
    const name = `probe.${sb.scenario.hostedZone.name}`;
    const { ChangeInfo } = await r53.send(
      new ChangeResourceRecordSetsCommand({ HostedZoneId: sb.scenario.hostedZone.id, ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"probe"' }] } }] } }),
    );
    expect((await r53.send(new GetChangeCommand({ Id: ChangeInfo!.Id }))).ChangeInfo?.Status).toBe('PENDING');
    // the change is due INSYNC the given milliseconds after it was submitted (the sandbox's default is FAST's 50)
    const c = sb.aws.state.route53.change(ChangeInfo!.Id!);
    expect(c.insyncAt - c.SubmittedAt).toBe(Number(arg));
    r53.destroy();
    return;
  }
  throw new Error(`the help lists a fault this test does not know how to check: ${spec}`);
}

describe('kfup sandbox up --help: every --faults example injects what it says', () => {
  it('lists the examples, backup-fail:efs among them', async () => {
    const examples = await helpExamples();
    expect(examples.map((e) => e.spec)).toContain('backup-fail:efs');
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it('each example, in a sandbox of its own', async () => {
    for (const { spec } of await helpExamples()) {
      const sb = await startSandbox({ profiles: 1, notebooks: 1, faults: spec, seed: 1, timing: FAST });
      try {
        await provoke(sb, spec);
      } finally {
        await sb.stop();
      }
    }
  }, 60_000);
});
