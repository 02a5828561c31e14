// The names both halves of the sandbox agree on: the emulated AWS account and the two clusters
// describe one Kubeflow on AWS production (cognito-rds-s3 with EFS) and a freshly deployed green.

export interface ScenarioOptions {
  /** user profiles on blue (default 3) */
  profiles?: number;
  /** notebooks per profile (default 2) */
  notebooks?: number;
  /**
   * Velero's server flag --default-volumes-to-fs-backup on both clusters (default true: the EKS
   * Blueprints Velero add-on installs it so; Velero's own default is false). A Backup whose
   * spec.defaultVolumesToFsBackup is unset gets this value.
   */
  veleroDefaultVolumesToFsBackup?: boolean;
  /**
   * A third cluster beside blue and green, freshly deployed like green (default false): the next
   * green of a second upgrade, once green has become production (the runbook's "Multiple upgrades").
   */
  thirdCluster?: boolean;
}

/** the sandbox's clusters: production, the freshly deployed green, and the optional third */
export type Side = 'blue' | 'green' | 'third';

export interface ClusterSpec {
  clusterName: string;
  oidcId: string;
  ingressHost: string;
}

export interface ProfileSpec {
  name: string;
  namespace: string;
  owner: string;
  /** IRSA role of the profile's AwsIamForServiceAccount plugin */
  roleArn: string;
  notebooks: string[];
  /** ACK SageMaker endpoints in this namespace */
  endpoints: string[];
  inferenceService: string;
}

export interface Scenario {
  accountId: string;
  region: string;
  blue: ClusterSpec;
  green: ClusterSpec;
  /** named always; it exists (EKS, IAM, a kube server) only when `sides` lists it */
  third: ClusterSpec;
  /** the clusters this sandbox runs */
  sides: Side[];
  vpc: { id: string; cidr: string; privateSubnets: string[]; publicSubnets: string[]; clusterSecurityGroup: string };
  efs: { id: string; name: string };
  s3: { bucket: string; secretName: string };
  rds: { instanceId: string; secretName: string; endpoint: string };
  velero: { namespace: string; bucket: string; storageLocation: string; defaultVolumesToFsBackup: boolean };
  backup: { vault: string; roleName: string };
  cognito: { userPoolId: string; domain: string; certificateArn: string };
  /** the platform domain, e.g. platform.example.com; serving runs on *.<subdomain> */
  subdomain: string;
  hostedZone: { id: string; name: string };
  alb: { name: string; listenerPort: number };
  stage: string;
  profiles: ProfileSpec[];
}

export function makeScenario(opts: ScenarioOptions = {}): Scenario {
  const nProfiles = opts.profiles ?? 3;
  const nNotebooks = opts.notebooks ?? 2;
  const accountId = '123456789012';
  const region = 'us-west-2';
  const profiles: ProfileSpec[] = [];
  for (let i = 0; i < nProfiles; i++) {
    const name = `team-${String(i).padStart(3, '0')}`;
    profiles.push({
      name,
      namespace: name,
      owner: `user${i}@example.com`,
      roleArn: `arn:aws:iam::${accountId}:role/kf-${name}-irsa`,
      notebooks: Array.from({ length: nNotebooks }, (_, j) => `nb-${j}`),
      // every third profile serves a model through ACK SageMaker
      endpoints: i % 3 === 0 ? [`${name}-xgboost`] : [],
      inferenceService: `${name}-sklearn-iris`,
    });
  }
  return {
    accountId,
    region,
    blue: { clusterName: 'kubeflow-blue', oidcId: 'B1B2B3B4B5B6B7B8B9B0BLUE00000001', ingressHost: 'k8s-istiosys-blue-1a2b3c.us-west-2.elb.amazonaws.com' },
    green: { clusterName: 'kubeflow-green', oidcId: 'G1G2G3G4G5G6G7G8G9G0GREEN0000002', ingressHost: 'k8s-istiosys-green-4d5e6f.us-west-2.elb.amazonaws.com' },
    third: { clusterName: 'kubeflow-third', oidcId: 'T1T2T3T4T5T6T7T8T9T0THIRD0000003', ingressHost: 'k8s-istiosys-third-7a8b9c.us-west-2.elb.amazonaws.com' },
    sides: opts.thirdCluster ? ['blue', 'green', 'third'] : ['blue', 'green'],
    vpc: {
      id: 'vpc-0a1b2c3d4e5f60718',
      cidr: '10.0.0.0/16',
      privateSubnets: ['subnet-0priv0000000000a1', 'subnet-0priv0000000000b2', 'subnet-0priv0000000000c3'],
      publicSubnets: ['subnet-0pub00000000000a1', 'subnet-0pub00000000000b2', 'subnet-0pub00000000000c3'],
      clusterSecurityGroup: 'sg-0c1u2s3t4e5r6s7g8',
    },
    efs: { id: 'fs-0e1f2a3a4b5c6d7e8', name: 'kubeflow-efs' },
    s3: { bucket: 'kubeflow-artifacts-sandbox', secretName: 'kubeflow/s3-secret' },
    rds: { instanceId: 'kubeflow-db', secretName: 'kubeflow/rds-secret', endpoint: 'kubeflow-db.cabcdefghijk.us-west-2.rds.amazonaws.com' },
    velero: { namespace: 'velero', bucket: 'kubeflow-velero-sandbox', storageLocation: 'default', defaultVolumesToFsBackup: opts.veleroDefaultVolumesToFsBackup ?? true },
    backup: { vault: 'kubeflow-upgrade-vault', roleName: 'AWSBackupDefaultServiceRole' },
    cognito: {
      userPoolId: 'us-west-2_AbCdEfGhI',
      domain: 'auth.platform.example.com',
      certificateArn: `arn:aws:acm:${region}:${accountId}:certificate/11111111-2222-3333-4444-555555555555`,
    },
    subdomain: 'platform.example.com',
    hostedZone: { id: 'Z0123456789SANDBOX', name: 'platform.example.com.' },
    alb: { name: 'kubeflow-ingress', listenerPort: 443 },
    stage: 'v1',
    profiles,
  };
}

export const oidcIssuer = (s: Scenario, side: Side): string =>
  `https://oidc.eks.${s.region}.amazonaws.com/id/${s[side].oidcId}`;

export const oidcProviderArn = (s: Scenario, side: Side): string =>
  `arn:aws:iam::${s.accountId}:oidc-provider/oidc.eks.${s.region}.amazonaws.com/id/${s[side].oidcId}`;
