// "Does not exist" as AWS services actually say it. Most answer a not-found error (kit/aws.ts),
// but some Describe operations declare no error at all and answer a missing resource with a
// ValidationException whose message says so: SageMaker's DescribeEndpoint, DescribeModel, ...
// reply `ValidationException: Could not find endpoint "arn:..."` (the SDK's model of
// DescribeEndpointCommand lists only SageMakerServiceException). Only such a message counts: a
// ValidationException about bad input is not "missing".
import { awsErrorName, isNotFound } from './aws.js';

const MISSING_MESSAGE = /could not find|does not exist|not found/i;

const messageOf = (e: unknown): string => {
  const m = e instanceof Error ? e.message : (e as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m : '';
};

export function isMissing(e: unknown): boolean {
  if (isNotFound(e)) return true;
  return awsErrorName(e) === 'ValidationException' && MISSING_MESSAGE.test(messageOf(e));
}
