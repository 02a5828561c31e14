// The names both halves of the sandbox agree on: the emulated AWS account and the two clusters
// describe one Kubeflow on AWS production (cognito-rds-s3 with EFS) and a freshly deployed green.
import { ingressLoadBalancerName } from './ingress-load-balancer.js';

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
  /** the ACK SageMaker controllers' --deletion-policy on both clusters (default "delete", ACK's own default) */
  ackDeletionPolicy?: 'delete' | 'retain';
  /**
   * A third cluster beside blue and green, freshly deployed like green (default false): the next
   * green of a second upgrade, once green has become production (the runbook's "Multiple upgrades").
   */
  thirdCluster?: boolean;
}

/** the sandbox's clusters: production, the freshly deployed green, and the optional third */
export type Side = 'blue' | 'green' | 'third';

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

/** one cluster's names */
export interface ClusterSide {
  clusterName: string;
  oidcId: string;
  /** the DNS name of the load balancer of its istio-ingress (the Ingress's ADDRESS) */
  ingressHost: string;
  /** its deployment's `stage` */
  stage: string;
  /**
   * its platform hostname, the deployment's kubelow_platform_domain output: a CNAME
   * kubeflow-<stage>.<subdomain> to its ingress (the cognito-ingress module of the Kubeflow on
   * AWS manifests, iaac/terraform/common/ingress/cognito-ingress), which Cognito's callback URLs match
   */
  platformDomain: string;
  /** the DNS name of the load balancer of its serving ingress istio-ingress-api (KServe tutorial, "Create ingress") */
  servingHost: string;
}

export interface Scenario {
  accountId: string;
  region: string;
  blue: ClusterSide;
  green: ClusterSide;
  /** named always; it exists (EKS, IAM, a kube server) only when `sides` lists it */
  third: ClusterSide;
  /** the clusters this sandbox runs */
  sides: Side[];
  vpc: { id: string; cidr: string; privateSubnets: string[]; publicSubnets: string[]; clusterSecurityGroup: string };
  efs: { id: string; name: string };
  s3: { bucket: string; secretName: string };
  rds: { instanceId: string; secretName: string; endpoint: string };
  velero: { namespace: string; bucket: string; storageLocation: string; defaultVolumesToFsBackup: boolean };
  backup: { vault: string; roleName: string };
  /** the ACK SageMaker controller's flags */
  ack: { deletionPolicy: 'delete' | 'retain' };
  cognito: { userPoolId: string; domain: string; certificateArn: string };
  /** the platform domain, e.g. platform.example.com; serving runs on *.<subdomain> */
  subdomain: string;
  hostedZone: { id: string; name: string };
  alb: { name: string; listenerPort: number };
  /**
   * the stable name users keep, the upgrade module's kubelow_alias output
   * (<redirect_alias>.<subdomain>): an alias to the redirect ALB, whose listener rule redirects to
   * the active cluster's platform hostname (the module's alb_redirection)
   */
  redirectAlias: string;
  /** blue's stage (production's) */
  stage: string;
  profiles: ProfileSpec[];
}

export function makeScenario(opts: ScenarioOptions = {}): Scenario {
  const nProfiles = opts.profiles ?? 3;
  const nNotebooks = opts.notebooks ?? 2;
  const accountId = '123456789012';
  const region = 'us-west-2';
  const subdomain = 'platform.example.com';
  const side = (clusterName: string, oidcId: string, ingressHost: string, stage: string): ClusterSide => ({
    clusterName,
    oidcId,
    ingressHost,
    stage,
    platformDomain: `kubeflow-${stage}.${subdomain}`,
    servingHost: ingressLoadBalancerName({ region }, clusterName, 'istio-system', 'istio-ingress-api').dnsName,
  });
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
    // green's stage and the alias are those of the green stand-in's sample.auto.tfvars
    blue: side('kubeflow-blue', 'B1B2B3B4B5B6B7B8B9B0BLUE00000001', 'k8s-istiosys-blue-1a2b3c.us-west-2.elb.amazonaws.com', 'v1'),
    green: side('kubeflow-green', 'G1G2G3G4G5G6G7G8G9G0GREEN0000002', 'k8s-istiosys-green-4d5e6f.us-west-2.elb.amazonaws.com', 'green'),
    third: side('kubeflow-third', 'T1T2T3T4T5T6T7T8T9T0THIRD0000003', 'k8s-istiosys-third-7a8b9c.us-west-2.elb.amazonaws.com', 'third'),
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
    ack: { deletionPolicy: opts.ackDeletionPolicy ?? 'delete' },
    cognito: {
      userPoolId: 'us-west-2_AbCdEfGhI',
      domain: 'auth.platform.example.com',
      certificateArn: `arn:aws:acm:${region}:${accountId}:certificate/11111111-2222-3333-4444-555555555555`,
    },
    subdomain,
    hostedZone: { id: 'Z0123456789SANDBOX', name: 'platform.example.com.' },
    alb: { name: 'kubeflow-ingress', listenerPort: 443 },
    redirectAlias: `kflive.${subdomain}`,
    stage: 'v1',
    profiles,
  };
}

export const oidcIssuer = (s: Scenario, side: Side): string =>
  `https://oidc.eks.${s.region}.amazonaws.com/id/${s[side].oidcId}`;

export const oidcProviderArn = (s: Scenario, side: Side): string =>
  `arn:aws:iam::${s.accountId}:oidc-provider/oidc.eks.${s.region}.amazonaws.com/id/${s[side].oidcId}`;
