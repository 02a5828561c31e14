// RDS over awsQuery, as far as backups need it: the tags of the snapshots AWS Backup takes of the
// database (AWS Backup's own ListTags refuses those; RDS holds their RecoveryPointTags).

import { rpcService } from '../service.js';
import { AwsError, qStr, unflattenQuery } from '../wire.js';

const XMLNS = 'http://rds.amazonaws.com/doc/2014-10-31/';

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

export const rds = rpcService(
  // TagList items are <Tag> elements; RDS's other lists are not emulated
  { name: 'rds', signingName: 'rds', protocol: 'query', xmlns: XMLNS, itemName: (key) => (key === 'TagList' ? 'Tag' : 'member') },
  {
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
