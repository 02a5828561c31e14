// The pure parts of ack-adopt and the shared Kubernetes retry: the controller-to-runtime table
// behind the deletion-policy rule, image tags, and which failures are retried.
import { describe, expect, it } from 'vitest';
import { runtimeForSageMakerController, splitImage, supportsDeletionPolicy } from '../../src/modules/ack/runtime-version.js';
import { isRetryable, withKubeRetry } from '../../src/modules/kit/kube/retry.js';
import { listAll } from '../../src/modules/kit/kube/list.js';

const apiError = (code: number, reason?: string, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`HTTP ${code}`), { code, body: JSON.stringify({ kind: 'Status', reason, message: `failed with ${code}` }), headers });

describe('ACK runtime versions', () => {
  it('maps sagemaker-controller releases to their runtime, across the 0.22.1 line', () => {
    expect(runtimeForSageMakerController('v0.5.1')).toBe('0.21.0');
    expect(runtimeForSageMakerController('v0.6.0')).toBe('0.23.0');
    expect(runtimeForSageMakerController('v1.2.1')).toBe('0.25.0');
    expect(runtimeForSageMakerController('1.9.9')).toBe('0.52.0');
    expect(runtimeForSageMakerController('latest')).toBeUndefined();
    expect(supportsDeletionPolicy('0.22.1')).toBe(false);
    expect(supportsDeletionPolicy('0.21.0')).toBe(false);
    expect(supportsDeletionPolicy('0.23.0')).toBe(true);
    expect(supportsDeletionPolicy('v0.25')).toBe(true);
  });

  it('splits image references with registries, ports and digests', () => {
    expect(splitImage('public.ecr.aws/aws-controllers-k8s/sagemaker-controller:v1.2.1')).toEqual({ repo: 'public.ecr.aws/aws-controllers-k8s/sagemaker-controller', tag: 'v1.2.1' });
    expect(splitImage('localhost:5000/sagemaker-controller')).toEqual({ repo: 'localhost:5000/sagemaker-controller' });
    expect(splitImage('r.io/sagemaker-controller:v1.0.0@sha256:abc')).toEqual({ repo: 'r.io/sagemaker-controller', tag: 'v1.0.0' });
  });
});

describe('Kubernetes retry and list', () => {
  it('retries throttling, 5xx and conflicts, never AlreadyExists or 404', () => {
    expect(isRetryable(apiError(429))).toBe(true);
    expect(isRetryable(apiError(503))).toBe(true);
    expect(isRetryable(apiError(409, 'Conflict'))).toBe(true);
    expect(isRetryable(apiError(409, 'Conflict'), false)).toBe(false);
    expect(isRetryable(apiError(409, 'AlreadyExists'))).toBe(false);
    expect(isRetryable(apiError(404, 'NotFound'))).toBe(false);
    expect(isRetryable(new Error('socket hang up'))).toBe(true);
  });

  it('honours Retry-After (capped) and gives up after the attempts', async () => {
    const waits: number[] = [];
    let n = 0;
    const v = await withKubeRetry(async () => (++n < 3 ? Promise.reject(apiError(429, 'TooManyRequests', { 'retry-after': '7' })) : 'ok'), { maxMs: 20, onRetry: (i) => waits.push(i.delayMs) });
    expect(v).toBe('ok');
    expect(waits).toEqual([20, 20]);
    await expect(withKubeRetry(() => Promise.reject(apiError(500)), { attempts: 2, baseMs: 1 })).rejects.toThrow('HTTP 500');
  });

  it('lists every page', async () => {
    const pages: Record<string, { items: number[]; metadata: { _continue?: string } }> = { '': { items: [1, 2], metadata: { _continue: 'a' } }, a: { items: [3], metadata: {} } };
    expect(await listAll<number>((cont) => Promise.resolve(pages[cont ?? '']))).toEqual([1, 2, 3]);
  });
});
