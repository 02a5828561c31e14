// aws-info: one read-only AWS API call (Describe*, List*, Get*), its response as outputs. Like
// k8s-info it never changes anything, so preflight checks ("the backup vault exists") work in
// check mode too. Secret values are not readable through it.
import { awsErrorKind, awsErrorName, defineTask, didYouMean, isMissing } from './kit/index.js';
import type { AwsInfoOutputs, AwsInfoParams } from './generated/aws-info.js';

// the SDK package of each service; loaded only when a task uses it
const CLIENTS: Record<AwsInfoParams['service'], () => Promise<object>> = {
  backup: () => import('@aws-sdk/client-backup'),
  ec2: () => import('@aws-sdk/client-ec2'),
  efs: () => import('@aws-sdk/client-efs'),
  eks: () => import('@aws-sdk/client-eks'),
  elbv2: () => import('@aws-sdk/client-elastic-load-balancing-v2'),
  iam: () => import('@aws-sdk/client-iam'),
  route53: () => import('@aws-sdk/client-route-53'),
  sagemaker: () => import('@aws-sdk/client-sagemaker'),
  sts: () => import('@aws-sdk/client-sts'),
};

// operations that return secret material are refused even though they are reads
const REFUSED = new Set(['GetSecretValue', 'GetPasswordData', 'GetSessionToken', 'GetFederationToken', 'GetAccessKeyLastUsed']);

type Client = { send: (command: unknown) => Promise<Record<string, unknown>> };
type ClientClass = new (config: unknown) => Client;
type CommandClass = new (input: unknown) => unknown;

const isClass = (v: unknown): boolean => typeof v === 'function';

export default defineTask<AwsInfoParams, AwsInfoOutputs>({
  name: 'aws-info',
  messages: {
    secret: '{{operation}} returns secret material and is not available through aws-info',
    noOperation: '{{service}} has no operation {{operation}}',
    failed: '{{service}} {{operation}} failed: {{error}}',
  },
  describe: (p) => [`call ${p.service} ${p.operation} ${JSON.stringify(p.input)}`],

  async check(p, ctx) {
    if (REFUSED.has(p.operation)) throw this.error('secret', { operation: p.operation });
    const mod = (await CLIENTS[p.service]()) as Record<string, unknown>;
    const clientName = Object.keys(mod).find((k) => k.endsWith('Client') && !k.startsWith('__') && isClass(mod[k]));
    const Command = mod[`${p.operation}Command`];
    if (!clientName || !isClass(Command)) {
      const ops = Object.keys(mod)
        .filter((k) => k.endsWith('Command') && /^(Describe|List|Get)/.test(k))
        .map((k) => k.replace(/Command$/, ''));
      throw this.error('noOperation', { service: p.service, operation: p.operation }, { hint: didYouMean(p.operation, ops) ?? `read-only operations: ${ops.slice(0, 12).join(', ')}...` });
    }
    const client = ctx.aws(mod[clientName] as ClientClass, p.region ? { region: p.region } : undefined);
    try {
      const { $metadata: _m, ...response } = await client.send(new (Command as CommandClass)(p.input));
      return { changes: [], outputs: { ...response, exists: true } };
    } catch (e) {
      const name = awsErrorName(e);
      if (p.allow_missing && isMissing(e)) return { changes: [], outputs: { exists: false }, notes: [`${p.operation}: ${name}`] };
      const kind = awsErrorKind(e);
      throw this.error(
        'failed',
        { service: p.service, operation: p.operation, error: `${name ? `${name}: ` : ''}${e instanceof Error ? e.message : String(e)}` },
        { retryable: kind === 'throttled' || kind === 'unavailable', cause: e },
      );
    }
  },

  // a read: check did all of it
  apply: () => Promise.resolve({}),
});
