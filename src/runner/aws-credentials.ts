// The AWS SDK's "Could not load credentials from any providers" (a CredentialsProviderError) says
// neither what is missing nor how to supply it. kfup turns it into an error that does: most often
// the sandbox's env file was not sourced in this shell, or no profile or keys are set for AWS.
// The names of the credential sources are the SDK's default chain, as the AWS SDK for JavaScript v3
// documents it ("Setting credentials in Node.js": environment variables, the shared config and
// credentials files with AWS_PROFILE, SSO, web identity, the container and instance metadata).
import { existsSync } from 'node:fs';
import { UserError } from './errors.js';

/** the machine kfup runs on is not set up for the run (no AWS credentials): exit 2, never retried */
export class EnvironmentError extends UserError {
  readonly retryable = false;
  constructor(message: string, hint: string) {
    super(message, { hint, exitCode: 2 });
    this.name = 'EnvironmentError';
  }
}

/** whether an error is the SDK's: no credential source gave credentials (or the one named failed) */
export function isCredentialsError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  return e.name === 'CredentialsProviderError' || /Could not load credentials from any providers/.test(e.message);
}

/** the sandbox's env file where `kfup sandbox up` writes it by default, when it is there */
const SANDBOX_ENV = '.kfup/sandbox/env';

/** what is missing, and how to supply it; `what` names the request that needed credentials, `profile` is targets.aws.profile */
export function credentialsError(e: unknown, what: string, profile?: string): EnvironmentError {
  const env = process.env;
  const sdk = e instanceof Error ? e.message.split('\n')[0] : String(e);
  const has = (k: string) => Boolean(env[k]);
  const missing: string[] = [];
  if (!has('AWS_ACCESS_KEY_ID') || !has('AWS_SECRET_ACCESS_KEY')) missing.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
  if (profile) missing.push(`profile "${profile}" (targets.aws.profile) gave none`);
  else if (has('AWS_PROFILE')) missing.push(`profile "${env.AWS_PROFILE}" (AWS_PROFILE) gave none`);
  else missing.push('AWS_PROFILE is not set');
  const sandbox = existsSync(SANDBOX_ENV) ? `\`source ${SANDBOX_ENV}\`` : '`source DIR/env` (DIR: where `kfup sandbox up --dir DIR` wrote it, .kfup/sandbox by default)';
  const hint =
    `against the sandbox: ${sandbox} in this shell (it sets AWS_ENDPOINT_URL and the sandbox's keys); ` +
    'against AWS: `export AWS_PROFILE=NAME` (`aws sso login --profile NAME` first for SSO), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or targets.aws.profile in the environment file';
  return new EnvironmentError(`no AWS credentials for ${what}: ${missing.join('; ')} (AWS SDK: ${sdk})`, hint);
}
