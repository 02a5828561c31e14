// Where a playbook's runs live, behind one interface so that the runner does not care: a local
// directory (.kfup/ beside the playbook, --state-dir, KFUP_STATE_DIR), or an S3 bucket named by
// the environment (`state: { s3: { bucket, prefix, region } }`) for a team that runs the upgrade
// from CI or from several machines. The runner always reads and writes a local directory; the S3
// backend fills it from the bucket before (pull), uploads each run's files as they change (push),
// and holds the lock in the bucket.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { RunLock, type AcquireOptions, type LockHolder } from './lock.js';
import { stateDirFor } from './location.js';

export interface HeldLock {
  release(): Promise<void>;
}

export interface StateBackend {
  /** for messages: the directory, or s3://bucket/prefix */
  readonly where: string;
  /** the local directory the runner reads and writes */
  readonly dir: string;
  /** shared between machines: runs are matched by file name, not by this machine's paths */
  readonly shared: boolean;
  /**
   * brings the recorded runs into `dir` (the bucket is the truth, except for lines this machine
   * wrote that a killed kfup never uploaded: those are uploaded and told; local: nothing to do)
   */
  pull(notice?: (line: string) => void): Promise<void>;
  lock(holder: Omit<LockHolder, 'pid' | 'host' | 'started'>, opts: AcquireOptions): Promise<HeldLock>;
  /** called whenever a run's files changed; returns once they are stored */
  push(runId: string): Promise<void>;
}

export interface S3StateConfig {
  bucket: string;
  prefix?: string;
  region?: string;
}

export class LocalBackend implements StateBackend {
  readonly shared = false;
  constructor(readonly dir: string) {}
  get where(): string {
    return this.dir;
  }
  pull(): Promise<void> {
    return Promise.resolve();
  }
  lock(holder: Omit<LockHolder, 'pid' | 'host' | 'started'>, opts: AcquireOptions): Promise<HeldLock> {
    const l = RunLock.acquire(this.dir, holder, opts);
    return Promise.resolve({ release: () => Promise.resolve(l.release()) });
  }
  push(): Promise<void> {
    return Promise.resolve();
  }
}

/** the `state:` setting of an environment file, if it has one */
export function stateConfigOf(envFile: string | undefined): S3StateConfig | undefined {
  if (!envFile) return undefined;
  try {
    const doc = parse(readFileSync(envFile, 'utf8')) as { state?: { s3?: S3StateConfig } } | null;
    return doc?.state?.s3;
  } catch {
    return undefined; // loading the environment reports what is wrong with it
  }
}

/**
 * The backend of a playbook and environment: S3 when the environment says so (unless
 * --state-dir / KFUP_STATE_DIR asks for a local directory), else the local directory.
 */
export async function openBackend(playbookFile: string | undefined, envFile: string | undefined, explicit?: string): Promise<StateBackend> {
  const local = stateDirFor(playbookFile, explicit);
  const s3 = explicit === undefined && !process.env.KFUP_STATE_DIR ? stateConfigOf(envFile) : undefined;
  if (!s3) return new LocalBackend(local);
  const { S3Backend } = await import('./s3-backend.js');
  // a local copy of the bucket's runs, per bucket and prefix, beside the playbook
  return new S3Backend(s3, join(local, 's3', s3.bucket, ...(s3.prefix ? [s3.prefix] : [])));
}

/** how runs are matched to a playbook or environment: the path here, the file name when shared */
export const fileKey = (backend: StateBackend, path: string | undefined): string | undefined => (path === undefined ? undefined : backend.shared ? basename(path) : path);
