// RDS over awsQuery, as far as backups need it: the tags of the snapshots AWS Backup takes of the
// database (AWS Backup's own ListTags refuses those; RDS holds their RecoveryPointTags).

import { rpcService } from '../service.js';
import type { DbInstance } from '../state.js';
import { AwsError, isoTime, qStr, unflattenQuery, type QueryValue } from '../wire.js';

const XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/';

const ITEM_NAMES: Record<string, string> = {
  TagList: 'Tag', DBInstances: 'DBInstance', VpcSecurityGroups: 'VpcSecurityGroupMembership', Subnets: 'Subnet', DBParameterGroups: 'DBParameterGroup',
};

const instanceOut = (d: DbInstance) => ({
  DBInstanceIdentifier: d.DBInstanceIdentifier, DBInstanceClass: d.DBInstanceClass, Engine: d.Engine, DBInstanceStatus: d.DBInstanceStatus,
  MasterUsername: d.MasterUsername, DBName: d.DBName, Endpoint: d.Endpoint, AllocatedStorage: d.AllocatedStorage, InstanceCreateTime: isoTime(d.InstanceCreateTime),
  PreferredBackupWindow: '07:00-07:30', BackupRetentionPeriod: 7,
  VpcSecurityGroups: d.SecurityGroupIds.map((VpcSecurityGroupId) => ({ VpcSecurityGroupId, Status: 'active' })),
  DBParameterGroups: [{ DBParameterGroupName: 'default.mysql8.0', ParameterApplyStatus: 'in-sync' }],
  AvailabilityZone: d.AvailabilityZone,
  DBSubnetGroup: { DBSubnetGroupName: `${d.DBInstanceIdentifier}-subnets`, DBSubnetGroupDescription: 'Kubeflow database subnets', VpcId: d.VpcId, SubnetGroupStatus: 'Complete',
    Subnets: d.SubnetIds.map((SubnetIdentifier) => ({ SubnetIdentifier, SubnetStatus: 'Active' })) },
  PreferredMaintenanceWindow: 'sun:08:00-sun:08:30', PendingModifiedValues: {}, MultiAZ: d.MultiAZ, EngineVersion: d.EngineVersion, AutoMinorVersionUpgrade: true,
  LicenseModel: 'general-public-license', PubliclyAccessible: false, StorageType: d.StorageType, DbInstancePort: 0, StorageEncrypted: d.StorageEncrypted,
  DbiResourceId: 'db-' + d.DBInstanceIdentifier.toUpperCase().replace(/[^A-Z0-9]/g, '').padEnd(26, 'X').slice(0, 26), DeletionProtection: true,
  DBInstanceArn: d.DBInstanceArn, TagList: d.Tags, CopyTagsToSnapshot: true, IAMDatabaseAuthenticationEnabled: false,
});

/** RDS names each error after what was not found, by the kind of resource in the ARN */
function notFound(arn: string): AwsError {
  const kind = arn.split(':')[5];
  const id = arn.split(':').slice(6).join(':');
  if (kind === 'snapshot') return new AwsError('DBSnapshotNotFound', `DBSnapshot ${id} not found.`, 404);
  if (kind === 'cluster-snapshot') return new AwsError('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`, 404);
  if (kind === 'db') return new AwsError('DBInstanceNotFound', `DBInstance ${id} not found.`, 404);
  if (kind === 'cluster') return new AwsError('DBClusterNotFoundFault', `DBCluster ${id} not found.`, 404);
  return new AwsError('InvalidParameterValue', `Unsupported resource name: ${arn}`);
}

export const rds = rpcService<Record<string, QueryValue>>(
  // list items are named by the model's locationName of each list's member
  { name: 'rds', signingName: 'rds', protocol: 'query', xmlns: XMLNS, itemName: (key) => ITEM_NAMES[key] ?? 'member' },
  {
    // `aws rds describe-db-instances`: the one database, or DBInstanceNotFound for another name
    DescribeDBInstances: (input, state) => {
      const id = qStr(input.DBInstanceIdentifier);
      const max = Number(qStr(input.MaxRecords) ?? 100);
      if (!Number.isInteger(max) || max < 20 || max > 100) throw new AwsError('InvalidParameterValue', 'MaxRecords must be between 20 and 100');
      let list = [...state.rds.instances.values()].sort((a, b) => (a.DBInstanceIdentifier < b.DBInstanceIdentifier ? -1 : 1));
      if (id) {
        const one = list.find((d) => d.DBInstanceIdentifier === id || d.DBInstanceArn === id);
        if (!one) throw new AwsError('DBInstanceNotFound', `DBInstance ${id} not found.`, 404);
        list = [one];
      }
      const start = Number(qStr(input.Marker) ?? 0) || 0;
      const page = list.slice(start, start + max);
      return { DBInstances: page.map(instanceOut), Marker: start + max < list.length ? String(start + max) : undefined };
    },
    ListTagsForResource: (input, state) => {
      const arn = qStr(input.ResourceName);
      if (!arn) throw new AwsError('MissingParameter', 'The request must contain the parameter ResourceName');
      if (!/^arn:[a-z-]+:rds:[^:]+:\d{12}:[a-z-]+:.+/.test(arn)) throw new AwsError('InvalidParameterValue', `The parameter ResourceName is not a valid ARN: ${arn}`);
      // the database itself (no tags kept), or a snapshot AWS Backup made of it
      if (arn === state.backup.resources.rds) return { TagList: [] };
      const tags = state.backup.serviceBackupTags(arn, 'rds');
      if (!tags) throw notFound(arn);
      return { TagList: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) };
    },
  },
  (req) => new URLSearchParams(req.body).get('Action') ?? req.query.get('Action') ?? undefined,
  (req) => unflattenQuery(new URLSearchParams(req.body)),
);
