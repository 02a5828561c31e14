// `kfup sandbox up` with the sandbox's judge settings as flags (issue 12): the IAM trust-policy
// quota, Velero's server default for file-system backup and the ACK controllers' deletion policy.
// One sandbox started with all three, each observed where it acts: IAM refuses a trust policy over
// the quota with LimitExceeded (IAM quotas page: "Role trust policy length"); the clusters' Velero
// and ACK SageMaker Deployments carry the server flags the controllers obey
// (--default-volumes-to-fs-backup, vmware-tanzu/velero pkg/cmd/server; --deletion-policy, ACK
// runtime pkg/config).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kfupBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

/** `kfup sandbox up ARGS` until it says it is up (or exits); stop() sends Ctrl-C and waits */
async function sandboxUp(dir: string, ...args: string[]) {
  const child = spawn(process.execPath, [kfupBin, 'sandbox', 'up', '--dir', dir, '--profiles', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  for (let i = 0; i < 600 && !out.includes('Ctrl-C stops the sandbox') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  return {
    out: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/** a container's args of a Deployment on the blue cluster, read through the Kubernetes API */
async function deploymentArgs(dir: string, namespace: string, name: string): Promise<string[]> {
  const kc = parse(readFileSync(join(dir, 'kubeconfig'), 'utf8')) as { clusters: { name: string; cluster: { server: string } }[]; users: { user: { token: string } }[] };
  const server = kc.clusters.find((c) => c.name === 'sandbox-blue')!.cluster.server;
  const res = await fetch(`${server}/apis/apps/v1/namespaces/${namespace}/deployments/${name}`, { headers: { authorization: `Bearer ${kc.users[0].user.token}` } });
  const d = (await res.json()) as { spec: { template: { spec: { containers: { args?: string[] }[] } } } };
  return d.spec.template.spec.containers[0].args ?? [];
}

describe('kfup sandbox up: the judge settings as flags', () => {
  it('--trust-policy-quota, --velero-default-volumes-to-fs-backup and --ack-deletion-policy take effect', async () => {
    const dir = tempDir('kfup-sbflags-');
    const sb = await sandboxUp(dir, '--trust-policy-quota', '300', '--velero-default-volumes-to-fs-backup', 'false', '--ack-deletion-policy', 'retain');
    try {
      const out = sb.out();
      expect(out).toContain('role trust policies up to 300 characters');
      expect(out).toContain('--default-volumes-to-fs-backup=false on both clusters');
      expect(out).toContain('--deletion-policy=retain on both clusters');
      // a 400-character trust policy: over this account's 300, under AWS's 2,048
      const endpoint = /AWS endpoint\s+(http:\/\/\S+)/.exec(out)![1];
      const role = 'AWSBackupDefaultServiceRole';
      const statement = { Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' };
      const doc = JSON.stringify({ Version: '2012-10-17', Statement: Array.from({ length: 5 }, (_, i) => ({ ...statement, Sid: `S${i}` })) });
      expect(doc.replace(/\s/g, '').length).toBeGreaterThan(300);
      const res = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request' },
        body: `Action=UpdateAssumeRolePolicy&Version=2010-05-08&RoleName=${role}&PolicyDocument=${encodeURIComponent(doc)}`,
      });
      const body = await res.text();
      expect(body).toContain('<Code>LimitExceeded</Code>');
      expect(body).toContain('Cannot exceed quota for ACLSizePerRole: 300');
      expect(await deploymentArgs(dir, 'velero', 'velero')).toContain('--default-volumes-to-fs-backup=false');
      expect(await deploymentArgs(dir, 'ack-system', 'ack-sagemaker-controller-sagemaker-chart')).toContain('--deletion-policy=retain');
    } finally {
      expect(await sb.stop()).toBe(0);
    }
  });

  it('refuses values the settings cannot take, before starting anything', async () => {
    for (const [flag, value, message] of [
      ['--ack-deletion-policy', 'keep', '--ack-deletion-policy must be delete or retain, not "keep"'],
      ['--velero-default-volumes-to-fs-backup', 'yes', '--velero-default-volumes-to-fs-backup must be true or false, not "yes"'],
      ['--trust-policy-quota', '0', '--trust-policy-quota must be a whole number from 1 to 4096, not "0"'],
    ]) {
      const sb = await sandboxUp(tempDir('kfup-sbflags-'), flag, value);
      expect(await sb.exited).toBe(2);
      expect(sb.out()).toContain(message);
    }
  });
});
