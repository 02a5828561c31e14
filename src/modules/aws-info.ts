// aws-info: one read-only AWS API call (Describe*, List*, Get*), its response as outputs. Like
// k8s-info it never changes anything, so preflight checks ("the backup vault exists") work in
// check mode too. Secret values are not readable through it.
import { UserError, didYouMean } from '../runner/errors.js';
import { loadTaskSchema } from '../runner/load/package-root.js';
import type { TaskModule } from '../runner/types.js';

interface AwsInfoParams {
  service: keyof typeof CLIENTS;
  operation: string;
  input?: Record<string, unknown>;
  region?: string;
  allow_missing?: boolean;
}

// the SDK package of each service; loaded only when a task uses it
const CLIENTS = {
  backup: () => import('@aws-sdk/client-backup'),
  ec2: () => import('@aws-sdk/client-ec2'),
  efs: () => import('@aws-sdk/client-efs'),
  eks: () => import('@aws-sdk/client-eks'),
  elbv2: () => import('@aws-sdk/client-elastic-load-balancing-v2'),
  iam: () => import('@aws-sdk/client-iam'),
  route53: () => import('@aws-sdk/client-route-53'),
  sagemaker: () => import('@aws-sdk/client-sagemaker'),
  sts: () => import('@aws-sdk/client-sts'),
} as const;

// operations that return secret material are refused even though they are reads
const REFUSED = new Set(['GetSecretValue', 'GetPasswordData', 'GetSessionToken', 'GetFederationToken', 'GetAccessKeyLastUsed']);

const NOT_FOUND = /NotFound|NoSuch|DoesNotExist|ResourceNotFound|ValidationException/;

type Ctor = new (input: unknown) => unknown;

const awsInfo: TaskModule<AwsInfoParams> = {
  name: 'aws-info',
  schema: loadTaskSchema('aws-info'),
  describe: (p) => [`call ${p.service} ${p.operation} ${JSON.stringify(p.input ?? {})}`],
  async check(p, ctx) {
    if (REFUSED.has(p.operation)) throw new UserError(`${p.operation} returns secret material and is not available through aws-info`);
    const mod = (await CLIENTS[p.service]()) as unknown as Record<string, unknown>;
    const clientName = Object.keys(mod).find((k) => k.endsWith('Client') && !k.startsWith('__') && typeof mod[k] === 'function');
    const Command = mod[`${p.operation}Command`] as Ctor | undefined;
    if (!Command || !clientName) {
      const ops = Object.keys(mod)
        .filter((k) => k.endsWith('Command') && /^(Describe|List|Get)/.test(k))
        .map((k) => k.replace(/Command$/, ''));
      throw new UserError(`${p.service} has no operation ${p.operation}`, { hint: didYouMean(p.operation, ops) ?? `read-only operations: ${ops.slice(0, 12).join(', ')}...` });
    }
    const client = ctx.aws(mod[clientName] as new (c: unknown) => { send: (c: unknown) => Promise<unknown> }, p.region ? { region: p.region } : undefined);
    try {
      const out = (await client.send(new Command(p.input ?? {}))) as Record<string, unknown>;
      const { $metadata: _m, ...response } = out;
      return { changes: [], outputs: { exists: true, ...response } };
    } catch (e) {
      const name = (e as { name?: string }).name ?? '';
      if (p.allow_missing && NOT_FOUND.test(name)) return { changes: [], outputs: { exists: false }, notes: [`${p.operation}: ${name}`] };
      throw new Error(`${p.service} ${p.operation} failed: ${name ? `${name}: ` : ''}${(e as Error).message}`);
    }
  },
  async apply() {
    return {};
  },
};

export default awsInfo;
