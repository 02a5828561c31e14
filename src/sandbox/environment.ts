// What `kfup sandbox up` writes beside the kubeconfig: `env` (the AWS_* variables to export) and
// `environment.yaml`, a kfup environment file with every variable the upgrade playbook needs,
// pointing at this sandbox.
import { basename, join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../runner/state/fs-atomic.js';
import type { Scenario } from './scenario.js';

export function sandboxEnvironment(s: Scenario, paths: { dir: string; kubeconfigPath: string }): Record<string, unknown> {
  const acct = s.accountId;
  return {
    region: s.region,
    blue_cluster_name: s.blue.clusterName,
    green_cluster_name: s.green.clusterName,
    kubeconfig: paths.kubeconfigPath,
    blue_context: 'sandbox-blue',
    green_context: 'sandbox-green',
    deployment: 'cognito-rds-s3',
    use_cognito: true,
    storage: 'efs',
    use_knative: true,
    // the sandbox's Prometheus is the manifests' add-on (monitoring/prometheus-server-conf)
    prometheus_install: 'kustomize',
    // the emulated IAM is consistent at once: no wait after trust policy changes
    iam_settle_seconds: 0,
    // production's values come from its Terraform state (the procedure's main path); the
    // manifest-deployment path reads them through the AWS APIs instead: tfvars_source=cluster
    tfvars_source: 'statefile',
    blue_tfstate: join(paths.dir, 'blue.tfstate'),
    green_terraform_dir: join(paths.dir, 'green-terraform'),
    green_stage: 'green',
    run_terraform: true,
    // a rehearsal may run where terraform is not installed (kfup demo): the deploy step then says it was skipped
    terraform_if_missing: 'skip',
    s3_bucket: s.s3.bucket,
    s3_secret_name: s.s3.secretName,
    rds_secret_name: s.rds.secretName,
    efs_name: s.efs.name,
    efs_file_system_arn: `arn:aws:elasticfilesystem:${s.region}:${acct}:file-system/${s.efs.id}`,
    fsx_file_system_arn: '',
    s3_bucket_arn: `arn:aws:s3:::${s.s3.bucket}`,
    rds_instance_arn: `arn:aws:rds:${s.region}:${acct}:db:${s.rds.instanceId}`,
    backup_vault: s.backup.vault,
    backup_role_arn: `arn:aws:iam::${acct}:role/service-role/${s.backup.roleName}`,
    velero_namespace: s.velero.namespace,
    velero_storage_location: s.velero.storageLocation,
    profile_namespaces: [],
    platform_subdomain: s.subdomain,
    hosted_zone: s.hostedZone.name.replace(/\.$/, ''),
    alb_name: s.alb.name,
    // the redirect's hosts: each cluster's platform hostname (kubelow_platform_domain); green's
    // comes from its Terraform outputs, or from here when Terraform is skipped
    blue_platform_domain: s.blue.platformDomain,
    green_platform_domain: s.green.platformDomain,
    // every serving record pointing at blue's serving ingress moves
    serving_namespaces: [],
    certificate_arn: s.cognito.certificateArn,
    cognito_user_pool_id: s.cognito.userPoolId,
    cognito_user_pool_arn: `arn:aws:cognito-idp:${s.region}:${acct}:userpool/${s.cognito.userPoolId}`,
    cognito_user_pool_domain: s.cognito.domain,
    src_stage: s.stage,
    // API keys the serving ingress admits (a secret list: redacted everywhere)
    serving_api_keys: ['sandbox-serving-key-1f3a9c'],
    ack_method: 'annotate',
    ack_output_dir: join(paths.dir, 'ack'),
    output_dir: join(paths.dir, 'out'),
    // sandbox jobs take seconds, not minutes
    backup_poll: { initial: '200ms', max: '1s', factor: 1.5 },
  };
}

export function writeSandboxFiles(
  dir: string,
  env: Record<string, string>,
  scenario: Scenario,
  vars: Record<string, unknown>,
  kubeconfigPath: string,
): { envFile: string; environmentFile: string } {
  const envFile = join(dir, 'env');
  writeFileAtomic(
    envFile,
    ['# source this file to point the AWS SDK and CLI at the kfup sandbox', ...Object.entries(env).map(([k, v]) => `export ${k}=${JSON.stringify(v)}`), `export KUBECONFIG=${JSON.stringify(kubeconfigPath)}`, ''].join('\n'),
    0o600,
  );
  const environmentFile = join(dir, 'environment.yaml');
  const doc = {
    description: `kfup sandbox: emulated AWS account ${scenario.accountId} (${scenario.region}) with clusters ${scenario.blue.clusterName} (blue) and ${scenario.green.clusterName} (green)`,
    targets: {
      aws: { region: scenario.region },
      clusters: {
        blue: { kubeconfig: kubeconfigPath, context: 'sandbox-blue' },
        green: { kubeconfig: kubeconfigPath, context: 'sandbox-green' },
      },
    },
    vars,
  };
  writeFileAtomic(environmentFile, `# Written by kfup sandbox up; use it with --env ${environmentFile}\n${stringify(doc)}`);
  return { envFile, environmentFile };
}

/**
 * The second upgrade's variables (the runbook's "Multiple upgrades"): green, now production, is
 * the blue; the third cluster is the green, deployed from a fresh copy of the upgrade module.
 * blue_tfstate is not among them: the original deployment's state stays the source of the
 * storage values.
 */
export function secondUpgradeVars(s: Scenario, dir: string): Record<string, unknown> {
  return {
    blue_cluster_name: s.green.clusterName,
    green_cluster_name: s.third.clusterName,
    blue_context: 'sandbox-green',
    green_context: 'sandbox-third',
    blue_platform_domain: s.green.platformDomain,
    green_platform_domain: s.third.platformDomain,
    green_stage: 'third',
    green_terraform_dir: join(dir, 'third-terraform'),
    ack_output_dir: join(dir, 'ack-second'),
    output_dir: join(dir, 'out-second'),
  };
}

/** environment-second.yaml: extends environment.yaml with the second upgrade's clusters */
export function writeSecondUpgradeFiles(dir: string, s: Scenario, environmentFile: string, kubeconfigPath: string): string {
  const vars = secondUpgradeVars(s, dir);
  const file = join(dir, 'environment-second.yaml');
  const doc = {
    extends: basename(environmentFile),
    description: `kfup sandbox, second upgrade: ${s.green.clusterName} (now production, blue) to ${s.third.clusterName} (green)`,
    targets: {
      clusters: {
        blue: { kubeconfig: kubeconfigPath, context: vars.blue_context },
        green: { kubeconfig: kubeconfigPath, context: vars.green_context },
      },
    },
    vars,
  };
  writeFileAtomic(file, `# Written by kfup sandbox up --third-cluster; use it with --env ${file} after the first upgrade\n${stringify(doc)}`);
  return file;
}
