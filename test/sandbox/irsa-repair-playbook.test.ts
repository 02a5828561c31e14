// playbooks/irsa-repair.yaml, the scheduled verify-and-repair of green's IRSA trust (issue 13, "The
// upgrade as the real deployment runs it", point 4), against the sandbox's emulated AWS IAM plugin
// of Kubeflow's profile controller (src/sandbox/kube/controllers/profile-iam.ts, modelled on
// kubeflow/kubeflow components/profile-controller/controllers/plugin_iam.go): deleting a Profile
// rewrites its role's trust policy from the first statement alone, dropping green's trust.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { oidcProviderArn } from '../../src/sandbox/scenario.js';
import { load, runPlaybook } from '../../src/runner/index.js';
import { builtinTasks } from '../../src/modules/index.js';
import { repoRoot } from '../helpers/cli.js';
import { CollectingReporter } from '../helpers/run.js';
import { useSandbox } from '../helpers/sandbox.js';
import { waitFor } from './controllers-helpers.js';
import { PROFILE as P, greenSubjects as subjectsOf, profileOnGreen, reconciledOnGreen, roleName, subjectOf as sub, trustGreen } from './profile-iam-helpers.js';

const playbook = join(repoRoot, 'playbooks', 'irsa-repair.yaml');

let sb: Sandbox;
useSandbox({ profiles: 2, notebooks: 0 }, (s) => (sb = s));

const roleOf = (i: number) => roleName(sb, i);
const greenSubjects = (role: string) => subjectsOf(sb, role);

const repair = async (mode: 'check' | 'run') => {
  const reporter = new CollectingReporter();
  const result = await runPlaybook({ playbook, registry: builtinTasks, env: sb.environmentFile, mode, yes: true, reporter, stateDir: join(sb.dir, '.kfup') });
  return { result, end: reporter.end("Green's roles trust green's service accounts") };
};

describe('playbooks/irsa-repair.yaml', () => {
  for (const env of ['production', 'staging', 'sandbox']) {
    it(`validates with the ${env} environment`, async () => {
      await expect(load({ playbook, env, registry: builtinTasks })).resolves.toBeDefined();
    });
  }

  it('after the profile controller rewrote a role without green, check finds it, a run repairs it, and the next check is ok', async () => {
    const [p0, p1] = sb.scenario.profiles;
    // the upgrade's trust and restore, in short: irsa-trust mirrors blue's statements to green,
    // and the profiles arrive on green (where its controller reconciles them)
    await trustGreen(sb);
    for (const p of [p0, p1]) profileOnGreen(sb, p.namespace, p.roleArn);
    await waitFor('green reconciled the profiles', () => [p0, p1].every((p) => reconciledOnGreen(sb, p.namespace)()));

    // a Profile deleted on blue: blue's controller rewrites p1's role from its first statement
    // (blue's), and green's trust of p1 is gone
    const blue = sb.clusters.blue.server.store;
    blue.delete(P, 'Profile', p1.name);
    await waitFor('blue removed the profile', () => !blue.get(P, 'Profile', p1.name));
    expect(greenSubjects(roleOf(1))).toEqual([]);

    const checked = await repair('check');
    expect(checked.result.failed, checked.end.message).toBe(false);
    expect(checked.result.changesPending).toBe(true);
    expect(checked.end.notes.join('\n')).toContain(`${roleOf(1)}: ${sub(p1.namespace)}`);
    expect(greenSubjects(roleOf(1))).toEqual([]);

    const ran = await repair('run');
    expect(ran.result.failed, ran.end.message).toBe(false);
    expect(ran.end.status).toBe('changed');
    expect(greenSubjects(roleOf(1))).toEqual([sub(p1.namespace)]);
    for (const i of [0, 1]) expect((sb.aws.state.iam.trustPolicy(roleOf(i)).Statement[0].Principal as { Federated?: string }).Federated).toBe(oidcProviderArn(sb.scenario, 'green'));

    const again = await repair('check');
    expect(again.end.status).toBe('ok');
    expect(again.result.changesPending).toBe(false);
  });
});
