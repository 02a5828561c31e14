// The S3 buckets of the emulated account: objects by key, each with its ETag and time: what kfup's
// shared state backend stores there (journals, run metadata, the lock object), and the files the
// emulated Velero writes to its bucket that kfup downloads (a restore's gzipped results).
import { createHash } from 'node:crypto';

export interface S3Object {
  /** text as PutObject received it, or bytes (gzip files Velero writes) */
  body: string | Buffer;
  etag: string;
  lastModified: number;
}

export class S3State {
  readonly buckets = new Map<string, Map<string, S3Object>>();

  createBucket(name: string): void {
    if (!this.buckets.has(name)) this.buckets.set(name, new Map());
  }

  put(bucket: Map<string, S3Object>, key: string, body: string | Buffer): S3Object {
    const o = { body, etag: `"${createHash('md5').update(body).digest('hex')}"`, lastModified: Date.now() };
    bucket.set(key, o);
    return o;
  }
}
