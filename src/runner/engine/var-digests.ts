// --var values never reach the state directory: a run's meta.json records each as its name and a
// keyed digest of its value (NAME@hmac-sha256:SALT:HEX, the salt random per record), enough to tell
// whether a later command was given the same value, and nothing to read a secret from. A plain
// hash would not do: a short secret (a password, a PIN) is found from it by trying candidates,
// and the same value would show as the same hash in every run. A rollback, which reloads the
// run's variables, asks for them again with --var and checks them against the digests.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';

// NAME@hmac-sha256:SALT:HEX; NAME@sha256:HEX in runs recorded before the salt
const DIGEST = /^([^=@]+)@(?:sha256:([0-9a-f]{64})|hmac-sha256:([0-9a-f]{16,64}):([0-9a-f]{64}))$/;

const keyed = (salt: string, value: string): string => createHmac('sha256', salt).update(value).digest('hex');
const matches = (m: RegExpExecArray, value: string): boolean => (m[2] !== undefined ? createHash('sha256').update(value).digest('hex') === m[2] : keyed(m[3], value) === m[4]);

function split(arg: string): [string, string] {
  const i = arg.indexOf('=');
  return i < 0 ? [arg, ''] : [arg.slice(0, i), arg.slice(i + 1)];
}

/** what meta.json records for the --var arguments: names and digests only */
export const digestVars = (vars: string[]): string[] =>
  vars.map((v) => {
    const salt = randomBytes(12).toString('hex');
    return `${split(v)[0]}@hmac-sha256:${salt}:${keyed(salt, split(v)[1])}`;
  });

/**
 * The --var arguments to reload a run with: the ones given now, each checked against the run's
 * digest; a recorded variable not given again is an error naming it. Records of older runs
 * (NAME=VALUE) are used as they are.
 */
export function varsFor(runId: string, recorded: string[], given: string[] = []): string[] {
  const now = new Map(given.map((g) => split(g)));
  const out: string[] = [...given];
  const missing: string[] = [];
  for (const r of recorded) {
    const m = DIGEST.exec(r);
    if (!m) {
      if (!now.has(split(r)[0])) out.push(r);
      continue;
    }
    const value = now.get(m[1]);
    if (value === undefined) missing.push(m[1]);
    else if (!matches(m, value)) throw new UserError(`--var ${m[1]}: not the value run ${runId} was given`, { hint: `pass the same --var ${m[1]}=... as the run` });
  }
  if (missing.length) {
    throw new UserError(`run ${runId} was given --var ${missing.join(', ')}; kfup keeps only their digests`, { hint: `pass them again: ${missing.map((n) => `--var ${n}=...`).join(' ')}` });
  }
  return out;
}
