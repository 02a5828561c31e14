// AWS SDK v3 errors, classified once: the SDK names each error after the service's error code, and
// puts the HTTP status in $metadata. Task types ask "is this not-found / throttled / a conflict",
// never match codes themselves.

export type AwsErrorKind = 'not-found' | 'throttled' | 'conflict' | 'access-denied' | 'invalid' | 'unavailable' | 'other';

interface SdkErrorLike {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** the service's error code (NoSuchEntity, ResourceNotFoundException, ThrottlingException, ...) */
export const awsErrorName = (e: unknown): string => {
  const x = (e ?? {}) as SdkErrorLike;
  return String(x.name ?? x.Code ?? '');
};

const status = (e: unknown): number | undefined => ((e ?? {}) as SdkErrorLike).$metadata?.httpStatusCode;

export function awsErrorKind(e: unknown): AwsErrorKind {
  const name = awsErrorName(e);
  const code = status(e);
  if (/NotFound|NoSuch|DoesNotExist|^NotFoundException$/.test(name)) return 'not-found';
  if (/Throttl|TooManyRequests|RequestLimitExceeded|SlowDown|PriorRequestNotComplete/.test(name) || ((e ?? {}) as SdkErrorLike).$retryable?.throttling || code === 429) return 'throttled';
  if (/Conflict|ConcurrentModification|InvalidState|ResourceInUse|AlreadyExists|EntityAlreadyExists|Duplicate/.test(name) || code === 409) return 'conflict';
  if (/AccessDenied|Unauthorized|Forbidden|InvalidClientTokenId|ExpiredToken|UnrecognizedClient/.test(name) || code === 403) return 'access-denied';
  if (/Validation|InvalidParameter|InvalidInput|MalformedPolicy|InvalidRequest|MissingParameter|LimitExceeded/.test(name)) return 'invalid';
  if (/ServiceUnavailable|InternalError|InternalFailure|ServiceException/.test(name) || (code !== undefined && code >= 500)) return 'unavailable';
  return 'other';
}

export const isNotFound = (e: unknown): boolean => awsErrorKind(e) === 'not-found';
export const isThrottled = (e: unknown): boolean => awsErrorKind(e) === 'throttled';
export const isConflict = (e: unknown): boolean => awsErrorKind(e) === 'conflict';

/** the value of a read, or undefined when the thing does not exist (any other error is thrown) */
export async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * Every item of a listing, through the SDK's own paginator (it follows NextToken, Marker or
 * NextMarker as the operation's model says): `allPages(paginateX({ client }, input), (p) => p.Items)`.
 */
export async function allPages<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) all.push(...(items(page) ?? []));
  return all;
}
