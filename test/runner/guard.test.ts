// The check-mode guard and the dry-run wall, in the one place they live (the context), proven
// against the sandbox's request log: a module that tries to write in check mode is stopped before
// a single mutating request leaves the process, and dry-run sends nothing at all.
import { beforeAll, describe, expect, it } from 'vitest';
import { IAMClient, GetRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import * as k8s from '@kubernetes/client-node';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox } from '../helpers/sandbox.js';
import { createContext, createServices, GuardError, loadKubeLibrary } from '../../src/runner/engine/context.js';
import { Redactor } from '../../src/runner/engine/redact.js';
import { withTasks } from '../../src/modules/index.js';
import { defineTask } from '../../src/modules/kit/index.js';
import type { Mode } from '../../src/runner/types.js';
import { runTasks } from '../helpers/run.js';

let sb: Sandbox;
useSandbox({ profiles: 1 }, (s) => (sb = s));
// what the runner does before the first task of a run with clusters
beforeAll(() => loadKubeLibrary());

const targets = () => ({
  aws: { region: sb.scenario.region },
  clusters: { blue: { kubeconfig: sb.kubeconfigPath, context: 'sandbox-blue' } },
});

function ctxFor(mode: Mode) {
  const svc = createServices({ mode, diff: false, yes: true, run: { id: 't', started: '', playbookDir: sb.dir, workDir: sb.dir }, targets: targets(), redactor: new Redactor() });
  return createContext(svc, { name: 'guard test' }, { log: () => {}, progress: () => {}, persist: () => {}, recall: () => undefined }, new AbortController().signal);
}

const roleName = () => sb.scenario.profiles[0].roleArn.split('/').pop()!;

describe('check mode guard', () => {
  it('lets AWS reads through and refuses AWS writes before they are sent', async () => {
    const ctx = ctxFor('check');
    const iam = ctx.aws(IAMClient);
    const mark = sb.requestLog.mark();
    const role = await iam.send(new GetRoleCommand({ RoleName: roleName() }));
    expect(role.Role?.RoleName).toBe(roleName());
    await expect(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName(), PolicyDocument: '{}' }))).rejects.toBeInstanceOf(GuardError);
    const sent = sb.requestLog.since(mark);
    expect(sent.map((e) => e.operation)).toEqual(['GetRole']);
    expect(sent.filter((e) => e.mutating)).toEqual([]);
    // a bundler renames a class whose name clashes by appending digits: still the same command
    const UpdateAssumeRolePolicyCommand2 = class extends UpdateAssumeRolePolicyCommand {};
    expect(UpdateAssumeRolePolicyCommand2.name).toBe('UpdateAssumeRolePolicyCommand2');
    await expect(iam.send(new UpdateAssumeRolePolicyCommand2({ RoleName: roleName(), PolicyDocument: '{}' }))).rejects.toThrow(/^check mode is read-only: refused AWS UpdateAssumeRolePolicy$/);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });

  it('lets Kubernetes reads and watches through and refuses every other verb', async () => {
    const kube = ctxFor('check').kube('blue');
    const mark = sb.requestLog.mark();
    const ns = await kube.core.listNamespace();
    expect(ns.items.length).toBeGreaterThan(0);
    await expect(kube.core.createNamespace({ body: { metadata: { name: 'sneaky' } } })).rejects.toThrow(/check mode is read-only: refused Kubernetes POST/);
    await expect(
      kube.core.patchNamespace({ name: 'velero', body: { metadata: { labels: { x: 'y' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)),
    ).rejects.toThrow(/refused Kubernetes PATCH/);
    await expect(kube.core.deleteNamespace({ name: 'velero' })).rejects.toThrow(/refused Kubernetes DELETE/);
    await expect(kube.objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' } })).rejects.toThrow(/refused Kubernetes POST/);
    // a watch is a read
    const seen: string[] = [];
    const req = await kube.watch.watch('/api/v1/namespaces', {}, (type) => seen.push(type), () => {});
    await new Promise((r) => setTimeout(r, 100));
    req.abort();
    expect(seen.length).toBeGreaterThan(0);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });

  it('guards the lean request path that hot loops use, too', async () => {
    const { kubeRequest } = await import('../../src/modules/kit/kube/raw.js');
    const kube = ctxFor('check').kube('blue');
    const mark = sb.requestLog.mark();
    const ns = await kubeRequest<{ items: unknown[] }>(kube, 'GET', '/api/v1/namespaces');
    expect(ns.items.length).toBeGreaterThan(0);
    await expect(kubeRequest(kube, 'PATCH', '/api/v1/namespaces/velero', { body: { metadata: { labels: { x: 'y' } } }, contentType: 'application/merge-patch+json' })).rejects.toThrow(/check mode is read-only: refused Kubernetes PATCH/);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });

  it('refuses subprocesses not declared read-only, and local writes', async () => {
    const ctx = ctxFor('check');
    await expect(ctx.exec('touch', [`${sb.dir}/x`])).rejects.toThrow(/not declared read-only/);
    const r = await ctx.exec('echo', ['read', 'only'], { readOnly: true });
    expect(r.stdout).toBe('read only');
    expect(() => ctx.writeFile(`${sb.dir}/y`, 'z')).toThrow(/never writes files/);
  });

  it('does not hand out the SDK client itself, so its guard middleware cannot be removed', () => {
    const iam = ctxFor('check').aws(IAMClient) as unknown as Record<string, unknown>;
    expect(iam.middlewareStack).toBeUndefined();
    expect(iam.config).toBeUndefined();
  });

  it('stops a module that writes in check mode, and the run reports it as a bug', async () => {
    const sneaky = defineTask<{ role: string }, Record<string, never>>({
      name: 'sneaky-writer',
      schema: { type: 'object', properties: { role: { type: 'string' } } },
      describe: () => ['writes during check'],
      async check(p, ctx) {
        await ctx.aws(IAMClient).send(new UpdateAssumeRolePolicyCommand({ RoleName: p.role, PolicyDocument: '{}' }));
        return { changes: [], outputs: {} };
      },
      apply() {
        return Promise.resolve({});
      },
    });
    const mark = sb.requestLog.mark();
    const r = await runTasks({ registry: withTasks(sneaky), mode: 'check', targets: targets(), tasks: [{ name: 'sneak', 'sneaky-writer': { role: roleName() } }] });
    const end = r.reporter.end('sneak');
    expect(end.status).toBe('failed');
    expect(end.message).toMatch(/check mode is read-only: refused AWS .*UpdateAssumeRolePolicy/);
    expect(end.hint).toMatch(/bug in the task type/);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });
});

describe('dry-run', () => {
  it('makes no network call and runs no subprocess', async () => {
    const ctx = ctxFor('dry-run');
    const mark = sb.requestLog.mark();
    expect(() => ctx.aws(IAMClient)).toThrow(/dry-run makes no network calls/);
    expect(() => ctx.kube('blue')).toThrow(/dry-run makes no network calls/);
    await expect(ctx.exec('echo', ['x'], { readOnly: true })).rejects.toThrow(/dry-run/);
    expect(sb.requestLog.since(mark)).toEqual([]);
  });
});
