// SageMaker over awsJson1_1: the inference endpoints ACK manages for the profiles.

import { jsonBody, jsonString, required, rpcService } from '../service.js';
import type { SageMakerEndpoint } from '../state.js';
import { AwsError, epochSeconds } from '../wire.js';

const summary = (e: SageMakerEndpoint) => ({
  EndpointName: e.EndpointName, EndpointArn: e.EndpointArn, CreationTime: epochSeconds(e.CreationTime), LastModifiedTime: epochSeconds(e.LastModifiedTime), EndpointStatus: e.EndpointStatus,
});

export const sagemaker = rpcService(
  { name: 'sagemaker', signingName: 'sagemaker', protocol: 'json' },
  {
    ListEndpoints: (input, state) => {
      let list = [...state.sagemaker.endpoints.values()];
      if (input.NameContains) list = list.filter((e) => e.EndpointName.toLowerCase().includes(String(input.NameContains).toLowerCase()));
      if (input.StatusEquals) list = list.filter((e) => e.EndpointStatus === input.StatusEquals);
      const by = input.SortBy === 'Name' ? (e: SageMakerEndpoint) => e.EndpointName : input.SortBy === 'Status' ? (e: SageMakerEndpoint) => e.EndpointStatus : (e: SageMakerEndpoint) => String(e.CreationTime).padStart(16, '0') + e.EndpointName;
      list.sort((a, b) => (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : 0));
      if ((input.SortOrder ?? 'Descending') === 'Descending') list.reverse();
      const max = input.MaxResults ?? 10;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100) throw new AwsError('ValidationException', `1 validation error detected: Value '${JSON.stringify(max)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`);
      const token = jsonString(input.NextToken, 'NextToken');
      const start = token ? Number(Buffer.from(token, 'base64').toString('utf8')) || 0 : 0;
      const page = list.slice(start, start + max);
      return { Endpoints: page.map(summary), NextToken: start + max < list.length ? Buffer.from(String(start + max)).toString('base64') : undefined };
    },
    DescribeEndpoint: (input, state) => {
      const e = state.sagemaker.endpoint(required(jsonString(input.EndpointName, 'EndpointName'), 'endpointName'));
      return {
        ...summary(e), EndpointConfigName: e.EndpointConfigName,
        ProductionVariants: [{ VariantName: 'AllTraffic', CurrentWeight: 1, DesiredWeight: 1, CurrentInstanceCount: 1, DesiredInstanceCount: 1 }],
      };
    },
    DeleteEndpoint: (input, state) => {
      state.sagemaker.deleteEndpoint(required(jsonString(input.EndpointName, 'EndpointName'), 'endpointName'));
      return {};
    },
  },
  (req) => String(req.headers['x-amz-target'] ?? '').split('.')[1],
  jsonBody,
);
