// `kfup sandbox up` as a user runs it: in the foreground, writing its files, answering kubectl,
// and stopping cleanly on Ctrl-C with a summary of the requests it served.
import { describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kfupBin } from '../helpers/cli.js';
import { tempDir } from '../helpers/run.js';

const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('kfup sandbox up', () => {
  it('runs in the foreground, serves kubectl, and stops on SIGINT', async () => {
    const dir = tempDir('kfup-sbup-');
    const child = spawn(process.execPath, [kfupBin, 'sandbox', 'up', '--dir', dir, '--profiles', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    for (let i = 0; i < 100 && !out.includes('Ctrl-C stops the sandbox'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(/kfup sandbox is up/);
    for (const f of ['kubeconfig', 'env', 'environment.yaml']) expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, 'env'), 'utf8')).toMatch(/export KUBECONFIG=/);
    if (hasKubectl) {
      const profiles = execFileSync('kubectl', ['--kubeconfig', join(dir, 'kubeconfig'), '--context', 'sandbox-blue', 'get', 'profiles', '-o', 'name']).toString();
      expect(profiles.trim().split('\n')).toEqual(['profile.kubeflow.org/team-000', 'profile.kubeflow.org/team-001']);
    } else {
      console.log('kubectl not on PATH: skipping the kubectl part of this test');
    }
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/requests, \d+ mutating/);
    expect(out).toMatch(/kfup sandbox stopped/);
  });

  it('judges AWS requests by the service models unless --lenient is given; --strict and --lenient exclude each other', async () => {
    /** starts `kfup sandbox up FLAGS`, sends IAM GetRole with a 65-character name (roleNameType: max 64), stops it */
    const tryIt = async (...flags: string[]): Promise<{ out: string; code: number | null; answer?: string }> => {
      const child = spawn(process.execPath, [kfupBin, 'sandbox', 'up', '--dir', tempDir('kfup-sbup-'), '--profiles', '0', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      for (let i = 0; i < 100 && !out.includes('Ctrl-C stops the sandbox') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
      let answer: string | undefined;
      const endpoint = /AWS endpoint\s+(http:\/\/\S+)/.exec(out)?.[1];
      if (endpoint) {
        const res = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/iam/aws4_request' },
          body: `Action=GetRole&Version=2010-05-08&RoleName=${'r'.repeat(65)}`,
        });
        answer = /<Code>([^<]+)<\/Code>/.exec(await res.text())?.[1];
      }
      if (child.exitCode === null) child.kill('SIGINT');
      return { out, code: await exited, answer };
    };
    const strict = await tryIt();
    expect(strict.out).toMatch(/AWS endpoint .*\(strict: requests checked against the AWS service models\)/);
    expect(strict.answer).toBe('ValidationError');
    const lenient = await tryIt('--lenient');
    expect(lenient.out).toMatch(/AWS endpoint .*\(lenient: requests not checked/);
    expect(lenient.answer).toBe('NoSuchEntity');
    const both = await tryIt('--strict', '--lenient');
    expect(both.code).toBe(2);
    expect(both.out).toMatch(/--strict and --lenient exclude each other/);
  });

  it('rejects a bad fault spec as invalid input', async () => {
    const r = await new Promise<{ code: number | null; err: string }>((res) => {
      const c = spawn(process.execPath, [kfupBin, 'sandbox', 'up', '--dir', tempDir(), '--faults', 'throttle:2'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('exit', (code) => res({ code, err }));
    });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--faults: fault "throttle:2": the rate must be a number from 0 to 1/);
  });
});
