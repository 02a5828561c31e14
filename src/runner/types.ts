// The module contract from the design brief, and the context the runner hands to modules.
// Nothing here imports the AWS SDK or client-node at run time: type-only imports keep
// `kfup validate` fast.
import type { KubeConfig, CoreV1Api, AppsV1Api, CustomObjectsApi, KubernetesObjectApi, NetworkingV1Api, Watch, setHeaderOptions } from '@kubernetes/client-node';

type ConfigurationOptions = ReturnType<typeof setHeaderOptions>;

export type Mode = 'dry-run' | 'check' | 'run';

export type JSONSchema = Record<string, unknown>;

export type Outputs = Record<string, unknown>;

/**
 * A value that only exists after apply (a backup job id, a new cluster's OIDC URL).
 * In check and dry-run it stands in for the real value; templates render it as
 * "(known after apply)" and tasks whose parameters need it report that instead of failing.
 */
export class Unknown {
  readonly kind = 'unknown' as const;
  constructor(readonly origin: string = '') {}
  toString(): string {
    return '(known after apply)';
  }
  toJSON(): string {
    return '(known after apply)';
  }
}

export const isUnknown = (v: unknown): v is Unknown => v instanceof Unknown;

export interface Change {
  action: 'create' | 'update' | 'delete' | 'run';
  /** what is changed, e.g. "iam role kubeflow-user-role" or "velero/backups/kf-upgrade-1" */
  target: string;
  summary: string;
  before?: unknown;
  after?: unknown;
}

export interface Plan {
  changes: Change[];
  /** outputs known already; the ones only known after apply are `new Unknown()` */
  outputs: Outputs;
  /** informational lines for the report (e.g. "latest recovery point is 3h old") */
  notes?: string[];
  /** set when the task decides, after looking, that it does not apply here (reason shown as skipped) */
  skip?: string;
  /** module-private data computed in check and consumed by apply; never shown to the user */
  data?: unknown;
}

/** What the runner keeps of an applied task, given back to `revert`. */
export interface Applied {
  runId: string;
  task: string;
  module: string;
  params: unknown;
  plan: Plan;
  outputs: Outputs;
  /** everything the task stored through ctx.persist (what it replaced, job ids, ...) */
  persisted: Record<string, unknown>;
}

export interface TaskModule<P = any> {
  /** the YAML key, e.g. 'velero-backup' */
  name: string;
  /** loaded from schemas/tasks/<name>.schema.json */
  schema: JSONSchema;
  /** dry-run: what it would do with these parameters; pure, no I/O */
  describe(params: P): string[];
  /** read live state, compute changes; read-only (the context enforces it) */
  check(params: P, ctx: Context): Promise<Plan>;
  /** execute exactly plan.changes */
  apply(params: P, ctx: Context, plan: Plan): Promise<Outputs>;
  /**
   * Undo from what apply recorded. Computes the changes first; when ctx.mode is not 'run'
   * it returns them without writing (the guard would refuse a write anyway).
   */
  revert?(record: Applied, ctx: Context): Promise<Change[]>;
}

export interface KubeClients {
  /** the guarded KubeConfig: every API client made from it goes through the check-mode guard */
  config: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
  watch: Watch;
  networking: NetworkingV1Api;
  /** request options for patches: client-node sends JSON patch unless told otherwise */
  patchAs: { merge: ConfigurationOptions; strategicMerge: ConfigurationOptions };
  /** the context name used, for messages */
  context: string;
}

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** declared read-only: allowed in check mode (e.g. `terraform plan`) */
  readOnly?: boolean;
  /** receives output lines as they arrive */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** signal sent to the child on ctx.signal abort; default SIGINT, then SIGTERM after killGraceMs */
  killGraceMs?: number;
  reject?: boolean;
  input?: string;
  /** keep the output out of the task's log (it may hold secrets or be bulky, e.g. JSON plans) */
  quiet?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface AwsTarget {
  region?: string;
  profile?: string;
}

export interface ClusterTarget {
  kubeconfig?: string;
  context?: string;
}

export interface Targets {
  aws?: AwsTarget;
  clusters?: Record<string, ClusterTarget>;
}

export interface Context {
  mode: Mode;
  diff: boolean;
  run: { id: string; started: string; playbookDir: string; workDir: string };
  task: { name: string; file?: string; line?: number; /** the parameters as written, before rendering */ raw?: unknown };
  targets: Targets;
  /** an AWS SDK v3 client with region/profile from targets; guarded in check mode, refused in dry-run */
  aws<C extends { send: (...a: any[]) => any }>(ClientClass: new (config: any) => C, overrides?: { region?: string }): C;
  /** @kubernetes/client-node clients for a named cluster of targets.clusters */
  kube(cluster: string): KubeClients;
  /** run a subprocess (argument array, never a shell); refused in dry-run, and in check unless readOnly */
  exec(file: string, args: string[], options?: ExecOptions): Promise<ExecResult>;
  log(message: string): void;
  progress(message: string): void;
  signal: AbortSignal;
  /** marks a value secret: it is redacted from every log line, diff, journal entry and error; returns it unchanged */
  secret<T extends string>(value: T): T;
  /** store a value in the run journal for this task right away (survives a kill; read back on resume and by revert) */
  persist(key: string, value: unknown): void;
  /** read a value this task persisted in an earlier, interrupted attempt of the same run */
  recall<T = unknown>(key: string): T | undefined;
  /**
   * an approval gate: asks on a terminal; without one, true only when --yes was given, else throws.
   * Refused in check and dry-run (modules report what they would ask instead).
   */
  confirm(question: string): Promise<boolean>;
  /**
   * write a local file atomically (temp file + rename); an existing file is first kept as FILE.bak
   * (returned). Refused in check and dry-run, like every other write.
   */
  writeFile(path: string, content: string, options?: { backup?: boolean; mode?: number }): string | undefined;
  /** resolve a path relative to the playbook's directory */
  resolvePath(p: string): string;
}
