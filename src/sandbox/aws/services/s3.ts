// S3 over restXml, path-style addressing (/bucket/key): the object operations kfup's shared state
// backend uses. Conditional writes as documented for PutObject
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html): `If-None-Match: *`
// writes only when no object has the key, else 412 PreconditionFailed; `If-Match: ETAG` only when
// the object's ETag is that one. ListObjectsV2 pages by continuation token, keys in UTF-8 order.
// GetObject also answers pre-signed URLs (query-string SigV4, as Velero's download request
// controller hands out): one past X-Amz-Date + X-Amz-Expires is refused 403 "Request has expired"
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
import { restService, type AwsRequest } from '../service.js';
import type { AwsState } from '../state.js';
import { AwsError, toXml } from '../wire.js';

function bucketOf(state: AwsState, name: string) {
  const b = state.s3.buckets.get(name);
  if (!b) throw new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404);
  return b;
}

const header = (req: AwsRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

const httpDate = (ms: number): string => new Date(ms).toUTCString();

/** a pre-signed request past its expiry (X-Amz-Date yyyymmddThhmmssZ plus X-Amz-Expires seconds) */
function refuseExpired(req: AwsRequest): void {
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(req.query.get('X-Amz-Date') ?? '');
  const expires = Number(req.query.get('X-Amz-Expires') ?? NaN);
  if (!date || !Number.isFinite(expires)) return;
  const signedAt = Date.UTC(+date[1], +date[2] - 1, +date[3], +date[4], +date[5], +date[6]);
  if (Date.now() > signedAt + expires * 1000) throw new AwsError('AccessDenied', 'Request has expired', 403);
}

/** the most keys ListObjectsV2 returns at once, whatever max-keys asks */
const PAGE_LIMIT = 1000;

export const s3 = restService({ name: 's3', signingName: 's3', protocol: 'restXml', xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' }, [
  {
    method: 'GET',
    pattern: /^\/(?<bucket>[^/]+)\/?$/,
    operation: 'ListObjectsV2',
    run: ({ bucket }, req, state) => {
      if (req.query.get('list-type') !== '2') throw new AwsError('NotImplemented', 'the sandbox answers ListObjectsV2 (list-type=2) only', 501);
      const b = bucketOf(state, bucket);
      const prefix = req.query.get('prefix') ?? '';
      const max = Math.min(Number(req.query.get('max-keys') ?? PAGE_LIMIT), PAGE_LIMIT);
      const after = req.query.get('continuation-token') ?? req.query.get('start-after') ?? '';
      const keys = [...b.keys()].filter((k) => k.startsWith(prefix) && k > after).sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
      const page = keys.slice(0, max);
      const truncated = keys.length > max;
      // S3's lists are flattened: one <Contents> element per object, no wrapper
      const contents = page
        .map((k) => {
          const o = b.get(k)!;
          return `<Contents>${toXml({ Key: k, LastModified: new Date(o.lastModified).toISOString(), ETag: o.etag, Size: Buffer.byteLength(o.body), StorageClass: 'STANDARD' }, () => 'member')}</Contents>`;
        })
        .join('');
      const rest = toXml(
        {
          Name: bucket,
          Prefix: prefix,
          MaxKeys: max,
          KeyCount: page.length,
          ContinuationToken: req.query.get('continuation-token') ?? undefined,
          NextContinuationToken: truncated ? page[page.length - 1] : undefined,
        },
        () => 'member',
      );
      return {
        raw: `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>${truncated}</IsTruncated>${contents}${rest}</ListBucketResult>`,
        headers: { 'Content-Type': 'application/xml' },
      };
    },
  },
  {
    method: 'PUT',
    pattern: /^\/(?<bucket>[^/]+)\/(?<key>.+)$/,
    operation: 'PutObject',
    run: ({ bucket, key }, req, state) => {
      const b = bucketOf(state, bucket);
      const existing = b.get(key);
      const noneMatch = header(req, 'if-none-match');
      const match = header(req, 'if-match');
      if (noneMatch !== undefined && noneMatch !== '*') throw new AwsError('NotImplemented', 'If-None-Match on PutObject accepts only *', 501);
      if ((noneMatch === '*' && existing) || (match !== undefined && existing?.etag !== match)) {
        throw new AwsError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412);
      }
      if (match !== undefined && !existing) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
      const o = state.s3.put(b, key, req.body);
      return { headers: { ETag: o.etag } };
    },
  },
  {
    method: 'GET',
    pattern: /^\/(?<bucket>[^/]+)\/(?<key>.+)$/,
    operation: 'GetObject',
    run: ({ bucket, key }, req, state) => {
      refuseExpired(req);
      const o = bucketOf(state, bucket).get(key);
      if (!o) throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404);
      return { raw: o.body, headers: { ETag: o.etag, 'Last-Modified': httpDate(o.lastModified), 'Content-Type': 'application/octet-stream' } };
    },
  },
  {
    method: 'DELETE',
    pattern: /^\/(?<bucket>[^/]+)\/(?<key>.+)$/,
    operation: 'DeleteObject',
    run: ({ bucket, key }, _req, state) => {
      // deleting a key that is not there succeeds, as in S3
      bucketOf(state, bucket).delete(key);
      return { status: 204 };
    },
  },
]);
