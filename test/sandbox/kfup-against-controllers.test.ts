// kfup's upgrade tasks, as the upgrade playbook configures them, judged by the sandbox's
// controllers modelled on the real ones (Velero's server defaults as EKS Blueprints install it,
// ACK's deletion policy, the Kubeflow profile controller's AWS IAM plugin) rather than by
// kfup's own expectations.
import { describe, expect, it } from 'vitest';
import { federatedPrincipal } from '../../src/sandbox/aws/services/iam-policy.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { runTasks } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';
import { waitFor } from './controllers-helpers.js';
import { profileOnGreen, reconciledOnGreen } from './profile-iam-helpers.js';

/** the members of a Velero PodVolumeBackup's spec read here (velero.io/v1, https://velero.io/docs/main/api-types/) */
interface PodVolumeBackupSpec {
  pod: { namespace: string; name: string };
  volume: string;
}

let sb: Sandbox;
useSandbox({ profiles: 2, notebooks: 2, timing: { veleroPhaseMs: 60, veleroSyncMs: 50 } }, (s) => (sb = s));

const blue = () => sb.clusters.blue.server.store;

describe("the playbook's Velero backup on a Velero installed by EKS Blueprints (server --default-volumes-to-fs-backup=true)", () => {
  it('copies only the volumes velero-annotate marked (the EFS workspaces), as the procedure’s --default-volumes-to-fs-backup=false does', async () => {
    expect(sb.scenario.velero.defaultVolumesToFsBackup).toBe(true);
    const r = await runTasks({
      targets: sandboxTargets(sb),
      tasks: [
        // the two tasks of blue-green-upgrade.yaml, with its parameters
        { name: 'annotate', 'velero-annotate': { cluster: 'blue', drivers: ['efs.csi.aws.com'] } },
        {
          name: 'backup',
          'velero-backup': { cluster: 'blue', name: 'upgrade-fs', namespace: 'velero', storage_location: 'default', include_cluster_resources: true },
        },
      ],
    });
    expect(r.reporter.end('backup').status, r.reporter.end('backup').message).toBe('changed');
    const backup = blue().get('velero.io/v1', 'Backup', 'upgrade-fs', 'velero')!;
    expect((backup.spec as { defaultVolumesToFsBackup?: boolean }).defaultVolumesToFsBackup).toBe(false);
    const volumes = blue()
      .list('velero.io/v1', 'PodVolumeBackup', 'velero', { labelSelector: 'velero.io/backup-name=upgrade-fs' })
      .map((p) => p.spec as PodVolumeBackupSpec)
      .map((spec) => `${spec.pod.namespace}/${spec.volume}`)
      .sort();
    const workspaces = sb.scenario.profiles.flatMap((p) => p.notebooks.map((nb) => `${p.namespace}/${nb}-workspace`)).sort();
    // no emptyDir (dshm), no EBS data volume
    expect(volumes).toEqual(workspaces);
  });
});

describe("irsa-trust against the profile controller's AWS IAM plugin (kubeflow plugin_iam.go) on green", () => {
  it("a Profile restored on green after irsa-trust leaves both clusters' statements in place", async () => {
    const [p0] = sb.scenario.profiles;
    const role = p0.roleArn.split('/').pop()!;
    const r = await runTasks({
      targets: sandboxTargets(sb),
      // settle_seconds 0: the sandbox's IAM is consistent at once; the wait is for the real one
      tasks: [{ name: 'trust', 'irsa-trust': { blue_cluster: sb.scenario.blue.clusterName, green_cluster: sb.scenario.green.clusterName, discover_from: 'blue', namespaces: [p0.namespace], settle_seconds: 0 } }],
    });
    expect(r.reporter.end('trust').status, r.reporter.end('trust').message).toBe('changed');
    const trusted = sb.aws.state.iam.getRole(role).AssumeRolePolicyDocument;
    expect(sb.aws.state.iam.trustPolicy(role).Statement.map(federatedPrincipal)).toEqual([oidcProviderArn(sb.scenario, 'blue'), oidcProviderArn(sb.scenario, 'green')]);

    // what Velero's restore brings to green, in its order: namespace, service account, Profile
    profileOnGreen(sb, p0.namespace, p0.roleArn);
    await waitFor('green reconciled the profile', reconciledOnGreen(sb, p0.namespace));
    expect(sb.aws.state.iam.getRole(role).AssumeRolePolicyDocument).toBe(trusted);
  });
});
