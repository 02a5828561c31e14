// The official AWS service models the sandbox judges traffic by, as the package ships them
// (aws-models/<service>.json.gz: trimmed from botocore's models by scripts/trim-aws-models.js).
// Each is read on the first request to its service, then kept.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { packagePath } from '../../../runner/load/package-root.js';
import type { ServiceModel } from './types.js';

const cache = new Map<string, ServiceModel | null>();

/** the model of a sandbox service (by its sandbox name: iam, elbv2, route53...), or undefined if none ships */
export function serviceModel(service: string): ServiceModel | undefined {
  let m = cache.get(service);
  if (m === undefined) {
    try {
      m = JSON.parse(gunzipSync(readFileSync(packagePath('aws-models', `${service}.json.gz`))).toString('utf8')) as ServiceModel;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      m = null;
    }
    cache.set(service, m);
  }
  return m ?? undefined;
}
