// The context handed to modules, and the one place that makes check mode read-only and dry-run
// offline. Modules get their AWS, Kubernetes and subprocess access only through here:
//  - dry-run: no client and no subprocess at all;
//  - check:   AWS commands other than Describe*/List*/Get* are refused, Kubernetes requests other
//             than GET are refused, subprocesses not declared read-only are refused.
// The SDK and client-node are imported lazily so that validate and dry-run stay fast.
import { credentialsError, isCredentialsError } from '../aws-credentials.js';
import { ownKey } from './cluster-params.js';
import type { ChildRegistry } from './children.js';
import { isAbsolute, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { MissingProgramError, UserError } from '../errors.js';
import { replaceWithBackup, writeFileAtomic } from '../state/fs-atomic.js';
import type { Redactor } from './redact.js';
import { kubeconfigSource, loadKubeconfig } from './kubeconfig.js';
import { DEFAULT_BURST, DEFAULT_QPS, RateLimiter } from './kube-rate.js';
import type { AwsClientConfig, AwsSdkClient, Change, Context, ExecOptions, ExecResult, KubeClients, Mode, Targets } from '../types.js';


// client-node is an ES module, so it can only be imported asynchronously: a run that has clusters
// loads it once, up front, and ctx.kube() then finds it ready. Everything that needs its classes
// at run time takes them from here (kubeLibrary()), so there is one copy of it in the process,
// the one in the CLI's bundle.
type KubeLibrary = typeof import('./kube-library.js');
let k8sLibrary: KubeLibrary | undefined;
export async function loadKubeLibrary(): Promise<KubeLibrary> {
  return (k8sLibrary ??= await import('./kube-library.js'));
}

/** the loaded client-node library; the runner loads it before any task of a run with clusters */
export function kubeLibrary(): KubeLibrary {
  if (!k8sLibrary) throw new Error('internal error: the Kubernetes client library was used before loadKubeLibrary() finished');
  return k8sLibrary;
}

/** a module tried to do what its mode forbids; never caught by retries */
export class GuardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuardError';
  }
}

export const READ_ONLY_AWS = /^(Describe|List|Get)[A-Z]/;

export interface RunServices {
  mode: Mode;
  diff: boolean;
  yes: boolean;
  run: { id: string; started: string; playbookDir: string; workDir: string };
  targets: Targets;
  redactor: Redactor;
  /** shared caches for the run: one client per class and region, one KubeConfig per cluster */
  awsClients: Map<string, unknown>;
  kubeClients: Map<string, KubeClients>;
  /** keep-alive agents, closed at the end of the run */
  agents: { destroy(): void }[];
  /** the same run seen read-only (a revert's check in a run): its own guarded clients */
  readOnly?: RunServices;
  /** where the programs the run starts are recorded while they run (see children.ts) */
  children?: ChildRegistry;
  /**
   * check mode only: the tasks checked so far that plan changes (or changes known only after
   * apply), with the clusters their parameters name. A later task reading one of those clusters
   * reads it as it is before they apply.
   */
  pending?: { task: string; clusters: string[]; actions: Change['action'][] | 'unknown' }[];
}

/** the run's services as check mode has them: every client guarded, whatever the run's mode */
export function readOnlyServices(svc: RunServices): RunServices {
  if (svc.mode !== 'run') return svc;
  return (svc.readOnly ??= { ...svc, mode: 'check', awsClients: new Map(), kubeClients: new Map(), agents: svc.agents, readOnly: undefined });
}

export interface TaskHooks {
  log(message: string): void;
  progress(message: string): void;
  persist(key: string, value: unknown): void;
  recall(key: string): unknown;
}

export function createServices(opts: Omit<RunServices, 'awsClients' | 'kubeClients' | 'agents'>): RunServices {
  return { ...opts, awsClients: new Map(), kubeClients: new Map(), agents: [] };
}

function refuseOffline(what: string): never {
  throw new GuardError(`dry-run makes no network calls or subprocesses: refused ${what}`);
}

type SdkCommand = { constructor: { name: string }; input?: unknown };
type SdkClient = {
  send(cmd: SdkCommand, opts?: Record<string, unknown>): Promise<unknown>;
  destroy?(): void;
  middlewareStack: { add(mw: unknown, opts: Record<string, unknown>): void };
};

/**
 * A network failure (a dropped connection, a refused one, a timeout) says only "socket hang up":
 * the error is given the service and operation it happened in. The same error object is kept, so
 * its name, code and the SDK's retry marks stay as they were.
 */
function nameOperation(e: unknown, service: string, op: string): unknown {
  if (!(e instanceof Error)) return e;
  const meta = (e as { $metadata?: { httpStatusCode?: number } }).$metadata;
  // a service's own answer (it has an HTTP status) already names what went wrong
  if (meta?.httpStatusCode) return e;
  const prefix = `AWS ${service} ${op}: `;
  if (!e.message.startsWith(prefix)) {
    try {
      e.message = prefix + e.message;
    } catch {
      return e;
    }
  }
  return e;
}

function makeAws(svc: RunServices, ClientClass: new (config: AwsClientConfig) => SdkClient, region: string | undefined): SdkClient {
  const key = `${ClientClass.name}|${region ?? ''}`;
  let client = svc.awsClients.get(key) as SdkClient | undefined;
  if (!client) {
    const config: AwsClientConfig = {};
    if (region) config.region = region;
    if (svc.targets.aws?.profile) config.profile = svc.targets.aws.profile;
    // transient throttling and 5xx are retried by the SDK's standard mode; a little more patience than its default
    if (!process.env.AWS_MAX_ATTEMPTS) config.maxAttempts = 6;
    client = new ClientClass(config);
    if (svc.mode === 'check') {
      client.middlewareStack.add(
        (next: (a: unknown) => Promise<unknown>, context: { commandName?: string; clientName?: string }) => async (args: unknown) => {
          const op = (context.commandName ?? '').replace(/Command$/, '');
          if (!READ_ONLY_AWS.test(op)) throw new GuardError(`check mode is read-only: refused AWS ${context.clientName ?? ''} ${op}`.replace('  ', ' '));
          return next(args);
        },
        { step: 'initialize', name: 'kfupCheckModeGuard', priority: 'high', override: true },
      );
    }
    svc.awsClients.set(key, client);
  }
  const real = client;
  // The facade is an instance of the client's class (its prototype is the class's prototype,
  // not the client), so the SDK's paginators, which check `client instanceof XClient` and then
  // call send, accept it; but it holds nothing of the client: no middleware stack to take the
  // guard out of, no config. Its send() refuses writes in check mode, and the middleware guard
  // above stands behind it. destroy() is a no-op: clients are shared for the run and the runner
  // destroys them at its end.
  const send = (cmd: SdkCommand, opts: Record<string, unknown> = {}) => {
    // StartBackupJobCommand -> StartBackupJob (a bundler that renames a clashing class appends digits)
    const op = cmd.constructor.name.replace(/\d+$/, '').replace(/Command$/, '');
    if (svc.mode === 'check' && !READ_ONLY_AWS.test(op)) {
      return Promise.reject(new GuardError(`check mode is read-only: refused AWS ${op}`));
    }
    // a request in flight is let finish (a write cut off half-way leaves its outcome unknown);
    // Ctrl-C and timeouts stop the task at its next wait instead. Reads may pass abortSignal.
    return real.send(cmd, opts).catch((e: unknown) => {
      const service = ClientClass.name.replace(/\d+$/, '').replace(/Client$/, '');
      // no credentials: every AWS request of the run would fail the same way, and retrying cannot help
      if (isCredentialsError(e)) throw credentialsError(e, `AWS ${service} ${op}`, svc.targets.aws?.profile);
      throw nameOperation(e, service, op);
    });
  };
  // Object.create is typed any: what it makes is an empty instance of the client's class with two methods
  return Object.create(Object.getPrototypeOf(real) as object, {
    send: { value: send },
    destroy: { value: () => undefined },
  }) as SdkClient;
}

function makeKube(svc: RunServices, cluster: string): KubeClients {
  const cached = svc.kubeClients.get(cluster);
  if (cached) return cached;
  // own keys only: `constructor` or `__proto__` is never a cluster
  const target = ownKey(svc.targets.clusters, cluster) ? svc.targets.clusters![cluster] : undefined;
  if (!target) {
    const known = Object.keys(svc.targets.clusters ?? {});
    throw new UserError(`unknown cluster "${cluster}"`, { hint: known.length ? `targets.clusters has: ${known.join(', ')}` : 'add it under targets.clusters with its kubeconfig and context' });
  }
  const k8s = kubeLibrary();
  const checkMode = svc.mode === 'check';
  const rate = new RateLimiter(target.qps ?? DEFAULT_QPS, target.burst ?? DEFAULT_BURST);

  // Every API client made from this KubeConfig authenticates each request through it, and Watch
  // builds its fetch options through it: the one place to refuse writes in check mode, and to
  // hold requests to the cluster's client-side rate.
  class GuardedKubeConfig extends k8s.KubeConfig {
    private inFetch = false;
    override async applySecurityAuthentication(context: Parameters<InstanceType<typeof k8s.KubeConfig>['applySecurityAuthentication']>[0]): Promise<void> {
      const method = String(context.getHttpMethod()).toUpperCase();
      if (checkMode && method !== 'GET') throw new GuardError(`check mode is read-only: refused Kubernetes ${method} ${context.getUrl()} on ${cluster}`);
      await rate.take();
      return super.applySecurityAuthentication(context);
    }
    override async applyToFetchOptions(opts: Parameters<InstanceType<typeof k8s.KubeConfig>['applyToFetchOptions']>[0]) {
      const method = String((opts as { method?: string }).method ?? 'GET').toUpperCase();
      if (checkMode && method !== 'GET') throw new GuardError(`check mode is read-only: refused Kubernetes ${method} on ${cluster}`);
      await rate.take();
      this.inFetch = true;
      try {
        return await super.applyToFetchOptions(opts);
      } finally {
        this.inFetch = false;
      }
    }
    override async applyToHTTPSOptions(opts: Parameters<InstanceType<typeof k8s.KubeConfig>['applyToHTTPSOptions']>[0]) {
      // reached directly only by websocket exec/attach/port-forward, which can change a cluster
      if (checkMode && !this.inFetch) throw new GuardError(`check mode is read-only: refused a Kubernetes websocket connection on ${cluster}`);
      return super.applyToHTTPSOptions(opts);
    }
  }

  const kc = new GuardedKubeConfig();
  // client-node makes a new agent (so a new connection, and on a real cluster a new TLS
  // handshake) for every request; one keep-alive agent per cluster for the run is much cheaper
  // (createAgent is private in client-node's typings, a plain method at run time)
  type AgentMaker = { createAgent(cluster: unknown, options: Record<string, unknown>): { destroy(): void } };
  const maker = kc as unknown as AgentMaker;
  const createAgent = maker.createAgent.bind(kc);
  let agent: { destroy(): void } | undefined;
  maker.createAgent = (c, options) => {
    if (!agent) {
      agent = createAgent(c, { ...options, keepAlive: true, maxSockets: 64 });
      svc.agents.push(agent);
    }
    return agent;
  };
  const source = kubeconfigSource(target.kubeconfig, svc.run.playbookDir);
  const file = source.label;
  try {
    loadKubeconfig(kc, source, () => new k8s.KubeConfig());
  } catch (e) {
    throw new UserError(`cannot load the kubeconfig for cluster "${cluster}" from ${file}: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'set targets.clusters.' + cluster + '.kubeconfig (a file, or "in-cluster" inside a Pod), or KUBECONFIG',
    });
  }
  // in a Pod, the one context is the service account's: a context name from elsewhere is ignored
  if (target.context && !('inCluster' in source)) {
    if (!kc.getContexts().some((c) => c.name === target.context)) {
      throw new UserError(`context "${target.context}" for cluster "${cluster}" is not in ${file}`, {
        hint: `contexts there: ${kc.getContexts().map((c) => c.name).join(', ') || '(none)'}`,
      });
    }
    kc.setCurrentContext(target.context);
  }
  const clients: KubeClients = {
    config: kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    objects: k8s.KubernetesObjectApi.makeApiClient(kc),
    watch: new k8s.Watch(kc),
    networking: kc.makeApiClient(k8s.NetworkingV1Api),
    patchAs: {
      merge: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      strategicMerge: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    },
    context: kc.getCurrentContext(),
  };
  svc.kubeClients.set(cluster, clients);
  return clients;
}

async function runExec(svc: RunServices, file: string, args: string[], opts: ExecOptions, signal: AbortSignal, log: (l: string) => void): Promise<ExecResult> {
  if (svc.mode === 'dry-run') refuseOffline(`running ${file}`);
  if (svc.mode === 'check' && !opts.readOnly) throw new GuardError(`check mode is read-only: refused running ${file} ${args.join(' ')} (not declared read-only)`);
  if (!Array.isArray(args)) throw new GuardError('ctx.exec takes an argument array, never a shell string');
  const { execa } = await import('execa');
  const child = execa(file, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: true,
    reject: false,
    input: opts.input,
    cancelSignal: signal,
    // Terraform and friends clean up (release state locks) on SIGINT; force only after a grace period
    killSignal: 'SIGINT',
    forceKillAfterDelay: opts.killGraceMs ?? 60_000,
    stripFinalNewline: true,
    // its own process group: a timeout or an interrupt stops the whole tree (a grandchild that
    // keeps stdout open would otherwise hold the task past its timeout), see killGroup below
    detached: true,
  });
  const forget = child.pid !== undefined ? svc.children?.add(child.pid, file, args) : undefined;
  const killGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // the group has ended
    }
  };
  let force: NodeJS.Timeout | undefined;
  const onAbort = () => {
    killGroup('SIGINT');
    force = setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs ?? 60_000);
    force.unref();
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const split = (stream: 'stdout' | 'stderr') => {
    let rest = '';
    child[stream]?.on('data', (chunk: Buffer) => {
      rest += chunk.toString();
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        opts.onLine?.(l, stream);
        if (!opts.quiet) log(l);
      }
    });
    child[stream]?.on('end', () => {
      if (rest) {
        opts.onLine?.(rest, stream);
        if (!opts.quiet) log(rest);
      }
    });
  };
  split('stdout');
  split('stderr');
  let r: Awaited<typeof child>;
  try {
    r = await child;
  } finally {
    signal.removeEventListener('abort', onAbort);
    // after an interrupt, whatever of the group is left goes with it
    if (signal.aborted) killGroup('SIGKILL');
    clearTimeout(force);
    forget?.();
  }
  if ((r as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String((r as { originalMessage?: string }).originalMessage ?? ''))) {
    throw new MissingProgramError(file);
  }
  if (r.isCanceled) throw new Error(`${file} was interrupted`);
  const result = { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (opts.reject && result.exitCode !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${result.exitCode}: ${result.stderr.split('\n').slice(-5).join('\n')}`);
  return result;
}

async function ask(svc: RunServices, question: string, log: (l: string) => void): Promise<boolean> {
  if (svc.mode !== 'run') throw new GuardError(`${svc.mode} never asks for approval: refused "${question}"`);
  if (svc.yes) {
    log(`approved by --yes: ${question}`);
    return true;
  }
  if (!process.stdin.isTTY) {
    throw new UserError(`approval needed and there is no terminal to ask: ${question}`, { hint: 'run it in a terminal, or pass --yes to approve every gate' });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [yes/no] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export function createContext(
  svc: RunServices,
  task: Context['task'],
  hooks: TaskHooks,
  signal: AbortSignal,
): Context {
  const offline = svc.mode === 'dry-run';
  return {
    mode: svc.mode,
    diff: svc.diff,
    run: svc.run,
    task,
    targets: svc.targets,
    signal,
    aws<C extends AwsSdkClient>(ClientClass: new (config: AwsClientConfig) => C, overrides?: { region?: string }): C {
      if (offline) refuseOffline(`AWS ${ClientClass.name}`);
      const region = overrides?.region ?? svc.targets.aws?.region;
      // every SDK v3 client has a middleware stack (for the check-mode guard); the task gets back an
      // instance of its own client class (makeAws' facade), so send() keeps its command types
      return makeAws(svc, ClientClass as unknown as new (config: AwsClientConfig) => SdkClient, region) as unknown as C;
    },
    kube(cluster) {
      if (offline) refuseOffline(`Kubernetes cluster ${cluster}`);
      return makeKube(svc, cluster);
    },
    exec(file, args, options = {}) {
      return runExec(svc, file, args, options, signal, (l) => hooks.log(l));
    },
    log: (m) => hooks.log(m),
    progress: (m) => hooks.progress(m),
    secret(value) {
      svc.redactor.add(value);
      return value;
    },
    persist: (k, v) => hooks.persist(k, v),
    recall: <T>(k: string) => hooks.recall(k) as T | undefined,
    confirm: (q) => ask(svc, q, (l) => hooks.log(l)),
    writeFile(path, content, options = {}) {
      if (svc.mode !== 'run') throw new GuardError(`${svc.mode} never writes files: refused writing ${path}`);
      const abs = isAbsolute(path) ? path : resolve(svc.run.playbookDir, path);
      if (options.backup === false) {
        writeFileAtomic(abs, content, options.mode);
        return undefined;
      }
      return replaceWithBackup(abs, content, options.mode);
    },
    resolvePath: (p) => (isAbsolute(p) ? p : resolve(svc.run.playbookDir, p)),
    pendingOn: (cluster, actions) =>
      [...new Set((svc.pending ?? []).filter((x) => x.clusters.includes(cluster) && (!actions || x.actions === 'unknown' || x.actions.some((a) => actions.includes(a)))).map((x) => x.task))],
  };
}

/** closes the run's clients so the process can exit promptly */
export function closeServices(svc: RunServices): void {
  if (svc.readOnly) closeServices(svc.readOnly);
  for (const c of svc.awsClients.values()) (c as { destroy?: () => void }).destroy?.();
  svc.awsClients.clear();
  svc.kubeClients.clear();
  for (const a of svc.agents) a.destroy();
  svc.agents.length = 0;
}
