// Secrets Manager over awsJson1_1: the RDS and S3 credentials the deployment stored.

import { jsonBody, required, rpcService } from '../service.js';
import { epochSeconds } from '../wire.js';

export const secretsmanager = rpcService(
  { name: 'secretsmanager', signingName: 'secretsmanager', protocol: 'json' },
  {
    DescribeSecret: (input, state) => {
      const s = state.secrets.find(required(input.SecretId, 'secretId'));
      return {
        ARN: s.ARN, Name: s.Name, Description: s.Description, LastChangedDate: epochSeconds(s.LastChangedDate), CreatedDate: epochSeconds(s.CreatedDate),
        Tags: s.Tags, VersionIdsToStages: { [s.VersionId]: ['AWSCURRENT'] },
      };
    },
    GetSecretValue: (input, state) => {
      const s = state.secrets.find(required(input.SecretId, 'secretId'));
      return { ARN: s.ARN, Name: s.Name, VersionId: s.VersionId, SecretString: s.SecretString, VersionStages: ['AWSCURRENT'], CreatedDate: epochSeconds(s.CreatedDate) };
    },
  },
  (req) => String(req.headers['x-amz-target'] ?? '').split('.')[1],
  jsonBody,
);
