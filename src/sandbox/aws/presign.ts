// The emulated S3 as Velero's object store: files put into a bucket of the account, and GET
// URLs pre-signed the way the AWS SDK's presigner writes them (query-string SigV4:
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html), path-style on
// the sandbox's endpoint. The emulator checks their expiry, not their signature (it checks no
// signature).
import { createHash } from 'node:crypto';
import type { VeleroObjectStore } from '../kube/controllers/velero-download.js';
import type { AwsEmulator } from './emulator.js';

const amzDate = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

export function veleroObjectStore(aws: AwsEmulator, endpoint: () => string, region: string): VeleroObjectStore {
  return {
    put(bucket, key, body) {
      aws.state.s3.createBucket(bucket);
      aws.state.s3.put(aws.state.s3.buckets.get(bucket)!, key, body);
    },
    presignedUrl(bucket, key, ttlMs) {
      const now = new Date();
      const date = amzDate(now);
      const q = new URLSearchParams({
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        // the Velero server's credentials (the sandbox's static test key)
        'X-Amz-Credential': `sandbox/${date.slice(0, 8)}/${region}/s3/aws4_request`,
        'X-Amz-Date': date,
        'X-Amz-Expires': String(Math.round(ttlMs / 1000)),
        'X-Amz-SignedHeaders': 'host',
      });
      q.set('X-Amz-Signature', createHash('sha256').update(`${bucket}/${key}?${q.toString()}`).digest('hex'));
      const path = key.split('/').map(encodeURIComponent).join('/');
      return `${endpoint()}/${encodeURIComponent(bucket)}/${path}?${q.toString()}`;
    },
  };
}
