// The emulated AWS account as plain in-process data. The HTTP endpoint reads and changes it, and
// so may sandbox code and tests directly (to set up a case, or to assert what a run did):
//
//   state.sts                 caller identity (account, arn, userId)
//   state.eks.clusters        Map<name, EksCluster>          (set endpoint/version/status freely)
//   state.iam.roles           Map<roleName, IamRole>         trust policy kept as a JSON string
//   state.iam.oidcProviders   Map<arn, OidcProvider>
//   state.ec2.vpcs/subnets/securityGroups   Maps by id
//   state.efs.fileSystems     Map<id, EfsFileSystem>
//   state.secrets.secrets     Map<name, Secret>              (values are fake; never print them)
//   state.rds.instances       Map<identifier, DbInstance>    the deployment's database
//   state.backup.vaults / .jobs / .recoveryPoints / .resources   jobs advance with time: reading
//                             `jobs` (or calling settle()) moves them CREATED -> RUNNING -> COMPLETED|FAILED;
//                             RDS and FSx recovery points are an RDS snapshot / FSx backup (ARNs of
//                             those services) whose tags RDS and FSx serve, not AWS Backup's ListTags
//   state.route53.zones       Map<zoneId, HostedZone>; records(zoneId) lists them sorted as Route 53 does,
//                             applyChanges() is ChangeResourceRecordSets, changes Map<changeId, DnsChange>
//   state.elbv2.loadBalancers / listeners / rules   Maps by ARN
//   state.sagemaker.endpoints Map<name, SageMakerEndpoint>; deleteEndpoint(name)
//
// Record names are stored as Route 53 returns them: lower case, absolute (trailing dot), and a
// leading "*" written as "\052".

import { S3State } from './s3-state.js';
import { createHash, randomUUID } from 'node:crypto';
import type { ScenarioFaults } from '../traffic.js';
import { AwsError } from './wire.js';
import { checkTrustPolicy, DEFAULT_TRUST_POLICY_QUOTA, type TrustPolicy, type TrustStatement } from './services/iam-policy.js';
import { aliasProblem, type AliasWorld } from './services/route53-alias.js';
import { checkRuleActions } from './services/elbv2-actions.js';

export interface AwsTiming {
  /** how long a backup job takes from start to COMPLETED/FAILED (ms, default 1500) */
  backupJobMs?: number;
  /** how long a Route 53 change stays PENDING before INSYNC (ms, default 300) */
  dnsChangeMs?: number;
}

export interface Tag {
  Key: string;
  Value: string;
}

/** JSON with object keys sorted, so that two requests with the same members compare equal */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** short, stable pseudo-random ids derived from a name, so a seeded account looks the same every run */
export function stableId(seed: string, length: number, alphabet = '0123456789abcdef'): string {
  const bytes = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i % bytes.length] % alphabet.length];
  return out;
}

// ---------------------------------------------------------------------------------------------
export interface EksCluster {
  name: string;
  arn: string;
  createdAt: number;
  version: string;
  platformVersion: string;
  endpoint: string;
  roleArn: string;
  status: 'CREATING' | 'ACTIVE' | 'DELETING' | 'FAILED' | 'UPDATING';
  oidcIssuer: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  clusterSecurityGroupId: string;
  certificateAuthority: string;
  tags: Record<string, string>;
}

export class EksState {
  readonly clusters = new Map<string, EksCluster>();
}

// ---------------------------------------------------------------------------------------------
export interface IamRole {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: number;
  /** the trust policy as a JSON string (the wire sends it URL-encoded) */
  AssumeRolePolicyDocument: string;
  Description?: string;
  MaxSessionDuration: number;
  Tags: Tag[];
}

export interface OidcProvider {
  Arn: string;
  /** without the scheme, as IAM stores it */
  Url: string;
  ClientIDList: string[];
  ThumbprintList: string[];
  CreateDate: number;
  Tags: Tag[];
}

export class IamState {
  readonly roles = new Map<string, IamRole>();
  readonly oidcProviders = new Map<string, OidcProvider>();
  /**
   * The account's "Role trust policy length" quota (characters, white space not counted): 2,048
   * by default, raised on request up to 8,192. Settable here or through the sandbox's options.
   */
  trustPolicyQuota = DEFAULT_TRUST_POLICY_QUOTA;

  constructor(private readonly accountId: string) {}

  getRole(name: string): IamRole {
    const role = this.roles.get(name);
    if (!role) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    return role;
  }

  /** IAM's checks of a trust policy (size quota, grammar, principals that must exist): see services/iam-policy.ts */
  checkTrustPolicy(document: string): void {
    checkTrustPolicy(document, { accountId: this.accountId, quota: this.trustPolicyQuota, oidcProviderExists: (arn) => this.oidcProviders.has(arn) });
  }

  /** CreateRole (and the seed): the trust policy passes the same checks as UpdateAssumeRolePolicy's */
  addRole(name: string, trustPolicy: unknown, opts: { path?: string; description?: string; tags?: Tag[]; maxSessionDuration?: number } = {}): IamRole {
    const path = opts.path ?? '/';
    const document = typeof trustPolicy === 'string' ? trustPolicy : JSON.stringify(trustPolicy);
    this.checkTrustPolicy(document);
    const role: IamRole = {
      RoleName: name,
      RoleId: 'AROA' + stableId(`role:${name}`, 17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'),
      Arn: `arn:aws:iam::${this.accountId}:role${path}${name}`,
      Path: path,
      CreateDate: Date.UTC(2023, 4, 2, 10, 0, 0),
      AssumeRolePolicyDocument: document,
      Description: opts.description,
      MaxSessionDuration: opts.maxSessionDuration ?? 3600,
      Tags: opts.tags ?? [],
    };
    this.roles.set(name, role);
    return role;
  }

  /** UpdateAssumeRolePolicy: the role must exist and IAM must accept the document */
  updateAssumeRolePolicy(name: string, document: string): void {
    const role = this.getRole(name);
    this.checkTrustPolicy(document);
    role.AssumeRolePolicyDocument = document;
  }

  /** the trust policy parsed, for assertions */
  trustPolicy(name: string): TrustPolicy {
    // every stored document passed checkTrustPolicy (addRole, updateAssumeRolePolicy): it has that shape
    const doc = JSON.parse(this.getRole(name).AssumeRolePolicyDocument) as { Version?: string; Statement: TrustStatement | TrustStatement[] };
    return { ...doc, Statement: Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement] };
  }

  getOidcProvider(arn: string): OidcProvider {
    const p = this.oidcProviders.get(arn);
    if (!p) throw new AwsError('NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn}`, 404);
    return p;
  }
}

// ---------------------------------------------------------------------------------------------
export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  state: string;
  isDefault: boolean;
  tags: Tag[];
}
export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  mapPublicIpOnLaunch: boolean;
  availableIpAddressCount: number;
  tags: Tag[];
}
export interface SecurityGroup {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  ownerId: string;
  tags: Tag[];
}

export class Ec2State {
  readonly vpcs = new Map<string, Vpc>();
  readonly subnets = new Map<string, Subnet>();
  readonly securityGroups = new Map<string, SecurityGroup>();
}

// ---------------------------------------------------------------------------------------------
export interface EfsFileSystem {
  FileSystemId: string;
  FileSystemArn: string;
  OwnerId: string;
  CreationToken: string;
  CreationTime: number;
  LifeCycleState: string;
  Name?: string;
  NumberOfMountTargets: number;
  SizeInBytes: number;
  PerformanceMode: string;
  ThroughputMode: string;
  Encrypted: boolean;
  Tags: Tag[];
}

export class EfsState {
  readonly fileSystems = new Map<string, EfsFileSystem>();
}

// ---------------------------------------------------------------------------------------------
export interface Secret {
  Name: string;
  ARN: string;
  Description?: string;
  SecretString: string;
  VersionId: string;
  CreatedDate: number;
  LastChangedDate: number;
  Tags: Tag[];
}

export class SecretsState {
  readonly secrets = new Map<string, Secret>();

  /** by name or full ARN, as Secrets Manager accepts either */
  find(id: string): Secret {
    const s = this.secrets.get(id) ?? [...this.secrets.values()].find((x) => x.ARN === id);
    if (!s) throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
export interface DbInstance {
  DBInstanceIdentifier: string;
  DBInstanceArn: string;
  DBInstanceClass: string;
  Engine: string;
  EngineVersion: string;
  DBInstanceStatus: string;
  MasterUsername: string;
  DBName: string;
  Endpoint: { Address: string; Port: number; HostedZoneId: string };
  AllocatedStorage: number;
  InstanceCreateTime: number;
  AvailabilityZone: string;
  MultiAZ: boolean;
  StorageType: string;
  StorageEncrypted: boolean;
  VpcId: string;
  SecurityGroupIds: string[];
  SubnetIds: string[];
  Tags: Tag[];
}

export class RdsState {
  readonly instances = new Map<string, DbInstance>();
}

// ---------------------------------------------------------------------------------------------
/**
 * Whether a `backup-fail:<what>` fault names this job: "*", a resource type as AWS Backup names it
 * (EFS, RDS, Aurora, FSx, S3; any case: `backup-fail:efs`), or a part of the resource's ARN (a file
 * system id, a bucket name). The type is matched because the ARNs do not say it plainly: an EFS
 * file system is arn:aws:elasticfilesystem:…, which holds no "efs".
 */
export function failsBackupJob(pattern: string, job: { ResourceArn: string; ResourceType: string }): boolean {
  return pattern === '*' || job.ResourceType.toLowerCase() === pattern.toLowerCase() || job.ResourceArn.includes(pattern);
}

export type BackupJobState = 'CREATED' | 'PENDING' | 'RUNNING' | 'ABORTING' | 'ABORTED' | 'COMPLETED' | 'FAILED' | 'EXPIRED';

export interface BackupVault {
  BackupVaultName: string;
  BackupVaultArn: string;
  EncryptionKeyArn: string;
  CreationDate: number;
  CreatorRequestId?: string;
}

export interface BackupJob {
  BackupJobId: string;
  BackupVaultName: string;
  BackupVaultArn: string;
  ResourceArn: string;
  ResourceType: string;
  IamRoleArn: string;
  RecoveryPointArn: string;
  CreationDate: number;
  CompletionDate?: number;
  State: BackupJobState;
  PercentDone?: string;
  StatusMessage?: string;
  BackupSizeInBytes?: number;
  IdempotencyToken?: string;
  /** StartBackupJob's RecoveryPointTags: given to the recovery point when the job completes */
  RecoveryPointTags?: Record<string, string>;
  /** when this job reaches its end state (ms epoch) */
  endsAt: number;
}

export interface RecoveryPoint {
  RecoveryPointArn: string;
  BackupVaultName: string;
  BackupVaultArn: string;
  ResourceArn: string;
  ResourceType: string;
  IamRoleArn: string;
  Status: 'COMPLETED' | 'PARTIAL' | 'DELETING' | 'EXPIRED';
  CreationDate: number;
  CompletionDate: number;
  BackupSizeInBytes: number;
  /** what ListTags returns for the recovery point's ARN */
  Tags: Record<string, string>;
}

export class BackupState {
  readonly vaults = new Map<string, BackupVault>();
  readonly recoveryPoints = new Map<string, RecoveryPoint>();
  /** ARNs of the account's protectable resources (rds, s3, efs), as AWS Backup names them */
  readonly resources: { rds: string; s3: string; efs: string } = { rds: '', s3: '', efs: '' };
  private readonly allJobs = new Map<string, BackupJob>();
  private readonly tokens = new Map<string, { jobId: string; at: number; params: string }>();
  /**
   * How long StartBackupJob remembers an IdempotencyToken. The API reference's earlier edition
   * said "Idempotency tokens time out after one hour"; today's says only that a retry with the
   * same token "results in a success message with no action taken". The sandbox keeps the one
   * documented figure, the shorter window (the less convenient reading for a caller that relies
   * on the token to find its job again).
   */
  tokenWindowMs = 3600_000;

  constructor(
    private readonly region: string,
    private readonly accountId: string,
    private readonly faults: () => ScenarioFaults,
    private readonly durationMs: () => number,
  ) {}

  /** every job, each advanced to where the clock says it is */
  get jobs(): Map<string, BackupJob> {
    this.settle();
    return this.allJobs;
  }

  vault(name: string): BackupVault {
    const v = this.vaults.get(name);
    if (!v) throw new AwsError('ResourceNotFoundException', `Backup vault ${name} does not exist.`, 400, { Code: 'ResourceNotFoundException', Type: 'Client' });
    return v;
  }

  static resourceType(arn: string): string | undefined {
    const service = arn.split(':')[2];
    return ({ rds: 'RDS', s3: 'S3', elasticfilesystem: 'EFS', dynamodb: 'DynamoDB', ec2: 'EC2', fsx: 'FSx' } as Record<string, string>)[service];
  }

  /**
   * StartBackupJob. `requestParams` are the request's other members, as sent: a token seen within
   * tokenWindowMs with the same parameters returns the job it started ("success ... with no
   * action taken", https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartBackupJob.html).
   * The reference does not say what a token reused with different parameters does; the sandbox
   * takes the least convenient reading and refuses it (InvalidRequestException), as other AWS APIs
   * refuse a client token reused with other parameters (EC2's IdempotentParameterMismatch, FSx's
   * IncompatibleParameterError).
   */
  start(
    input: { BackupVaultName: string; ResourceArn: string; IamRoleArn: string; IdempotencyToken?: string; RecoveryPointTags?: Record<string, string> },
    roleExists: (arn: string) => boolean,
    requestParams: Record<string, unknown> = input): BackupJob {
    const now = Date.now();
    const { IdempotencyToken: _token, ...rest } = requestParams;
    const params = canonicalJson(rest);
    if (input.IdempotencyToken) {
      const prior = this.tokens.get(input.IdempotencyToken);
      if (prior && now - prior.at < this.tokenWindowMs) {
        if (prior.params !== params) {
          throw new AwsError('InvalidRequestException', `IdempotencyToken ${input.IdempotencyToken} was already used with different parameters (backup job ${prior.jobId})`, 400, {
            Code: 'InvalidRequestException',
            Type: 'Client',
          });
        }
        return this.jobs.get(prior.jobId)!;
      }
    }
    const vault = this.vault(input.BackupVaultName);
    const type = input.ResourceArn.startsWith('arn:') ? BackupState.resourceType(input.ResourceArn) : undefined;
    if (!type) throw new AwsError('InvalidParameterValueException', `Invalid ARN: ${input.ResourceArn}. Specified resource is not supported`, 400, { Code: 'InvalidParameterValueException', Type: 'Client' });
    if (!roleExists(input.IamRoleArn)) {
      throw new AwsError('InvalidParameterValueException', `IAM Role ${input.IamRoleArn} is not authorized to call tag:GetResources`, 400, { Code: 'InvalidParameterValueException', Type: 'Client' });
    }
    const id = randomUUID().toUpperCase();
    const rpId = randomUUID();
    const rp = this.recoveryPointArnFor(type, input.ResourceArn, id, rpId);
    const job: BackupJob = {
      BackupJobId: id,
      BackupVaultName: vault.BackupVaultName,
      BackupVaultArn: vault.BackupVaultArn,
      ResourceArn: input.ResourceArn,
      ResourceType: type,
      IamRoleArn: input.IamRoleArn,
      RecoveryPointArn: rp,
      CreationDate: now,
      State: 'CREATED',
      IdempotencyToken: input.IdempotencyToken,
      RecoveryPointTags: input.RecoveryPointTags ? { ...input.RecoveryPointTags } : undefined,
      endsAt: now + this.durationMs(),
    };
    this.allJobs.set(id, job);
    if (input.IdempotencyToken) this.tokens.set(input.IdempotencyToken, { jobId: id, at: now, params });
    return job;
  }

  /**
   * Where AWS keeps the backup a job makes: RDS and FSx backups stay in their own service (an RDS
   * snapshot or cluster snapshot named after the job, an FSx backup), the others are recovery
   * points AWS Backup manages itself.
   */
  private recoveryPointArnFor(type: string, resourceArn: string, jobId: string, rpId: string): string {
    if (type === 'RDS') {
      const kind = resourceArn.split(':')[5] === 'cluster' ? 'cluster-snapshot' : 'snapshot';
      return `arn:aws:rds:${this.region}:${this.accountId}:${kind}:awsbackup:job-${jobId.toLowerCase()}`;
    }
    if (type === 'FSx') return `arn:aws:fsx:${this.region}:${this.accountId}:backup/backup-${stableId(rpId, 17)}`;
    return `arn:aws:backup:${this.region}:${this.accountId}:recovery-point:${rpId}`;
  }

  /** move jobs along the clock; a job that ends records its recovery point (or its failure) */
  settle(now = Date.now()): void {
    for (const job of this.allJobs.values()) {
      if (job.State === 'COMPLETED' || job.State === 'FAILED' || job.State === 'ABORTED' || job.State === 'EXPIRED') continue;
      const total = Math.max(1, job.endsAt - job.CreationDate);
      const elapsed = now - job.CreationDate;
      if (now >= job.endsAt) {
        const fail = (this.faults().failBackupJobs ?? []).some((p) => failsBackupJob(p, job));
        job.CompletionDate = job.endsAt;
        if (fail) {
          job.State = 'FAILED';
          job.PercentDone = undefined;
          job.StatusMessage = `An internal error occurred while backing up ${job.ResourceType} resource ${job.ResourceArn}. Retry the backup job.`;
        } else {
          job.State = 'COMPLETED';
          job.PercentDone = '100.0';
          job.BackupSizeInBytes = 1073741824 + (job.ResourceArn.length % 7) * 1048576;
          this.recoveryPoints.set(job.RecoveryPointArn, {
            RecoveryPointArn: job.RecoveryPointArn,
            BackupVaultName: job.BackupVaultName,
            BackupVaultArn: job.BackupVaultArn,
            ResourceArn: job.ResourceArn,
            ResourceType: job.ResourceType,
            IamRoleArn: job.IamRoleArn,
            Status: 'COMPLETED',
            CreationDate: job.CreationDate,
            CompletionDate: job.endsAt,
            BackupSizeInBytes: job.BackupSizeInBytes,
            Tags: { ...(job.RecoveryPointTags ?? {}) },
          });
        }
      } else if (elapsed >= total * 0.1) {
        job.State = 'RUNNING';
        job.PercentDone = ((elapsed / total) * 100).toFixed(1);
      }
    }
  }

  /**
   * AWS Backup's ListTags: a recovery point's tags (set from the job's RecoveryPointTags), a
   * vault's (none kept). Only recovery points AWS Backup fully manages are served; an RDS snapshot
   * or FSx backup is refused as AWS refuses it (its tags are read through RDS or FSx).
   */
  tagsOf(arn: string): Record<string, string> {
    this.settle();
    const rp = this.recoveryPoints.get(arn);
    if (rp && !arn.startsWith('arn:aws:backup:')) {
      throw new AwsError('InvalidParameterValueException', `ListTags does not support ${rp.ResourceType} recovery points (${arn}); read their tags from ${rp.ResourceType}`, 400, {
        Code: 'InvalidParameterValueException',
        Type: 'Client',
      });
    }
    if (rp) return rp.Tags;
    if ([...this.vaults.values()].some((v) => v.BackupVaultArn === arn)) return {};
    throw new AwsError('ResourceNotFoundException', `Resource ${arn} not found.`, 400, { Code: 'ResourceNotFoundException', Type: 'Client' });
  }

  /**
   * The tags RDS (ListTagsForResource) or FSx (ListTagsForResource) holds for a backup AWS Backup
   * made there: the job's RecoveryPointTags. Undefined when no such snapshot / backup exists.
   */
  serviceBackupTags(arn: string, service: 'rds' | 'fsx'): Record<string, string> | undefined {
    this.settle();
    const rp = this.recoveryPoints.get(arn);
    return rp && arn.split(':')[2] === service ? rp.Tags : undefined;
  }

  getJob(id: string): BackupJob {
    const job = this.jobs.get(id);
    if (!job) throw new AwsError('ResourceNotFoundException', `Cannot find backup job ${id}`, 400, { Code: 'ResourceNotFoundException', Type: 'Client' });
    return job;
  }
}

// ---------------------------------------------------------------------------------------------
export interface AliasTarget {
  HostedZoneId: string;
  DNSName: string;
  EvaluateTargetHealth: boolean;
}
export interface RecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  /** weighted routing: the record's share of the answers for its name and type */
  Weight?: number;
  TTL?: number;
  ResourceRecords?: { Value: string }[];
  AliasTarget?: AliasTarget;
}
export interface HostedZone {
  Id: string;
  Name: string;
  CallerReference: string;
  Comment?: string;
  PrivateZone: boolean;
  records: RecordSet[];
}
export interface DnsChange {
  Id: string;
  SubmittedAt: number;
  Comment?: string;
  /** INSYNC from this time on */
  insyncAt: number;
}
export type ChangeAction = 'CREATE' | 'DELETE' | 'UPSERT';

/** Route 53's form of a DNS name: lower case, absolute, "*" escaped as \052 */
export function normalizeDnsName(name: string): string {
  let n = name.trim().toLowerCase().replace(/\\052/g, '*');
  if (!n.endsWith('.')) n += '.';
  return n.replace(/\*/g, '\\052');
}

/**
 * Route 53 lists records by name with the labels reversed (com.example.www), then by type, and
 * records of one name and type (weighted, latency ... ones) by SetIdentifier
 * (ListResourceRecordSets, "Sort order"; NextRecordIdentifier pages between those).
 */
export function recordOrder(a: Pick<RecordSet, 'Name' | 'Type' | 'SetIdentifier'>, b: Pick<RecordSet, 'Name' | 'Type' | 'SetIdentifier'>): number {
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const key = (r: { Name: string }) => r.Name.split('.').reverse().join('.');
  return cmp(key(a), key(b)) || cmp(a.Type, b.Type) || cmp(a.SetIdentifier ?? '', b.SetIdentifier ?? '');
}

export class Route53State {
  readonly zones = new Map<string, HostedZone>();
  readonly changes = new Map<string, DnsChange>();

  constructor(
    private readonly pendingMs: () => number,
    /** what alias records may point at (the account's load balancers) */
    private readonly aliasWorld: Pick<AliasWorld, 'loadBalancers'> = { loadBalancers: () => [] },
  ) {}

  zone(id: string): HostedZone {
    const z = this.zones.get(id.replace(/^\/?hostedzone\//, ''));
    if (!z) throw new AwsError('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404);
    return z;
  }

  records(zoneId: string): RecordSet[] {
    return [...this.zone(zoneId).records].sort(recordOrder);
  }

  /** one record by name and type (name in any spelling), or undefined */
  record(zoneId: string, name: string, type: string): RecordSet | undefined {
    const n = normalizeDnsName(name);
    return this.zone(zoneId).records.find((r) => r.Name === n && r.Type === type);
  }

  /** ChangeResourceRecordSets: validated as a whole, then applied as a whole */
  applyChanges(zoneId: string, changes: { Action: string; ResourceRecordSet: RecordSet }[], comment?: string): DnsChange {
    const zone = this.zone(zoneId);
    if (changes.length === 0) throw new AwsError('InvalidInput', 'Invalid XML ; ChangeBatch must contain at least one change');
    const next = zone.records.map((r) => ({ ...r }));
    const problems: string[] = [];
    const same = (a: RecordSet, b: RecordSet) => a.Name === b.Name && a.Type === b.Type && (a.SetIdentifier ?? '') === (b.SetIdentifier ?? '');
    for (const ch of changes) {
      const rr: RecordSet = { ...ch.ResourceRecordSet, Name: normalizeDnsName(ch.ResourceRecordSet.Name ?? '') };
      const desc = `[name='${rr.Name}', type='${rr.Type}'${rr.SetIdentifier ? `, set-identifier='${rr.SetIdentifier}'` : ''}]`;
      if (!['CREATE', 'DELETE', 'UPSERT'].includes(ch.Action)) {
        throw new AwsError('InvalidInput', `Invalid XML ; value '${ch.Action}' is not a valid ChangeAction`);
      }
      if (rr.Name !== zone.Name && !rr.Name.endsWith('.' + zone.Name)) {
        problems.push(`RRSet with DNS name ${rr.Name} is not permitted in zone ${zone.Name}`);
        continue;
      }
      const hasValues = (rr.ResourceRecords?.length ?? 0) > 0;
      if (hasValues === !!rr.AliasTarget) {
        throw new AwsError('InvalidInput', `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found ${hasValues ? 'more than one' : 'none'} in Change with [Action=${ch.Action}, Name=${rr.Name}, Type=${rr.Type}, SetIdentifier=${rr.SetIdentifier ?? 'null'}]`);
      }
      if (hasValues && rr.TTL === undefined) {
        throw new AwsError('InvalidInput', `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=${ch.Action}, Name=${rr.Name}, Type=${rr.Type}, SetIdentifier=${rr.SetIdentifier ?? 'null'}]`);
      }
      if (rr.AliasTarget) rr.AliasTarget = { ...rr.AliasTarget, DNSName: normalizeDnsName(rr.AliasTarget.DNSName) };
      const idx = next.findIndex((r) => same(r, rr));
      if (ch.Action === 'CREATE' && idx >= 0) {
        problems.push(`Tried to create resource record set ${desc} but it already exists`);
      } else if (ch.Action === 'DELETE') {
        if (idx < 0) problems.push(`Tried to delete resource record set ${desc} but it was not found`);
        else if (JSON.stringify(strip(next[idx])) !== JSON.stringify(strip(rr))) {
          problems.push(`Tried to delete resource record set ${desc} but the values provided do not match the current values`);
        } else if ((rr.Type === 'SOA' || rr.Type === 'NS') && rr.Name === zone.Name) {
          problems.push(`A HostedZone must contain at least one NS record for the zone itself.`);
        } else next.splice(idx, 1);
      } else {
        // a CNAME can be neither at the apex nor beside another type of the same name (RFC 1034
        // section 3.6.2; Route 53 developer guide, "Choosing between alias and non-alias records"
        // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html)
        if (rr.Type === 'CNAME' && rr.Name === zone.Name) {
          problems.push(`RRSet of type CNAME with DNS name ${rr.Name} is not permitted at apex in zone ${zone.Name}`);
          continue;
        }
        const clash = next.find((r) => r.Name === rr.Name && (r.Type === 'CNAME') !== (rr.Type === 'CNAME'));
        if (clash) {
          problems.push(`RRSet of type ${rr.Type} with DNS name ${rr.Name} is not permitted because a conflicting RRSet of type ${clash.Type} with the same DNS name already exists in zone ${zone.Name}`);
          continue;
        }
        if (rr.AliasTarget) {
          const why = aliasProblem(rr as RecordSet & { AliasTarget: AliasTarget }, { loadBalancers: this.aliasWorld.loadBalancers, zone: (id) => this.zones.get(id) }, { id: zone.Id, records: next });
          if (why) {
            problems.push(why);
            continue;
          }
        }
        if (idx >= 0) next[idx] = rr;
        else next.push(rr);
      }
    }
    if (problems.length) throw new AwsError('InvalidChangeBatch', `[${problems.join(', ')}]`);
    zone.records.length = 0;
    zone.records.push(...next);
    const now = Date.now();
    const change: DnsChange = { Id: 'C' + stableId(randomUUID(), 20, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), SubmittedAt: now, Comment: comment, insyncAt: now + this.pendingMs() };
    this.changes.set(change.Id, change);
    return change;
  }

  change(id: string): DnsChange & { Status: 'PENDING' | 'INSYNC' } {
    const c = this.changes.get(id.replace(/^\/?change\//, ''));
    if (!c) throw new AwsError('NoSuchChange', `A change with the specified change ID does not exist: ${id}`, 404);
    return { ...c, Status: Date.now() >= c.insyncAt ? 'INSYNC' : 'PENDING' };
  }
}

function strip(r: RecordSet): RecordSet {
  return { Name: r.Name, Type: r.Type, SetIdentifier: r.SetIdentifier, Weight: r.Weight, TTL: r.TTL, ResourceRecords: r.ResourceRecords, AliasTarget: r.AliasTarget };
}

// ---------------------------------------------------------------------------------------------
export interface RedirectConfig {
  Protocol?: string;
  Port?: string;
  Host?: string;
  Path?: string;
  Query?: string;
  StatusCode: string;
}
export interface RuleAction {
  Type: string;
  Order?: number;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups?: { TargetGroupArn: string; Weight?: number }[] };
  RedirectConfig?: RedirectConfig;
  FixedResponseConfig?: { StatusCode: string; ContentType?: string; MessageBody?: string };
  /** kept as sent: ModifyRule replaces the whole action list, so what a client leaves out is gone */
  AuthenticateCognitoConfig?: AuthenticateConfig;
  AuthenticateOidcConfig?: AuthenticateConfig;
}
/** an authenticate action's configuration (strings, SessionTimeout a number, AuthenticationRequestExtraParams a map) */
export type AuthenticateConfig = Record<string, string | number | Record<string, string>>;
export interface RuleCondition {
  Field: string;
  Values?: string[];
  HostHeaderConfig?: { Values: string[] };
  PathPatternConfig?: { Values: string[] };
}
export interface LoadBalancer {
  LoadBalancerArn: string;
  LoadBalancerName: string;
  DNSName: string;
  CanonicalHostedZoneId: string;
  CreatedTime: number;
  Scheme: string;
  VpcId: string;
  State: { Code: string };
  Type: string;
  AvailabilityZones: { ZoneName: string; SubnetId: string }[];
  SecurityGroups: string[];
  IpAddressType: string;
}
export interface Listener {
  ListenerArn: string;
  LoadBalancerArn: string;
  Port: number;
  Protocol: string;
  Certificates: { CertificateArn: string }[];
  SslPolicy?: string;
  DefaultActions: RuleAction[];
}
export interface Rule {
  RuleArn: string;
  ListenerArn: string;
  Priority: string;
  Conditions: RuleCondition[];
  Actions: RuleAction[];
  IsDefault: boolean;
}

export class Elbv2State {
  readonly loadBalancers = new Map<string, LoadBalancer>();
  readonly listeners = new Map<string, Listener>();
  readonly rules = new Map<string, Rule>();

  rule(arn: string): Rule {
    const r = this.rules.get(arn);
    if (!r) throw new AwsError('RuleNotFound', 'One or more rules not found');
    return r;
  }

  /**
   * ModifyRule: Actions, when given, replace the rule's whole list (and Conditions theirs), as the
   * API reference says ("To add an item to a list ... you must provide the entire list"); the new
   * actions must pass the documented rules of services/elbv2-actions.ts.
   */
  modifyRule(arn: string, actions?: RuleAction[], conditions?: RuleCondition[]): Rule {
    const rule = this.rule(arn);
    if (conditions && rule.IsDefault) throw new AwsError('OperationNotPermitted', 'Conditions cannot be specified for the default rule');
    if (actions) {
      checkRuleActions(actions, this.listeners.get(rule.ListenerArn)?.Protocol);
      rule.Actions = actions.map((a, i) => ({ ...a, Order: a.Order ?? i + 1 }));
    }
    if (conditions) rule.Conditions = conditions;
    return rule;
  }
}

// ---------------------------------------------------------------------------------------------
export interface SageMakerEndpoint {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  EndpointStatus: 'OutOfService' | 'Creating' | 'Updating' | 'SystemUpdating' | 'RollingBack' | 'InService' | 'Deleting' | 'Failed';
  CreationTime: number;
  LastModifiedTime: number;
  /** the namespace of the ACK resource that made it (tag), for cross-checks with the clusters */
  Tags: Tag[];
}

export class SageMakerState {
  readonly endpoints = new Map<string, SageMakerEndpoint>();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  endpoint(name: string): SageMakerEndpoint {
    const e = this.endpoints.get(name);
    if (!e) throw new AwsError('ValidationException', `Could not find endpoint "${this.arnFor(name)}".`);
    return e;
  }

  arnFor(name: string): string {
    return `arn:aws:sagemaker:${this.region}:${this.accountId}:endpoint/${name.toLowerCase()}`;
  }

  /** DeleteEndpoint: the endpoint is gone at once (AWS shows Deleting for a few minutes first) */
  deleteEndpoint(name: string): void {
    this.endpoint(name);
    this.endpoints.delete(name);
  }
}

// ---------------------------------------------------------------------------------------------
export class AwsState {
  readonly sts: { Account: string; Arn: string; UserId: string };
  readonly eks = new EksState();
  readonly iam: IamState;
  readonly ec2 = new Ec2State();
  readonly efs = new EfsState();
  readonly secrets = new SecretsState();
  readonly rds = new RdsState();
  readonly backup: BackupState;
  readonly route53: Route53State;
  readonly elbv2 = new Elbv2State();
  readonly sagemaker: SageMakerState;
  readonly s3 = new S3State();

  constructor(
    readonly accountId: string,
    readonly region: string,
    faults: () => ScenarioFaults = () => ({}),
    timing: AwsTiming = {},
  ) {
    this.sts = { Account: accountId, Arn: `arn:aws:iam::${accountId}:user/kfup-operator`, UserId: 'AIDA' + stableId(`user:${accountId}`, 17, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') };
    this.iam = new IamState(accountId);
    this.backup = new BackupState(region, accountId, faults, () => timing.backupJobMs ?? 1500);
    this.route53 = new Route53State(() => faults().slowDnsMs ?? timing.dnsChangeMs ?? 300, { loadBalancers: () => this.elbv2.loadBalancers.values() });
    this.sagemaker = new SageMakerState(region, accountId);
  }
}
