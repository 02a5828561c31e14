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
  /** lines shown with --diff as they are, in place of a diff of before/after: a tool's own rendering of the change (`terraform plan`'s text) */
  detail?: string[];
  /** how many of this change there will be is known only once an earlier task has applied (why, for the report) */
  countAfterApply?: string;
}

/** outputs as a plan knows them: each one either known or `Unknown` (known after apply) */
export type Known<O> = { [K in keyof O]: O[K] | Unknown };

export interface Plan<O extends object = Outputs, D = unknown> {
  changes: Change[];
  /** outputs known already; the ones only known after apply are `new Unknown()` */
  outputs: Partial<Known<O>>;
  /** informational lines for the report (e.g. "latest recovery point is 3h old") */
  notes?: string[];
  /** set when the task decides, after looking, that it does not apply here (reason shown as skipped) */
  skip?: string;
  /** task-private data computed in check and consumed by apply; never shown to the user */
  data?: D;
}

/** What the runner keeps of an applied task, given back to `revert`. */
export interface Applied<P = unknown, O extends object = Outputs, R extends object = Record<string, unknown>> {
  runId: string;
  task: string;
  module: string;
  params: P;
  plan: Plan<O>;
  outputs: O;
  /** everything the task stored through ctx.persist (what it replaced, job ids, ...) */
  persisted: Partial<R>;
}

/** what reverting one applied task would change; `data` is private to the task type */
export interface RevertPlan<D = unknown> {
  changes: Change[];
  notes?: string[];
  data?: D;
}

/**
 * The contract between the runner and a task type, as `defineTask` (src/modules/kit) builds it.
 * P: the parameters (generated from the schema); O: the declared outputs; D: the plan's private
 * data; R: what the task persists in the journal; RD: the revert plan's private data.
 * Methods (not function properties), so that a task type with concrete types is usable where the
 * runner holds task types of any parameters.
 */
export interface TaskType<P = unknown, O extends object = Outputs, D = unknown, R extends object = Record<string, unknown>, RD = unknown> {
  /** the YAML key, e.g. 'velero-backup' */
  readonly name: string;
  /** schemas/tasks/<name>.schema.json: parameters, docs, examples and declared outputs */
  readonly schema: JSONSchema;
  /** message templates by id, `{{name}}` placeholders filled from data (ESLint's messages) */
  readonly messages: Readonly<Record<string, string>>;
  /** dry-run: what it would do with these parameters; pure, no I/O */
  describe(params: P): string[];
  /** read live state, compute changes; read-only (the context enforces it) */
  check(params: P, ctx: TaskContext<R>): Promise<Plan<O, D>>;
  /** execute exactly plan.changes; returns the outputs known only now */
  apply(params: P, ctx: TaskContext<R>, plan: Plan<O, D>): Promise<Partial<O>>;
  /** undo from what apply recorded: check is read-only (guarded as check mode), apply does exactly its plan */
  readonly revert?: {
    check(record: Applied<P, O, R>, ctx: TaskContext<R>): Promise<RevertPlan<RD>>;
    apply(record: Applied<P, O, R>, ctx: TaskContext<R>, plan: RevertPlan<RD>): Promise<void>;
  };
}

/** the task types a run may use: handed to the runner by its caller (the CLI, the demo, a test) */
export interface TaskRegistry {
  /** every task type's YAML key */
  names(): string[];
  /** a task type's schema without loading its code (validate stays fast) */
  schema(name: string): JSONSchema;
  /** the task type itself, loaded on first use */
  load(name: string): Promise<TaskType>;
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
  /** a kubeconfig file, or "in-cluster"; default $KUBECONFIG (merged as kubectl does) or ~/.kube/config */
  kubeconfig?: string;
  context?: string;
  /** client-side request rate to this cluster (requests per second; 0: no limit) and burst */
  qps?: number;
  burst?: number;
}

export interface Targets {
  aws?: AwsTarget;
  clusters?: Record<string, ClusterTarget>;
}

/** the context a task type sees: persist and recall typed by what the task type records (R) */
export type TaskContext<R extends object = Record<string, unknown>> = Omit<Context, 'persist' | 'recall'> & {
  persist<K extends keyof R & string>(key: K, value: R[K]): void;
  recall<K extends keyof R & string>(key: K): R[K] | undefined;
};

/** the configuration kfup gives an AWS SDK v3 client's constructor */
export interface AwsClientConfig {
  region?: string;
  profile?: string;
  maxAttempts?: number;
}

/** any AWS SDK v3 client: something with send() (its commands' types come from the client itself) */
export interface AwsSdkClient {
  send(...args: never[]): unknown;
}

export interface Context {
  mode: Mode;
  diff: boolean;
  run: { id: string; started: string; playbookDir: string; workDir: string };
  task: { name: string; file?: string; line?: number; /** the parameters as written, before rendering */ raw?: unknown };
  targets: Targets;
  /** an AWS SDK v3 client with region/profile from targets; guarded in check mode, refused in dry-run */
  aws<C extends AwsSdkClient>(ClientClass: new (config: AwsClientConfig) => C, overrides?: { region?: string }): C;
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
  /**
   * check mode: the names of the earlier tasks of this check that plan changes on this cluster (by
   * their cluster parameters), of these actions when given (a task whose changes are themselves
   * known only after apply counts whatever they are). What a task reads there now may differ once
   * they have applied, so what it plans from that is known only after apply. Empty in a run: they
   * have applied by then.
   */
  pendingOn(cluster: string, actions?: Change['action'][]): string[];
}
