// The AWS client a task type gets is an instance of the SDK's own client class, so the SDK's
// paginators accept it; in check mode it still refuses writes, and it holds nothing of the real
// client (no middleware stack, no config) that would let a task type get around the guard.
import { describe, expect, it } from 'vitest';
import { IAMClient, paginateListRoles, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import type { Sandbox } from '../../src/sandbox/index.js';
import { useSandbox } from '../helpers/sandbox.js';
import { createContext, createServices, GuardError } from '../../src/runner/engine/context.js';
import { Redactor } from '../../src/runner/engine/redact.js';
import type { Mode } from '../../src/runner/types.js';

let sb: Sandbox;
useSandbox({ profiles: 2 }, (s) => (sb = s));

function ctxFor(mode: Mode) {
  const svc = createServices({ mode, diff: false, yes: false, run: { id: 'r', started: '', playbookDir: '.', workDir: '.' }, targets: { aws: { region: sb.scenario.region } }, redactor: new Redactor() });
  return createContext(svc, { name: 't' }, { log: () => undefined, progress: () => undefined, persist: () => undefined, recall: () => undefined }, new AbortController().signal);
}

describe("the context's AWS clients", () => {
  it("work with the SDK's paginators (they check instanceof), reading every page", async () => {
    const iam = ctxFor('check').aws(IAMClient);
    expect(iam).toBeInstanceOf(IAMClient);
    const names: string[] = [];
    for await (const page of paginateListRoles({ client: iam, pageSize: 2 }, {})) names.push(...(page.Roles ?? []).map((r) => r.RoleName ?? ''));
    expect(names.length).toBeGreaterThan(2);
    expect(new Set(names).size).toBe(names.length);
  });

  it("refuse a write in check mode, and hold nothing of the real client to get around it", async () => {
    const iam = ctxFor('check').aws(IAMClient);
    const mark = sb.requestLog.mark();
    await expect(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'x', PolicyDocument: '{}' }))).rejects.toBeInstanceOf(GuardError);
    // no middleware stack (the class's own send would find nothing to run), no config
    const held = iam as unknown as { middlewareStack?: unknown; config?: unknown };
    expect(held.middlewareStack).toBeUndefined();
    expect(held.config).toBeUndefined();
    expect(Object.getOwnPropertyNames(iam).sort()).toEqual(['destroy', 'send']);
    expect(sb.requestLog.since(mark).filter((e) => e.mutating)).toEqual([]);
  });
});
