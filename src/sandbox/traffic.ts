// Shared by the sandbox's AWS endpoint and its Kubernetes API servers: the request log that
// tests read (to prove check mode never wrote), per-request latency, and fault injection that
// is deterministic for a given seed.

export type TrafficTarget = 'aws' | 'blue' | 'green' | 'third';

export interface RequestRecord {
  seq: number;
  time: number;
  target: TrafficTarget;
  /** AWS service (e.g. "backup", "iam") or Kubernetes API group ("core" for the legacy group) */
  service: string;
  /** AWS operation (e.g. "StartBackupJob") or Kubernetes verb (get, list, watch, create, update, patch, delete) */
  operation: string;
  method: string;
  path: string;
  mutating: boolean;
  status?: number;
  /** the fault injected into this request, if any */
  fault?: TransportFault;
}

/** Faults at the transport level: answered instead of the real response. */
export type TransportFault =
  | 'throttle' // AWS: 400 ThrottlingException (or 429 for REST services); Kubernetes: 429 with Retry-After
  | 'error500'
  | 'error503'
  | 'drop' // the connection is destroyed without a response
  | 'conflict'; // Kubernetes only: 409 on a write

export interface FaultRule {
  fault: TransportFault;
  /** which side: 'aws', 'kube' (both clusters), 'blue', 'green' or 'third'; default all that can take this fault */
  target?: TrafficTarget | 'kube';
  service?: string;
  operation?: string;
  /** only mutating requests (default false; 'conflict' implies true) */
  mutatingOnly?: boolean;
  /** probability per matching request, 0..1 (default 1) */
  rate?: number;
  /** at most this many injections (default unlimited) */
  times?: number;
}

/** Faults in the emulated behaviour, not the transport. */
export interface ScenarioFaults {
  /** AWS Backup jobs of one of these resource types (EFS, RDS, FSx, S3, any case) or whose resource ARN contains one of these strings end FAILED ('*' = all) */
  failBackupJobs?: string[];
  /** Velero backups whose name matches one of these end PartiallyFailed ('*' = all) */
  partialVeleroBackups?: string[];
  /** Route 53 changes stay PENDING this long (ms) */
  slowDnsMs?: number;
}

export interface TrafficOptions {
  latencyMs?: number;
  faults?: FaultRule[];
  seed?: number;
}

/** mulberry32: a tiny seeded PRNG so that a fault run can be replayed exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RequestLog {
  readonly entries: RequestRecord[] = [];
  private seq = 0;

  add(rec: Omit<RequestRecord, 'seq' | 'time'>): RequestRecord {
    const full = { ...rec, seq: ++this.seq, time: Date.now() };
    this.entries.push(full);
    return full;
  }

  mutating(): RequestRecord[] {
    return this.entries.filter((e) => e.mutating);
  }

  count(pred: (r: RequestRecord) => boolean): number {
    return this.entries.reduce((n, r) => n + (pred(r) ? 1 : 0), 0);
  }

  /** entries since a mark, for "what did this step send" assertions */
  mark(): number {
    return this.seq;
  }

  since(mark: number): RequestRecord[] {
    return this.entries.filter((e) => e.seq > mark);
  }

  clear(): void {
    this.entries.length = 0;
  }

  /** one line per target/service/operation with counts, mutating ones flagged */
  summary(entries: RequestRecord[] = this.entries): string {
    const counts = new Map<string, number>();
    for (const e of entries) {
      const key = `${e.target.padEnd(5)} ${e.service} ${e.operation}${e.mutating ? ' (mutating)' : ''}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const lines = [...counts.entries()].sort().map(([k, n]) => `${String(n).padStart(6)}  ${k}`);
    const mut = entries.filter((e) => e.mutating).length;
    lines.push(`${String(entries.length).padStart(6)}  requests, ${mut} mutating`);
    return lines.join('\n');
  }
}

export class Traffic {
  readonly log = new RequestLog();
  latencyMs: number;
  faults: FaultRule[];
  scenario: ScenarioFaults = {};
  private random: () => number;
  private used = new Map<FaultRule, number>();

  constructor(opts: TrafficOptions = {}) {
    this.latencyMs = opts.latencyMs ?? 0;
    this.faults = opts.faults ?? [];
    this.random = prng(opts.seed ?? 1);
  }

  setFaults(rules: FaultRule[], seed?: number): void {
    this.faults = rules;
    this.used.clear();
    if (seed !== undefined) this.random = prng(seed);
  }

  /** decide whether this request gets a fault; call once per request before serving it */
  pickFault(target: TrafficTarget, service: string, operation: string, mutating: boolean): TransportFault | undefined {
    for (const rule of this.faults) {
      if (rule.target) {
        if (rule.target === 'kube' ? target === 'aws' : rule.target !== target) continue;
      }
      if (rule.fault === 'conflict' && (target === 'aws' || !mutating)) continue;
      if (rule.mutatingOnly && !mutating) continue;
      if (rule.service && rule.service !== service) continue;
      if (rule.operation && rule.operation !== operation) continue;
      const used = this.used.get(rule) ?? 0;
      if (rule.times !== undefined && used >= rule.times) continue;
      if (this.random() < (rule.rate ?? 1)) {
        this.used.set(rule, used + 1);
        return rule.fault;
      }
    }
    return undefined;
  }

  async delay(): Promise<void> {
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
  }
}

/**
 * Parses the `--faults` spec of `kfup sandbox up`: comma-separated items
 *   throttle:0.1  error500:0.05  error503:0.05  drop:0.02  conflict:0.1   (transport faults with a rate)
 *   aws/throttle:0.2  kube/conflict:0.1  green/error503:1                  (restricted to a side)
 *   backup-fail:<efs|rds|fsx|s3|arn-part|*>  velero-partial:<backup-name|*>  dns-slow:<ms> (scenario faults)
 */
export function parseFaultSpec(spec: string): { rules: FaultRule[]; scenario: ScenarioFaults } {
  const rules: FaultRule[] = [];
  const scenario: ScenarioFaults = {};
  const transport = new Set(['throttle', 'error500', 'error503', 'drop', 'conflict']);
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [head, arg = ''] = raw.split(/:(.*)/s);
    const [maybeTarget, maybeFault] = head.includes('/') ? head.split('/') : [undefined, head];
    if (maybeFault === 'backup-fail') {
      (scenario.failBackupJobs ??= []).push(arg || '*');
    } else if (maybeFault === 'velero-partial') {
      (scenario.partialVeleroBackups ??= []).push(arg || '*');
    } else if (maybeFault === 'dns-slow') {
      const ms = Number(arg || 5000);
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`fault "${raw}": dns-slow takes a delay in milliseconds`);
      scenario.slowDnsMs = ms;
    } else if (transport.has(maybeFault)) {
      const rate = arg === '' ? 1 : Number(arg);
      if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw new Error(`fault "${raw}": the rate must be a number from 0 to 1`);
      if (maybeTarget && !['aws', 'kube', 'blue', 'green', 'third'].includes(maybeTarget)) {
        throw new Error(`fault "${raw}": the side must be aws, kube, blue, green or third`);
      }
      rules.push({ fault: maybeFault as TransportFault, rate, target: maybeTarget as FaultRule['target'] });
    } else {
      throw new Error(
        `unknown fault "${raw}": use throttle, error500, error503, drop, conflict (with an optional rate and side), backup-fail, velero-partial or dns-slow`,
      );
    }
  }
  return { rules, scenario };
}
