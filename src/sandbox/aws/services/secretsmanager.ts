// Secrets Manager over awsJson1_1: the RDS and S3 credentials the deployment stored.

import { jsonBody, jsonString, required, rpcService } from '../service.js';
import type { Secret } from '../state.js';
import { AwsError, epochSeconds } from '../wire.js';

interface Filter {
  Key: string;
  Values: string[];
}

const isFilter = (f: unknown): f is Filter =>
  typeof f === 'object' && f !== null && 'Key' in f && typeof f.Key === 'string' && 'Values' in f && Array.isArray(f.Values) && f.Values.every((v) => typeof v === 'string');

/** ListSecrets' Filters: a list of {Key, Values}; any other JSON is a member of the wrong type */
function listFilters(v: unknown): Filter[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isFilter)) throw new AwsError('SerializationException', "Filters at 'filters' cannot be read: expected a list of {Key, Values}");
  return v;
}

export const secretsmanager = rpcService(
  { name: 'secretsmanager', signingName: 'secretsmanager', protocol: 'json' },
  {
    DescribeSecret: (input, state) => {
      const s = state.secrets.find(required(jsonString(input.SecretId, 'SecretId'), 'secretId'));
      return {
        ARN: s.ARN, Name: s.Name, Description: s.Description, LastChangedDate: epochSeconds(s.LastChangedDate), CreatedDate: epochSeconds(s.CreatedDate),
        Tags: s.Tags, VersionIdsToStages: { [s.VersionId]: ['AWSCURRENT'] },
      };
    },
    // `aws secretsmanager list-secrets`: metadata only (never the values), Filters by prefix
    ListSecrets: (input, state) => {
      const max = input.MaxResults ?? 100;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100) throw new AwsError('InvalidParameterException', 'MaxResults must be between 1 and 100');
      const filters = listFilters(input.Filters);
      const fields = (s: Secret, key: string): string[] =>
        key === 'name' ? [s.Name] : key === 'description' ? [s.Description ?? ''] : key === 'tag-key' ? s.Tags.map((t) => t.Key) : key === 'tag-value' ? s.Tags.map((t) => t.Value)
          : key === 'all' ? [s.Name, s.Description ?? '', ...s.Tags.flatMap((t) => [t.Key, t.Value])] : [];
      const list = [...state.secrets.secrets.values()].filter((s) => filters.every((f) => f.Values.some((v) => fields(s, f.Key).some((x) => x.startsWith(v)))));
      const desc = input.SortOrder !== 'asc';
      list.sort((a, b) => (desc ? b.CreatedDate - a.CreatedDate : a.CreatedDate - b.CreatedDate) || (a.Name < b.Name ? -1 : 1));
      const token = jsonString(input.NextToken, 'NextToken');
      const start = token ? Number(Buffer.from(token, 'base64').toString('utf8')) || 0 : 0;
      const page = list.slice(start, start + max);
      return {
        SecretList: page.map((s) => ({
          ARN: s.ARN, Name: s.Name, Description: s.Description, LastChangedDate: epochSeconds(s.LastChangedDate), CreatedDate: epochSeconds(s.CreatedDate),
          Tags: s.Tags, SecretVersionsToStages: { [s.VersionId]: ['AWSCURRENT'] },
        })),
        NextToken: start + max < list.length ? Buffer.from(String(start + max)).toString('base64') : undefined,
      };
    },
    GetSecretValue: (input, state) => {
      const s = state.secrets.find(required(jsonString(input.SecretId, 'SecretId'), 'secretId'));
      return { ARN: s.ARN, Name: s.Name, VersionId: s.VersionId, SecretString: s.SecretString, VersionStages: ['AWSCURRENT'], CreatedDate: epochSeconds(s.CreatedDate) };
    },
  },
  (req) => String(req.headers['x-amz-target'] ?? '').split('.')[1],
  jsonBody,
);
