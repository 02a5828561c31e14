// AWS Backup over restJson1: on-demand jobs that advance with the clock, the vault, and its
// recovery points.

import { jsonBody, restService, type JsonInput } from '../service.js';
import type { BackupJob } from '../state.js';
import { AwsError, epochSeconds } from '../wire.js';

const E = (code: string, message: string) => new AwsError(code, message, 400, { Code: code, Message: message, Type: 'Client' });

function jobOut(j: BackupJob, accountId: string) {
  return {
    AccountId: accountId,
    BackupJobId: j.BackupJobId,
    BackupVaultName: j.BackupVaultName,
    BackupVaultArn: j.BackupVaultArn,
    RecoveryPointArn: j.RecoveryPointArn,
    ResourceArn: j.ResourceArn,
    ResourceType: j.ResourceType,
    CreationDate: epochSeconds(j.CreationDate),
    CompletionDate: j.CompletionDate !== undefined ? epochSeconds(j.CompletionDate) : undefined,
    State: j.State,
    StatusMessage: j.StatusMessage,
    PercentDone: j.PercentDone,
    BackupSizeInBytes: j.BackupSizeInBytes,
    IamRoleArn: j.IamRoleArn,
    ExpectedCompletionDate: epochSeconds(j.endsAt),
    BackupType: j.ResourceType === 'EFS' ? undefined : 'FULL',
    IsParent: false,
    InitiationDate: epochSeconds(j.CreationDate),
  };
}

/** list pagination shared by the two list operations: NextToken is the next index */
function page<T>(items: T[], query: URLSearchParams): { items: T[]; NextToken?: string } {
  const max = Number(query.get('maxResults') ?? 1000);
  if (!Number.isInteger(max) || max < 1 || max > 1000) throw E('InvalidParameterValueException', 'maxResults must be between 1 and 1000');
  const start = Number(query.get('nextToken') ?? 0) || 0;
  return { items: items.slice(start, start + max), NextToken: start + max < items.length ? String(start + max) : undefined };
}

/** RecoveryPointTags as StartBackupJob takes them: a string map (AWS allows at most 50) */
function recoveryPointTags(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw E('InvalidParameterValueException', 'RecoveryPointTags must be a map of strings');
  }
  if (Object.keys(v).length > 50) throw E('InvalidParameterValueException', 'RecoveryPointTags can hold at most 50 tags');
  return v as Record<string, string>;
}

/** a string member of StartBackupJob's body; another JSON type is a SerializationException, as the model check answers */
function text(input: JsonInput, name: string): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw E('SerializationException', `${JSON.stringify(v)} at '${name}' cannot be read: expected a string`);
  return v;
}

/** a required one: absent or empty is MissingParameterValueException */
function requiredText(input: JsonInput, name: string): string {
  const v = text(input, name);
  if (!v) throw E('MissingParameterValueException', `${name} is required`);
  return v;
}

export const backup = restService({ name: 'backup', signingName: 'backup', protocol: 'restJson' }, [
  {
    method: 'PUT',
    pattern: /^\/backup-jobs\/?$/,
    operation: 'StartBackupJob',
    run: (_p, req, state) => {
      const input = jsonBody(req);
      for (const f of ['BackupVaultName', 'ResourceArn', 'IamRoleArn']) {
        if (!input[f]) throw E('MissingParameterValueException', `${f} is required`);
      }
      const job = state.backup.start(
        {
          BackupVaultName: requiredText(input, 'BackupVaultName'),
          ResourceArn: requiredText(input, 'ResourceArn'),
          IamRoleArn: requiredText(input, 'IamRoleArn'),
          IdempotencyToken: text(input, 'IdempotencyToken'),
          RecoveryPointTags: recoveryPointTags(input.RecoveryPointTags),
        },
        (arn) => [...state.iam.roles.values()].some((r) => r.Arn === arn),
        input,
      );
      return {
        body: {
          BackupJobId: job.BackupJobId,
          // AWS returns the recovery point up front only for resources backed up through AWS Backup's own storage
          RecoveryPointArn: job.ResourceType === 'RDS' || job.ResourceType === 'FSx' ? undefined : job.RecoveryPointArn,
          CreationDate: epochSeconds(job.CreationDate),
          IsParent: false,
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/backup-jobs\/?$/,
    operation: 'ListBackupJobs',
    run: (_p, req, state) => {
      const q = req.query;
      let jobs = [...state.backup.jobs.values()];
      const state_ = q.get('state');
      if (state_) jobs = jobs.filter((j) => j.State === state_);
      const arn = q.get('resourceArn');
      if (arn) jobs = jobs.filter((j) => j.ResourceArn === arn);
      const vault = q.get('backupVaultName');
      if (vault) jobs = jobs.filter((j) => j.BackupVaultName === vault);
      const type = q.get('resourceType');
      if (type) jobs = jobs.filter((j) => j.ResourceType === type);
      const after = q.get('createdAfter');
      if (after) jobs = jobs.filter((j) => j.CreationDate > Date.parse(after));
      jobs.sort((a, b) => b.CreationDate - a.CreationDate);
      const { items, NextToken } = page(jobs, q);
      return { body: { BackupJobs: items.map((j) => jobOut(j, state.accountId)), NextToken } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/backup-jobs\/(?<id>[^/]+)$/,
    operation: 'DescribeBackupJob',
    run: (p, _req, state) => ({ body: { ...jobOut(state.backup.getJob(p.id), state.accountId), NumberOfChildJobs: 0 } }),
  },
  {
    // `aws backup list-backup-vaults`
    method: 'GET',
    pattern: /^\/backup-vaults\/?$/,
    operation: 'ListBackupVaults',
    run: (_p, req, state) => {
      state.backup.settle();
      let vaults = [...state.backup.vaults.values()].sort((a, b) => a.CreationDate - b.CreationDate);
      const type = req.query.get('vaultType');
      if (type && type !== 'BACKUP_VAULT') vaults = [];
      const { items, NextToken } = page(vaults, req.query);
      return {
        body: {
          NextToken,
          BackupVaultList: items.map((v) => ({
            BackupVaultName: v.BackupVaultName, BackupVaultArn: v.BackupVaultArn, VaultType: 'BACKUP_VAULT', VaultState: 'AVAILABLE', CreationDate: epochSeconds(v.CreationDate),
            EncryptionKeyArn: v.EncryptionKeyArn, CreatorRequestId: v.CreatorRequestId, Locked: false,
            NumberOfRecoveryPoints: [...state.backup.recoveryPoints.values()].filter((r) => r.BackupVaultName === v.BackupVaultName).length,
          })),
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/backup-vaults\/(?<name>[^/]+)\/?$/,
    operation: 'DescribeBackupVault',
    run: (p, _req, state) => {
      const v = state.backup.vault(p.name);
      state.backup.settle();
      return {
        body: {
          BackupVaultName: v.BackupVaultName, BackupVaultArn: v.BackupVaultArn, VaultType: 'BACKUP_VAULT', EncryptionKeyArn: v.EncryptionKeyArn,
          CreationDate: epochSeconds(v.CreationDate), CreatorRequestId: v.CreatorRequestId, Locked: false,
          NumberOfRecoveryPoints: [...state.backup.recoveryPoints.values()].filter((r) => r.BackupVaultName === v.BackupVaultName).length,
        },
      };
    },
  },
  {
    method: 'GET',
    pattern: /^\/backup-vaults\/(?<name>[^/]+)\/recovery-points\/?$/,
    operation: 'ListRecoveryPointsByBackupVault',
    run: (p, req, state) => {
      const v = state.backup.vault(p.name);
      state.backup.settle();
      let rps = [...state.backup.recoveryPoints.values()].filter((r) => r.BackupVaultName === v.BackupVaultName);
      const arn = req.query.get('resourceArn');
      if (arn) rps = rps.filter((r) => r.ResourceArn === arn);
      const type = req.query.get('resourceType');
      if (type) rps = rps.filter((r) => r.ResourceType === type);
      rps.sort((a, b) => b.CreationDate - a.CreationDate);
      const { items, NextToken } = page(rps, req.query);
      return {
        body: {
          NextToken,
          RecoveryPoints: items.map((r) => ({
            RecoveryPointArn: r.RecoveryPointArn, BackupVaultName: r.BackupVaultName, BackupVaultArn: r.BackupVaultArn, ResourceArn: r.ResourceArn,
            ResourceType: r.ResourceType, IamRoleArn: r.IamRoleArn, Status: r.Status, CreationDate: epochSeconds(r.CreationDate),
            CompletionDate: epochSeconds(r.CompletionDate), BackupSizeInBytes: r.BackupSizeInBytes, IsEncrypted: true, VaultType: 'BACKUP_VAULT',
          })),
        },
      };
    },
  },
  {
    // the ARN is one percent-encoded path label (its ':' and '/' arrive as %3A and %2F)
    method: 'GET',
    pattern: /^\/tags\/(?<arn>[^/]+)\/?$/,
    operation: 'ListTags',
    run: (p, req, state) => {
      const tags = Object.entries(state.backup.tagsOf(p.arn)).sort(([a], [b]) => a.localeCompare(b));
      const { items, NextToken } = page(tags, req.query);
      return { body: { Tags: Object.fromEntries(items), NextToken } };
    },
  },
]);
