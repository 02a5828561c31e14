// Run state in S3: runs/<id>/meta.json and journal.ndjson, and the lock locks/<key>.lock, under
// the environment's prefix. The lock is taken with a conditional write (PutObject with
// `If-None-Match: *`: S3 answers 412 PreconditionFailed when the object exists), as Terraform's
// S3 backend does with use_lockfile, and deleted after the run. A run's files are uploaded after
// every change (one upload at a time, the latest content), and completely when the run ends
// (SIGINT and SIGTERM end a run, so they upload too). A kfup killed with -9 may leave the bucket's
// journal behind this machine's copy: the next pull on this machine finds that and uploads it.
import { readFileSync, readdirSync, mkdirSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { credentialsError, isCredentialsError } from '../aws-credentials.js';
import { UserError } from '../errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { describeHolder, holderAlive, lockKey, myIdentity, parseHolder, type AcquireOptions, type LockHolder } from './lock.js';
import type { HeldLock, S3StateConfig, StateBackend } from './backend.js';

const RUN_FILES = ['meta.json', 'journal.ndjson'];

/** the runs in the local copy whose meta.json is a run's (a corrupt one is never uploaded) */
function localRuns(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, 'runs')).filter((r) => !r.startsWith('.'));
  } catch {
    return [];
  }
  return names.filter((r) => {
    try {
      return (JSON.parse(readFileSync(join(dir, 'runs', r, 'meta.json'), 'utf8')) as { runId?: unknown } | null)?.runId === r;
    } catch {
      return false;
    }
  });
}

/**
 * How this machine's copy of a run's journal stands to the bucket's. The journal only grows, and
 * this copy is written only by pulls and by runs on this machine, so a local journal that extends
 * the bucket's holds lines a kfup wrote and never uploaded (killed with -9, or the bucket was
 * unreachable at the end). One that neither extends nor is extended by it went on elsewhere.
 */
function compareJournals(dir: string, runId: string, remote: string | undefined): { state: 'same' | 'remote-ahead' | 'local-ahead' | 'diverged'; lines: number } {
  let local: string | undefined;
  try {
    local = readFileSync(join(dir, 'runs', runId, 'journal.ndjson'), 'utf8');
  } catch {
    local = undefined;
  }
  if (local === undefined || local === remote) return { state: local === undefined && remote !== undefined ? 'remote-ahead' : 'same', lines: 0 };
  // a last line cut short by the kill is not counted (the next writer drops it)
  const whole = local.slice(0, local.lastIndexOf('\n') + 1);
  const base = remote ?? '';
  if (whole.length > base.length && whole.startsWith(base)) return { state: 'local-ahead', lines: whole.slice(base.length).split('\n').length - 1 };
  if (base.startsWith(whole)) return { state: 'remote-ahead', lines: 0 };
  return { state: 'diverged', lines: 0 };
}

/** the run is going on in a live process on this machine, which uploads it itself */
function runningHere(dir: string, runId: string): boolean {
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'runs', runId, 'meta.json'), 'utf8')) as { status?: string; pid?: number; host?: string; startTicks?: string };
    return meta.status === 'running' && meta.host === hostname() && typeof meta.pid === 'number' && holderAlive({ pid: meta.pid, startTicks: meta.startTicks });
  } catch {
    return false;
  }
}

export class S3Backend implements StateBackend {
  readonly shared = true;
  private readonly client: S3Client;
  private readonly prefix: string;
  private uploads = new Map<string, Promise<void>>();
  private pending = new Set<string>();

  constructor(
    private readonly cfg: S3StateConfig,
    readonly dir: string,
  ) {
    this.prefix = cfg.prefix ? cfg.prefix.replace(/\/+$/, '') + '/' : '';
    // A custom endpoint (AWS_ENDPOINT_URL: the sandbox, MinIO, a VPC endpoint by IP) is addressed
    // path-style (/bucket/key), which S3 and every S3-compatible store accept; AWS itself gets
    // the default virtual-hosted style. Checksums only where S3 requires them, so that a put is
    // one plain request that an S3-compatible store understands as well.
    const custom = Boolean(process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
    this.client = new S3Client({ region: cfg.region, forcePathStyle: custom, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  }

  get where(): string {
    return `s3://${this.cfg.bucket}/${this.prefix}`;
  }

  private async get(key: string): Promise<string | undefined> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.cfg.bucket, Key: this.prefix + key }));
      return await r.Body!.transformToString();
    } catch (e) {
      if (e instanceof S3ServiceException && (e.name === 'NoSuchKey' || e.$metadata.httpStatusCode === 404)) return undefined;
      throw this.failure(e, `reading ${this.where}${key}`);
    }
  }

  private failure(e: unknown, what: string): UserError {
    if (isCredentialsError(e)) return credentialsError(e, `shared state: ${what}`);
    const m = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return new UserError(`shared state: ${what} failed (${m})`, { hint: `check that the bucket ${this.cfg.bucket} exists and that your credentials may read and write it`, exitCode: 1 });
  }

  async pull(notice?: (line: string) => void): Promise<void> {
    const remote = new Map<string, Map<string, string>>();
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.cfg.bucket, Prefix: `${this.prefix}runs/`, ContinuationToken: token }));
      } catch (e) {
        throw this.failure(e, `listing ${this.where}runs/`);
      }
      for (const o of page.Contents ?? []) {
        const rel = o.Key!.slice(this.prefix.length);
        const m = /^runs\/([^/]+)\/([^/]+)$/.exec(rel);
        if (!m || !RUN_FILES.includes(m[2]) || m[1].startsWith('.')) continue;
        const body = await this.get(rel);
        if (body === undefined) continue;
        if (!remote.has(m[1])) remote.set(m[1], new Map());
        remote.get(m[1])!.set(m[2], body);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const behind: string[] = [];
    for (const runId of new Set([...remote.keys(), ...localRuns(this.dir)])) {
      const files = remote.get(runId) ?? new Map<string, string>();
      // a run only this machine has: its kfup was stopped before the first upload landed
      const sync = files.size ? compareJournals(this.dir, runId, files.get('journal.ndjson')) : { state: 'local-ahead', lines: 0 };
      if (sync.state === 'local-ahead' && !runningHere(this.dir, runId)) {
        behind.push(runId);
        notice?.(
          files.size
            ? `kfup: run ${runId}: ${this.where} lacked the last ${sync.lines} journal line(s) this machine wrote (its kfup was stopped before uploading them); uploading them`
            : `kfup: run ${runId} was never uploaded to ${this.where} (its kfup was stopped first); uploading it`,
        );
        continue;
      }
      if (sync.state === 'diverged') {
        // another machine resumed the run from what the bucket had: the bucket's record is the run's
        const aside = join(this.dir, 'runs', runId, `journal.ndjson.unsynced-${Date.now()}`);
        writeFileAtomic(aside, readFileSync(join(this.dir, 'runs', runId, 'journal.ndjson'), 'utf8'));
        notice?.(`kfup: run ${runId}: this machine's journal and the one in ${this.where} differ (the run went on elsewhere); the bucket's is kept, this machine's is in ${aside}`);
      }
      for (const [f, body] of files) {
        mkdirSync(join(this.dir, 'runs', runId), { recursive: true });
        writeFileAtomic(join(this.dir, 'runs', runId, f), body);
      }
    }
    for (const runId of behind) await this.upload(runId);
  }

  async lock(holder: Omit<LockHolder, 'pid' | 'host' | 'started'>, opts: AcquireOptions): Promise<HeldLock> {
    // machines share the bucket, not paths: the lock is per playbook and environment file name
    const key = `${this.prefix}locks/${lockKey(basename(holder.playbook), holder.env ? basename(holder.env) : undefined)}.lock`;
    const me: LockHolder = { ...holder, ...myIdentity(), started: new Date().toISOString() };
    const body = JSON.stringify(me, null, 2) + '\n';
    const what = `this playbook${holder.env ? ` with environment ${basename(holder.env)}` : ''}`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.client.send(new PutObjectCommand({ Bucket: this.cfg.bucket, Key: key, Body: body, ContentLength: Buffer.byteLength(body), IfNoneMatch: '*', ContentType: 'application/json' }));
        return { release: () => this.releaseLock(key, body) };
      } catch (e) {
        if (!(e instanceof S3ServiceException && (e.name === 'PreconditionFailed' || e.$metadata.httpStatusCode === 412))) throw this.failure(e, `taking the lock s3://${this.cfg.bucket}/${key}`);
      }
      const text = await this.get(key.slice(this.prefix.length));
      if (text === undefined) continue; // released meanwhile
      const other = parseHolder(text);
      const deadHere = other !== undefined && other.host === me.host && !holderAlive(other);
      if (opts.breakLock || deadHere) {
        opts.notice?.(
          deadHere && !opts.breakLock
            ? `kfup: taking over the lock of ${describeHolder(other)}: that process is no longer running`
            : `kfup: breaking the lock s3://${this.cfg.bucket}/${key}${other ? ` held by ${describeHolder(other)}` : ''} (--break-lock)`,
        );
        await this.client.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
        continue;
      }
      throw new UserError(other ? `${describeHolder(other)} is already running ${what} (lock s3://${this.cfg.bucket}/${key})` : `the lock s3://${this.cfg.bucket}/${key} on ${what} cannot be read`, {
        hint: `wait for it to finish; if you are sure it is gone, pass --break-lock`,
      });
    }
    throw new UserError(`could not take the run lock s3://${this.cfg.bucket}/${key}: other runs keep taking it`, { hint: 'try again' });
  }

  private async releaseLock(key: string, body: string): Promise<void> {
    // only our own lock: one broken with --break-lock may now be another run's
    const now = await this.get(key.slice(this.prefix.length)).catch(() => undefined);
    if (now === body) await this.client.send(new DeleteObjectCommand({ Bucket: this.cfg.bucket, Key: key }));
  }

  /** uploads the run's files; calls while an upload is going on coalesce into one more upload */
  push(runId: string): Promise<void> {
    const going = this.uploads.get(runId);
    if (going) {
      if (!this.pending.has(runId)) {
        this.pending.add(runId);
        const next = going.then(() => {
          this.pending.delete(runId);
          return this.upload(runId);
        });
        this.uploads.set(runId, next);
        return next;
      }
      return this.uploads.get(runId)!;
    }
    const p = this.upload(runId).finally(() => {
      if (this.uploads.get(runId) === p) this.uploads.delete(runId);
    });
    this.uploads.set(runId, p);
    return p;
  }

  private async upload(runId: string): Promise<void> {
    for (const f of RUN_FILES) {
      const file = join(this.dir, 'runs', runId, f);
      if (!existsSync(file)) continue;
      try {
        // the length given: without it the SDK warns on stderr of "a Stream of unknown length"
        const body = readFileSync(file, 'utf8');
        await this.client.send(new PutObjectCommand({ Bucket: this.cfg.bucket, Key: `${this.prefix}runs/${runId}/${f}`, Body: body, ContentLength: Buffer.byteLength(body) }));
      } catch (e) {
        throw this.failure(e, `storing run ${runId} in ${this.where}`);
      }
    }
  }
}
