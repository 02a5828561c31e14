// Fills an AwsState with a Kubeflow on AWS production (cognito-rds-s3 with EFS) as the scenario
// names it: blue in service behind Route 53 and the ALB, green freshly deployed in the same VPC,
// IRSA roles still trusting only blue's OIDC provider (the upgrade moves them to green).

import { oidcIssuer, oidcProviderArn, type Scenario, type Side } from '../scenario.js';
import { AwsState, normalizeDnsName, stableId, type RecordSet } from './state.js';
import { ALB_ZONE_ID, ingressLoadBalancer, ingressLoadBalancerName } from '../ingress-load-balancer.js';

/** CloudFront's hosted zone id, for the alias of Cognito's custom domain */
const CLOUDFRONT_ZONE_ID = 'Z2FDTNDATAQYW2';
/** A records of other hosts in the platform's zone (svc-NNN, sorted after the platform's own names) */
export const FILLER_HOSTS = 320;
const EKS_THUMBPRINT = '9e99a48a9960b14926bb7f3b02e22da2b0ab7280';

/** the trust policy an IRSA role has: assume-role-with-web-identity from one cluster's OIDC provider */
export function irsaTrustPolicy(s: Scenario, side: Side, namespace: string, serviceAccount: string): unknown {
  const host = oidcIssuer(s, side).replace(/^https:\/\//, '');
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: oidcProviderArn(s, side) },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${host}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${host}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ],
  };
}

/** controller roles that the Kubeflow on AWS deployment creates besides the profiles' roles */
export const CONTROLLER_ROLES: { name: string; namespace: string; serviceAccount: string }[] = [
  { name: 'kf-ack-sagemaker-controller', namespace: 'ack-system', serviceAccount: 'ack-sagemaker-controller' },
  { name: 'kf-aws-load-balancer-controller', namespace: 'kube-system', serviceAccount: 'aws-load-balancer-controller' },
  { name: 'kf-efs-csi-controller', namespace: 'kube-system', serviceAccount: 'efs-csi-controller-sa' },
  { name: 'kf-velero', namespace: 'velero', serviceAccount: 'velero-server' },
];

export function seedAws(state: AwsState, s: Scenario): AwsState {
  const { accountId: acct, region } = s;
  const created = Date.UTC(2023, 4, 2, 9, 30, 0);
  const tag = (Key: string, Value: string) => ({ Key, Value });
  const azs = ['a', 'b', 'c'].map((l) => `${region}${l}`);

  // ---- EC2: the VPC both clusters live in
  state.ec2.vpcs.set(s.vpc.id, { vpcId: s.vpc.id, cidrBlock: s.vpc.cidr, state: 'available', isDefault: false, tags: [tag('Name', 'kubeflow-vpc')] });
  const base = s.vpc.cidr.split('.').slice(0, 2).join('.');
  s.vpc.publicSubnets.forEach((id, i) =>
    state.ec2.subnets.set(id, {
      subnetId: id, vpcId: s.vpc.id, cidrBlock: `${base}.${i}.0/24`, availabilityZone: azs[i % 3], mapPublicIpOnLaunch: true, availableIpAddressCount: 245,
      tags: [tag('Name', `kubeflow-public-${azs[i % 3]}`), tag('kubernetes.io/role/elb', '1')],
    }),
  );
  s.vpc.privateSubnets.forEach((id, i) =>
    state.ec2.subnets.set(id, {
      subnetId: id, vpcId: s.vpc.id, cidrBlock: `${base}.${100 + i * 16}.0/20`, availabilityZone: azs[i % 3], mapPublicIpOnLaunch: false, availableIpAddressCount: 4000,
      tags: [tag('Name', `kubeflow-private-${azs[i % 3]}`), tag('kubernetes.io/role/internal-elb', '1')],
    }),
  );
  // each cluster's own security group; blue's is the one RDS uses
  const clusterSg = (side: Side) => (side === 'blue' ? s.vpc.clusterSecurityGroup : `sg-0${stableId(`${side}-sg`, 16)}`);
  for (const side of s.sides) {
    const sg = clusterSg(side);
    const name = s[side].clusterName;
    state.ec2.securityGroups.set(sg, {
      groupId: sg, groupName: `eks-cluster-sg-${name}-${stableId(name, 10, '0123456789')}`, description: 'EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.',
      vpcId: s.vpc.id, ownerId: acct, tags: [tag('Name', `eks-cluster-sg-${name}`), tag(`kubernetes.io/cluster/${name}`, 'owned'), tag('aws:eks:cluster-name', name)],
    });
  }

  // ---- IAM: OIDC providers of both clusters, cluster roles, IRSA roles trusting blue
  for (const side of s.sides) {
    const arn = oidcProviderArn(s, side);
    state.iam.oidcProviders.set(arn, {
      Arn: arn, Url: oidcIssuer(s, side).replace(/^https:\/\//, ''), ClientIDList: ['sts.amazonaws.com'], ThumbprintList: [EKS_THUMBPRINT],
      CreateDate: side === 'blue' ? created : Date.now(), Tags: [tag('alpha.eksctl.io/cluster-name', s[side].clusterName)],
    });
    state.iam.addRole(`${s[side].clusterName}-cluster-role`, {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'eks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
  }
  for (const p of s.profiles) {
    const name = p.roleArn.split('/').pop()!;
    state.iam.addRole(name, irsaTrustPolicy(s, 'blue', p.namespace, 'default-editor'), {
      description: `IRSA role of Kubeflow profile ${p.name}`,
      tags: [tag('kubeflow.org/profile', p.name)],
    });
  }
  for (const c of CONTROLLER_ROLES) state.iam.addRole(c.name, irsaTrustPolicy(s, 'blue', c.namespace, c.serviceAccount));
  const backupRole = state.iam.addRole(
    s.backup.roleName,
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
    { path: '/service-role/', description: 'Role AWS Backup assumes to back up Kubeflow storage' },
  );

  // ---- EKS: blue in production, green freshly created
  for (const side of s.sides) {
    const c = s[side];
    const hex = stableId(`eks:${c.clusterName}`, 32, '0123456789ABCDEF');
    state.eks.clusters.set(c.clusterName, {
      name: c.clusterName,
      arn: `arn:aws:eks:${region}:${acct}:cluster/${c.clusterName}`,
      createdAt: side === 'blue' ? created : Date.now() - 3600_000,
      version: side === 'blue' ? '1.28' : '1.29',
      platformVersion: side === 'blue' ? 'eks.12' : 'eks.8',
      endpoint: `https://${hex}.gr7.${region}.eks.amazonaws.com`,
      roleArn: state.iam.getRole(`${c.clusterName}-cluster-role`).Arn,
      status: 'ACTIVE',
      oidcIssuer: oidcIssuer(s, side),
      vpcId: s.vpc.id,
      subnetIds: [...s.vpc.privateSubnets, ...s.vpc.publicSubnets],
      securityGroupIds: [],
      clusterSecurityGroupId: clusterSg(side),
      certificateAuthority: Buffer.from(`-----BEGIN CERTIFICATE-----\nsandbox ${c.clusterName}\n-----END CERTIFICATE-----\n`).toString('base64'),
      tags: { 'kubeflow.org/deployment': 'cognito-rds-s3', 'kubeflow.org/color': side },
    });
  }

  // ---- EFS
  const efsArn = `arn:aws:elasticfilesystem:${region}:${acct}:file-system/${s.efs.id}`;
  state.efs.fileSystems.set(s.efs.id, {
    FileSystemId: s.efs.id, FileSystemArn: efsArn, OwnerId: acct, CreationToken: `${s.efs.name}-token`, CreationTime: created, LifeCycleState: 'available',
    Name: s.efs.name, NumberOfMountTargets: 3, SizeInBytes: 6 * 1024 ** 3, PerformanceMode: 'generalPurpose', ThroughputMode: 'bursting', Encrypted: true,
    Tags: [tag('Name', s.efs.name)],
  });

  // ---- Secrets Manager: RDS and S3 credentials (fake values; still treated as secret)
  const secretArn = (name: string) => `arn:aws:secretsmanager:${region}:${acct}:secret:${name}-${stableId(name, 6, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz')}`;
  const addSecret = (name: string, value: unknown, description: string) =>
    state.secrets.secrets.set(name, {
      Name: name, ARN: secretArn(name), Description: description, SecretString: JSON.stringify(value), VersionId: stableId(`v:${name}`, 8) + '-' + stableId(`v2:${name}`, 4) + '-4000-8000-' + stableId(`v3:${name}`, 12),
      CreatedDate: created, LastChangedDate: created, Tags: [],
    });
  const [rdsHost] = [s.rds.endpoint];
  addSecret(s.rds.secretName, { username: 'admin', password: `sbx-${stableId('rds-pw', 20)}`, database: 'kubeflow', host: rdsHost, port: '3306' }, 'Kubeflow RDS credentials');
  addSecret(s.s3.secretName, { accesskey: `AKIA${stableId('s3-ak', 16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`, secretkey: stableId('s3-sk', 40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') }, 'Kubeflow S3 credentials');

  // ---- RDS: the MySQL database Kubeflow's metadata and pipelines use
  state.rds.instances.set(s.rds.instanceId, {
    DBInstanceIdentifier: s.rds.instanceId, DBInstanceArn: `arn:aws:rds:${region}:${acct}:db:${s.rds.instanceId}`, DBInstanceClass: 'db.m5.large',
    Engine: 'mysql', EngineVersion: '8.0.35', DBInstanceStatus: 'available', MasterUsername: 'admin', DBName: 'kubeflow',
    Endpoint: { Address: s.rds.endpoint, Port: 3306, HostedZoneId: 'Z1PVIF0B656C1W' }, AllocatedStorage: 20, InstanceCreateTime: created,
    AvailabilityZone: azs[0], MultiAZ: false, StorageType: 'gp3', StorageEncrypted: true, VpcId: s.vpc.id, SecurityGroupIds: [s.vpc.clusterSecurityGroup],
    SubnetIds: s.vpc.privateSubnets, Tags: [tag('kubeflow.org/deployment', 'cognito-rds-s3')],
  });

  // ---- AWS Backup: the vault the deployment made, and the resources it protects
  state.backup.vaults.set(s.backup.vault, {
    BackupVaultName: s.backup.vault,
    BackupVaultArn: `arn:aws:backup:${region}:${acct}:backup-vault:${s.backup.vault}`,
    EncryptionKeyArn: `arn:aws:kms:${region}:${acct}:key/${stableId('kms', 8)}-${stableId('kms2', 4)}-4${stableId('kms3', 3)}-8${stableId('kms4', 3)}-${stableId('kms5', 12)}`,
    CreationDate: created,
    CreatorRequestId: 'terraform-kubeflow',
  });
  state.backup.resources.rds = state.rds.instances.get(s.rds.instanceId)!.DBInstanceArn;
  state.backup.resources.s3 = `arn:aws:s3:::${s.s3.bucket}`;
  state.backup.resources.efs = efsArn;
  void backupRole;

  // ---- ELBv2: the redirect ALB of the upgrade module's alb_redirection (iaac/terraform/aws-infra/
  // alb-redirect in the Kubeflow on AWS manifests): an HTTPS listener whose rule sends the stable
  // alias to the active cluster's platform hostname
  const albId = stableId('alb', 16);
  const lbArn = `arn:aws:elasticloadbalancing:${region}:${acct}:loadbalancer/app/${s.alb.name}/${albId}`;
  const albDns = `${s.alb.name}-${stableId('alb-dns', 10, '0123456789')}.${region}.elb.amazonaws.com`;
  state.elbv2.loadBalancers.set(lbArn, {
    LoadBalancerArn: lbArn, LoadBalancerName: s.alb.name, DNSName: albDns, CanonicalHostedZoneId: ALB_ZONE_ID[region] ?? 'Z1H1FL5HABSF5', CreatedTime: created,
    Scheme: 'internet-facing', VpcId: s.vpc.id, State: { Code: 'active' }, Type: 'application',
    AvailabilityZones: s.vpc.publicSubnets.map((id, i) => ({ ZoneName: azs[i % 3], SubnetId: id })), SecurityGroups: [s.vpc.clusterSecurityGroup], IpAddressType: 'ipv4',
  });
  const listenerArn = `arn:aws:elasticloadbalancing:${region}:${acct}:listener/app/${s.alb.name}/${albId}/${stableId('listener', 16)}`;
  state.elbv2.listeners.set(listenerArn, {
    ListenerArn: listenerArn, LoadBalancerArn: lbArn, Port: s.alb.listenerPort, Protocol: 'HTTPS', Certificates: [{ CertificateArn: s.cognito.certificateArn }],
    SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', DefaultActions: [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'not found' } }],
  });
  // the load balancers the AWS Load Balancer Controller made for each cluster's istio ingress:
  // their DNS names are the ingress hosts, which the zone's records point at (an alias must name an
  // existing load balancer together with its canonical hosted zone id, as Route 53 checks)
  for (const side of s.sides) {
    const host = s[side].ingressHost;
    const name = host.split('.')[0].replace(/-[^-]+$/, '');
    const id = stableId(`ingress-lb:${side}`, 16);
    const arn = `arn:aws:elasticloadbalancing:${region}:${acct}:loadbalancer/app/${name}/${id}`;
    state.elbv2.loadBalancers.set(arn, {
      LoadBalancerArn: arn, LoadBalancerName: name, DNSName: host, CanonicalHostedZoneId: ALB_ZONE_ID[region] ?? 'Z1H1FL5HABSF5',
      CreatedTime: side === 'blue' ? created : Date.now() - 3000_000, Scheme: 'internet-facing', VpcId: s.vpc.id, State: { Code: 'active' }, Type: 'application',
      AvailabilityZones: s.vpc.publicSubnets.map((subnet, i) => ({ ZoneName: azs[i % 3], SubnetId: subnet })),
      SecurityGroups: [clusterSg(side)], IpAddressType: 'ipv4',
    });
  }
  // blue's serving ingress (KServe tutorial, "Create ingress"); green's is made by the upgrade, and
  // the sandbox's load balancer controller gives it its load balancer then
  const blueServing = ingressLoadBalancer(s, ingressLoadBalancerName(s, s.blue.clusterName, 'istio-system', 'istio-ingress-api'), s.vpc.clusterSecurityGroup, created);
  state.elbv2.loadBalancers.set(blueServing.LoadBalancerArn, blueServing);
  const ruleArn = (n: string) => `arn:aws:elasticloadbalancing:${region}:${acct}:listener-rule/app/${s.alb.name}/${albId}/${stableId('listener', 16)}/${stableId(`rule:${n}`, 16)}`;
  state.elbv2.rules.set(ruleArn('platform'), {
    RuleArn: ruleArn('platform'), ListenerArn: listenerArn, Priority: '1', IsDefault: false,
    Conditions: [{ Field: 'host-header', Values: [s.redirectAlias], HostHeaderConfig: { Values: [s.redirectAlias] } }],
    Actions: [{ Type: 'redirect', Order: 1, RedirectConfig: { Protocol: 'HTTPS', Port: '443', Host: s.blue.platformDomain, Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' } }],
  });
  state.elbv2.rules.set(ruleArn('default'), {
    RuleArn: ruleArn('default'), ListenerArn: listenerArn, Priority: 'default', IsDefault: true, Conditions: [],
    Actions: [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'not found' } }],
  });

  // ---- Route 53: the platform's zone, pointing at blue; green's host already resolves in it
  const zoneName = normalizeDnsName(s.hostedZone.name);
  const albZone = ALB_ZONE_ID[region] ?? 'Z1H1FL5HABSF5';
  const ns = [1, 2, 3, 4].map((i) => `ns-${100 * i + 7}.awsdns-${10 + i}.${['com', 'net', 'org', 'co.uk'][i - 1]}.`);
  const records: RecordSet[] = [
    { Name: zoneName, Type: 'NS', TTL: 172800, ResourceRecords: ns.map((Value) => ({ Value })) },
    { Name: zoneName, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: `${ns[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400` }] },
    { Name: zoneName, Type: 'A', AliasTarget: { HostedZoneId: albZone, DNSName: normalizeDnsName(`dualstack.${s.blue.ingressHost}`), EvaluateTargetHealth: true } },
    // each cluster's platform hostname (cognito-ingress's cname_record), and the stable alias to the
    // redirect ALB (alb-redirect's redirect_record)
    { Name: normalizeDnsName(s.blue.platformDomain), Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: s.blue.ingressHost }] },
    { Name: normalizeDnsName(s.green.platformDomain), Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: s.green.ingressHost }] },
    ...(s.sides.includes('third') ? [{ Name: normalizeDnsName(s.third.platformDomain), Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: s.third.ingressHost }] }] : []),
    { Name: normalizeDnsName(s.redirectAlias), Type: 'A', AliasTarget: { HostedZoneId: albZone, DNSName: normalizeDnsName(albDns), EvaluateTargetHealth: false } },
    // the KServe tutorial's "Add DNS records": *.<profile namespace>.<subdomain> CNAME to the
    // serving ingress's load balancer, for each namespace that serves models
    ...s.profiles.map((p): RecordSet => ({ Name: normalizeDnsName(`*.${p.namespace}.${s.subdomain}`), Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: s.blue.servingHost }] })),
    { Name: normalizeDnsName(s.cognito.domain), Type: 'A', AliasTarget: { HostedZoneId: CLOUDFRONT_ZONE_ID, DNSName: `d${stableId('cf', 13, 'abcdefghijklmnopqrstuvwxyz0123456789')}.cloudfront.net.`, EvaluateTargetHealth: false } },
  ];
  // the zone also holds the platform team's other hosts, enough of them that listing the zone
  // takes more than one page (ListResourceRecordSets returns at most 300 records at a time)
  for (let i = 0; i < FILLER_HOSTS; i++) {
    records.push({ Name: normalizeDnsName(`svc-${String(i).padStart(3, '0')}.${s.subdomain}`), Type: 'A', TTL: 300, ResourceRecords: [{ Value: `10.0.${200 + Math.floor(i / 250)}.${(i % 250) + 1}` }] });
  }
  state.route53.zones.set(s.hostedZone.id, { Id: s.hostedZone.id, Name: zoneName, CallerReference: 'terraform-kubeflow-zone', Comment: 'Kubeflow platform', PrivateZone: false, records });

  // ---- SageMaker: the endpoints ACK made for the profiles
  for (const p of s.profiles) {
    for (const name of p.endpoints) {
      state.sagemaker.endpoints.set(name, {
        EndpointName: name, EndpointArn: `arn:aws:sagemaker:${region}:${acct}:endpoint/${name.toLowerCase()}`, EndpointConfigName: `${name}-config`,
        EndpointStatus: 'InService', CreationTime: created, LastModifiedTime: created,
        Tags: [tag('services.k8s.aws/controller-version', 'sagemaker-v1.2.1'), tag('services.k8s.aws/namespace', p.namespace)],
      });
    }
  }
  return state;
}
