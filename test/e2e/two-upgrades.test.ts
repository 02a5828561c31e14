// Issue 13, "The upgrade as the real deployment runs it", point 11 ("Multiple upgrades" of the
// runbook, website/content/en/docs/deployment/upgrade.md on the Kubeflow on AWS blue/green branch):
// the procedure repeats. Green becomes the next blue, a third cluster is the next green, and the
// original deployment's Terraform state stays the source of the storage values. Between the two,
// blue is retired: its OIDC provider goes (as Terraform's destroy of the EKS module removes it), so
// the statements naming it in the roles' trust policies must be pruned (IAM refuses to save a
// policy naming a provider that does not exist).
// One run of each upgrade, against one sandbox with the third cluster.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteOpenIDConnectProviderCommand, IAMClient } from '@aws-sdk/client-iam';
import type { Sandbox } from '../../src/sandbox/index.js';
import { runPlaybook } from '../../src/runner/index.js';
import { builtinTasks } from '../../src/modules/index.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { upgradeEndState } from '../../src/sandbox/summary.js';
import { CollectingReporter } from '../helpers/run.js';
import { sandbox, upgrade, upgradePlaybook } from './helpers.js';

let sb: Sandbox;
let done: () => Promise<void>;
beforeAll(async () => {
  ({ sb, done } = await sandbox({ thirdCluster: true }));
});
afterAll(async () => done?.());

const failures = (r: CollectingReporter) => JSON.stringify(r.ends().filter((e) => e.status === 'failed').map((e) => `${e.task.name}: ${e.message}`));
const USER_KINDS: [string, string][] = [
  ['kubeflow.org/v1', 'Profile'],
  ['kubeflow.org/v1', 'Notebook'],
  ['v1', 'PersistentVolumeClaim'],
  ['serving.kserve.io/v1beta1', 'InferenceService'],
];

describe('two upgrades in a row: blue → green → the third cluster', () => {
  it('both succeed; the third cluster serves, trust names only live providers, storage values come from the original state', async () => {
    const first = await upgrade(sb, 'run');
    expect(first.result.failed, failures(first.reporter)).toBe(false);
    expect(upgradeEndState(sb).albRedirectHost).toBe(sb.scenario.green.platformDomain);

    // blue retired: its cluster's OIDC provider is deleted through IAM
    const blueProvider = oidcProviderArn(sb.scenario, 'blue');
    await new IAMClient({ region: sb.scenario.region }).send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: blueProvider }));
    expect(sb.aws.state.iam.oidcProviders.has(blueProvider)).toBe(false);

    // the second upgrade: the same playbook, green as blue, the third cluster as green
    const reporter = new CollectingReporter();
    const second = await runPlaybook({ playbook: upgradePlaybook, registry: builtinTasks, env: sb.secondEnvironmentFile!, mode: 'run', yes: true, reporter, stateDir: join(sb.dir, '.kfup') });
    expect(second.failed, failures(reporter)).toBe(false);
    // irsa-trust pruned blue's statements (IAM would refuse a policy still naming its provider)
    const trust = reporter.end("Let the profile roles trust green's OIDC provider");
    expect(trust.notes.join('\n')).toMatch(/statement\(s\) for OIDC providers that no longer exist are removed/);

    // the third cluster holds every user resource green held
    const s = sb.scenario;
    const userNs = new Set(s.profiles.map((p) => p.namespace));
    const names = (side: 'green' | 'third', apiVersion: string, kind: string) =>
      sb.clusters[side]!.server.store.list(apiVersion, kind)
        .filter((o) => (kind === 'Profile' ? userNs.has(o.metadata.name) : userNs.has(String(o.metadata.namespace))))
        .map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`)
        .sort();
    for (const [apiVersion, kind] of USER_KINDS) {
      const onGreen = names('green', apiVersion, kind);
      expect(onGreen.length, `green has ${kind}`).toBeGreaterThan(0);
      expect(names('third', apiVersion, kind), `the third cluster holds every ${kind}`).toEqual(onGreen);
    }

    // users are sent to the third cluster: the ALB rule to its platform hostname, the serving
    // records to its serving ingress, the Cognito apex alias to its ingress
    const st = upgradeEndState(sb);
    expect(st.albRedirectHost).toBe(s.third.platformDomain);
    for (const p of s.profiles) expect(st.records[`*.${p.namespace}.${s.subdomain}. CNAME`], `serving record of ${p.namespace}`).toBe(s.third.servingHost);
    expect(st.records[`${s.subdomain}. A`]).toBe(s.third.ingressHost);

    // every profile role trusts the third cluster, and names only providers that exist
    const thirdProvider = oidcProviderArn(s, 'third');
    for (const role of st.profileRoles) {
      const feds = sb.aws.state.iam.trustPolicy(role).Statement.map((x) => String((x.Principal as { Federated?: string }).Federated ?? ''));
      expect(feds, role).toContain(thirdProvider);
      // green, the cluster a rollback of the second upgrade goes back to, is still trusted
      expect(feds, role).toContain(oidcProviderArn(s, 'green'));
      expect(feds.filter((f) => !sb.aws.state.iam.oidcProviders.has(f)), `${role} names only live providers`).toEqual([]);
    }

    // the third cluster's Terraform values: its own names, and the storage values of the original
    // deployment's state (src/sandbox/tfstate.ts), not of green
    const tfvars = readFileSync(join(sb.dir, 'third-terraform', 'sample.auto.tfvars'), 'utf8');
    const value = (name: string) => new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, 'm').exec(tfvars)?.[1];
    expect(value('cluster_name')).toBe(s.third.clusterName);
    expect(value('stage')).toBe('third');
    expect(value('src_vpc_id')).toBe(s.vpc.id);
    expect(value('src_cluster_sg_id')).toBe(s.vpc.clusterSecurityGroup);
    expect(value('src_rds_endpoint')).toBe(s.rds.endpoint);
    expect(value('src_s3_bucket_name')).toBe(s.s3.bucket);
    expect(value('src_efs_fs_id')).toBe(s.efs.id);
    expect(value('src_velero_bucket_name')).toBe(s.velero.bucket);
  }, 360_000); // two whole upgrades, each with the Makefile's four Terraform stages, on a shared machine
});
