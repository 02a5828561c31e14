// Issue 16, "plans are hard to read", through the built CLI against one sandbox: a small playbook
// that backs blue's profiles up with Velero, restores them into green, sends green's metrics to
// Prometheus (a ConfigMap whose prometheus.yml is a multi-line value) and creates the
// AuthorizationPolicies KServe predictors need in green's Profile namespaces. Its check --diff:
// - shows the new Velero backup as YAML, one field per line, and prometheus.yml as a unified diff;
// - says the AuthorizationPolicies are known after apply (the Profiles come with the restore),
//   where it used to say "no AuthorizationPolicy to create" before the run created 6;
// - sums the plan up as terraform plan does. The run then creates the policies it said it would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Sandbox } from '../../src/sandbox/index.js';
import { startSandbox } from '../helpers/sandbox.js';
import { kfup } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const FAST = { backupJobMs: 300, dnsChangeMs: 100, veleroPhaseMs: 80, veleroSyncMs: 80 };
const PROFILES = 3;

let sb: Sandbox;
let dir: string;
let playbook: string;
const run = (args: string[]) => kfup(['run', playbook, '--state-dir', join(dir, '.kfup'), ...args], { cwd: dir, env: sb.env });

beforeAll(async () => {
  sb = await startSandbox({ profiles: PROFILES, timing: FAST });
  dir = tempDir('kfup-plan-');
  playbook = join(dir, 'playbook.yaml');
  const cluster = (context: string) => ({ kubeconfig: sb.kubeconfigPath, context });
  writeFileSync(
    playbook,
    stringify({
      name: 'restore and authorize',
      targets: { aws: { region: sb.scenario.region }, clusters: { blue: cluster('sandbox-blue'), green: cluster('sandbox-green') } },
      tasks: [
        { name: 'Back up blue', 'velero-backup': { cluster: 'blue', name: 'kf-plan-test', namespace: 'velero', included_namespaces: [], include_cluster_resources: true } },
        { name: 'Restore into green', 'velero-restore': { cluster: 'green', backup: 'kf-plan-test', source_cluster: 'blue', namespace: 'velero', included_namespaces: [] } },
        { name: 'Prometheus on green', 'prometheus-scrape': { cluster: 'green' } },
        { name: 'Authorize predictors', 'knative-config': { cluster: 'green', domain: sb.scenario.subdomain, authorization_policy: true } },
      ],
    }),
  );
});

afterAll(async () => {
  await sb?.stop();
});

describe('check --diff reads like terraform plan', () => {
  it('new objects as YAML, multi-line values as unified diffs, and the policies known after apply', async () => {
    const r = await run(['--check', '--diff']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = r.stdout;
    // the Velero backup is a new object: its spec, one field per line
    expect(out).toMatch(/\+ create backup velero\/kf-plan-test: [^\n]*\n\s+\+ includedNamespaces:\n\s+\+ {3}- \S+/);
    expect(out).toMatch(/^\s+\+ includeClusterResources: true$/m);
    // prometheus.yml changes as lines of a unified diff, not one escaped line
    expect(out).toMatch(/^\s+@@ -\d+,\d+ \+\d+,\d+ @@$/m);
    expect(out).toMatch(/^\s+\+\s+- job_name: \S+/m);
    expect(out).not.toMatch(/\\n/);
    // a multi-line value inside an object (config-domain's _example, which the domain change
    // removes) is a block of lines under its key, no longer one escaped 900-character line
    expect(out).toMatch(/^\s+- _example: \|\n\s+#{32}\n\s+# {30}#\n/m);
    // the policies are for the Profiles the restore brings: said so, never "no AuthorizationPolicy to create"
    expect(out).not.toMatch(/no AuthorizationPolicy to create/);
    // (only the restore creates on green: Prometheus's configuration update brings no Profile)
    expect(out).toMatch(/\+ create authorizationpolicies in the Profile namespaces on green: 2 per Profile namespace on green once "Restore into green" has applied; how many is known after apply/);
    // added: the backup and the restore; the policies are the one known after apply
    expect(out).toMatch(/^Plan: 2 to add, \d+ to change, 0 to destroy; 1 more known after apply \(it depends on what earlier tasks apply\)\.$/m);
  }, 60_000);

  it('the run then creates the policies for the restored Profiles, and says what it did', async () => {
    const r = await run(['--yes']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const policies = sb.clusters.green.server.store.list('security.istio.io/v1beta1', 'AuthorizationPolicy');
    expect(policies.length).toBe(2 * PROFILES);
    expect(r.stdout).toMatch(new RegExp(`^Applied: ${1 + 1 + 2 * PROFILES} added, \\d+ changed, 0 destroyed\\.$`, 'm'));
  }, 60_000);
});
