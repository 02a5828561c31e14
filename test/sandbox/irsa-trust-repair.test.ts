// irsa-trust-repair against the emulated AWS IAM plugin of Kubeflow's profile controller
// (src/sandbox/kube/controllers/profile-iam.ts, modelled on kubeflow/kubeflow
// components/profile-controller/controllers/plugin_iam.go): the plugin reads only a role's FIRST
// trust statement, and when a Profile is created without its subject there, or deleted, it
// rewrites the policy to one statement built from that first one. Issue 13, "The upgrade as the
// real deployment runs it", point 4: creating or deleting a Profile after the upgrade must not
// silently leave green's roles untrusted.
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { runTasks } from '../helpers/run.js';
import { sandboxTargets, useSandbox } from '../helpers/sandbox.js';
import { waitFor } from './controllers-helpers.js';
import { PROFILE as P, greenSubjects as subjectsOf, profileOnGreen as onGreen, reconciledOnGreen, roleName, subjectOf as sub, trustGreen } from './profile-iam-helpers.js';

let sb: Sandbox;
useSandbox({ profiles: 2, notebooks: 0 }, (s) => (sb = s));

const blue = () => sb.clusters.blue.server.store;
const roleOf = (i: number) => roleName(sb, i);
const greenSubjects = (role: string) => subjectsOf(sb, role);
const firstPrincipal = (role: string) => (sb.aws.state.iam.trustPolicy(role).Statement[0].Principal as { Federated?: string }).Federated;
const profileOnGreen = (name: string, roleArn: string) => onGreen(sb, name, roleArn);
const reconciled = (name: string) => reconciledOnGreen(sb, name);

const repair = (mode: 'check' | 'run' = 'run') =>
  runTasks({ targets: sandboxTargets(sb), mode, tasks: [{ name: 'repair', 'irsa-trust-repair': { cluster: 'green', eks_cluster: sb.scenario.green.clusterName, settle_seconds: 0 }, register: 'repair' }] });

describe('irsa-trust-repair and the profile controller (plugin_iam.go)', () => {
  it('after a Profile change drops green’s trust, check reports it, run repairs it, and green’s statement first survives the next Profile change', async () => {
    const [p0, p1] = sb.scenario.profiles;
    // the upgrade: irsa-trust mirrors blue's statements, the restore brings the profiles to green
    await trustGreen(sb);
    for (const p of [p0, p1]) profileOnGreen(p.namespace, p.roleArn);
    await waitFor('green reconciled the profiles', () => reconciled(p0.namespace)() && reconciled(p1.namespace)());
    expect(greenSubjects(roleOf(0))).toEqual([sub(p0.namespace)]);

    // deleting p1's Profile on blue (still running its controller) rewrites p1's role from its
    // first statement, blue's, without p1's subject: green's trust of p1 is gone. Check says so.
    blue().delete(P, 'Profile', p1.name);
    await waitFor('blue removed the profile', () => !blue().get(P, 'Profile', p1.name));
    expect(greenSubjects(roleOf(1))).toEqual([]);
    const found = await repair('check');
    expect(found.reporter.end('repair').status).toBe('changed');
    expect(found.reporter.end('repair').notes.join('\n')).toContain(`not trusted through ${sb.scenario.green.clusterName}'s provider: ${roleOf(1)}: ${sub(p1.namespace)}`);

    // run repairs it, and puts green's statement first in every role
    const fixed = await repair();
    expect(fixed.reporter.end('repair').status, fixed.reporter.end('repair').message).toBe('changed');
    expect(greenSubjects(roleOf(1))).toEqual([sub(p1.namespace)]);
    for (const i of [0, 1]) expect(firstPrincipal(roleOf(i))).toBe(oidcProviderArn(sb.scenario, 'green'));
    expect((await repair('check')).reporter.end('repair').status).toBe('ok');

    // a new Profile on green sharing p0's role: the controller rewrites the policy from its first
    // statement, now green's, so green keeps trusting p0 and gains the new profile
    profileOnGreen('team-new', p0.roleArn);
    await waitFor('green reconciled team-new', reconciled('team-new'));
    await waitFor('the rewrite', () => greenSubjects(roleOf(0)).includes(sub('team-new')));
    expect(greenSubjects(roleOf(0)).sort()).toEqual([sub(p0.namespace), sub('team-new')].sort());
    const verified = await repair('check');
    expect(verified.reporter.end('repair').status, verified.reporter.end('repair').message).toBe('ok');
  });
});
