// FSx over awsJson1_1, as far as backups need it: the tags of the backups AWS Backup takes of a
// file system (AWS Backup's own ListTags refuses those; FSx holds their RecoveryPointTags).

import { jsonBody, jsonString, rpcService } from '../service.js';
import { AwsError } from '../wire.js';

/** FSx errors name the resource in their body beside the message */
const E = (code: string, message: string, arn?: string) => new AwsError(code, message, 400, { Message: message, ResourceARN: arn });

export const fsx = rpcService(
  { name: 'fsx', signingName: 'fsx', protocol: 'json' },
  {
    ListTagsForResource: (input, state) => {
      const arn = input.ResourceARN;
      if (typeof arn !== 'string' || !arn) throw E('BadRequest', 'ResourceARN is required');
      if (!/^arn:[a-z-]+:fsx:[^:]+:\d{12}:[a-z-]+\/.+/.test(arn)) throw E('NotServiceResourceError', `Resource ${arn} is not an FSx resource`, arn);
      const max = input.MaxResults ?? 1000;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) throw E('BadRequest', 'MaxResults must be a positive integer');
      const tags = state.backup.serviceBackupTags(arn, 'fsx');
      if (!tags) throw E('ResourceNotFound', `The resource ${arn} does not exist`, arn);
      const all = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
      // the model holds NextToken to base64 text: the next index, encoded
      const token = jsonString(input.NextToken, 'NextToken');
      const start = token ? Number(Buffer.from(token, 'base64').toString('utf8')) || 0 : 0;
      return { Tags: all.slice(start, start + max), NextToken: start + max < all.length ? Buffer.from(String(start + max)).toString('base64') : undefined };
    },
  },
  (req) => String(req.headers['x-amz-target'] ?? '').split('.')[1],
  jsonBody,
);
