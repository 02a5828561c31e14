// knative-config through the conformance tester (test/kit/task-tester.ts): green holds
// config-domain with only `_example`, no serving ingress and no Profiles (they arrive with the
// restore). The tester asserts the invariants (dry-run sends nothing, check never writes, run
// then check plans nothing, rollback --check never writes and rollback restores config-domain,
// the ingress and the policies); the cases add what is particular to knative-config. Faults, a
// failure found by a live read, a second rollback and secrets in rollback's reports:
// knative-config.edges.test.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import { configDomain } from '../../src/sandbox/kube/seed-system.js';
import type { KubeObject } from '../../src/sandbox/kube/store-api.js';
import { taskTester } from '../kit/task-tester.js';

const TASK = 'task under test';
const DOMAIN = 'platform.example.com';
// secret header values (the schema marks header_values secret)
const TOKENS = ['tok-Zq8WmX31-alpha', 'tok-Pp0LrT77-bravo'];
const NAMESPACES = ['team-000', 'team-001'];

const green = (sb: Sandbox) => sb.clusters.green.server.store;
const cm = (sb: Sandbox) => green(sb).get('v1', 'ConfigMap', 'config-domain', 'knative-serving')!;
const ingress = (sb: Sandbox) => green(sb).get('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system');
const policy = (sb: Sandbox, ns: string, name = 'allow-predictor') => green(sb).get('security.istio.io/v1beta1', 'AuthorizationPolicy', name, ns);
/** config-domain's data as seeded: only `_example` */
const seededDomain = () => configDomain().data as Record<string, string>;
const spec = (o: KubeObject | undefined): unknown => (o as { spec?: unknown } | undefined)?.spec;

/** what knative-config changes on green: config-domain's data, the ingress, the policies */
function state(sb: Sandbox): unknown {
  const ing = ingress(sb);
  return {
    domain: cm(sb).data,
    // an empty map and none are the same object (ObjectMeta's labels and annotations are omitempty)
    ingress: ing && { labels: ing.metadata.labels ?? {}, annotations: ing.metadata.annotations ?? {}, spec: spec(ing) },
    policies: green(sb)
      .list('security.istio.io/v1beta1', 'AuthorizationPolicy')
      .map((p) => ({ at: `${p.metadata.namespace}/${p.metadata.name}`, spec: spec(p) }))
      .sort((a, b) => a.at.localeCompare(b.at)),
  };
}

/** each case starts from green as seeded: config-domain with `_example`, no ingress, no policies, no Profiles */
function resetGreen(sb: Sandbox): void {
  const store = green(sb);
  for (const name of NAMESPACES) if (!store.get('v1', 'Namespace', name)) store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  store.update({ ...cm(sb), data: configDomain().data });
  if (ingress(sb)) store.delete('networking.k8s.io/v1', 'Ingress', 'istio-ingress-api', 'istio-system');
  for (const p of store.list('security.istio.io/v1beta1', 'AuthorizationPolicy')) {
    if (p.metadata.name?.startsWith('allow-')) store.delete('security.istio.io/v1beta1', 'AuthorizationPolicy', p.metadata.name, p.metadata.namespace);
  }
  for (const p of store.list('kubeflow.org/v1', 'Profile')) store.delete('kubeflow.org/v1', 'Profile', p.metadata.name);
}

const full = (sb: Sandbox) => ({
  cluster: 'green',
  domain: DOMAIN,
  ingress: { certificate_arn: sb.scenario.cognito.certificateArn, header_values: TOKENS },
  authorization_policy: { namespaces: NAMESPACES },
});

/** every file under a directory, as text */
function allText(dir: string): string {
  let out = '';
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    out += statSync(p).isDirectory() ? allText(p) : readFileSync(p, 'utf8');
  }
  return out;
}

taskTester({
  type: 'knative-config',
  sandbox: { profiles: 2 },
  valid: [
    {
      name: 'sets the default domain, creates the serving ingress and the policies; the header values appear nowhere',
      setup: resetGreen,
      params: full,
      state,
      after: ({ sb, run, check }) => {
        const end = run.reporter.end(TASK);
        expect(end.changes.map((c) => `${c.action} ${c.target}`)).toEqual([
          'update configmap knative-serving/config-domain',
          'create ingress istio-system/istio-ingress-api',
          'create authorizationpolicy team-000/allow-predictor',
          'create authorizationpolicy team-000/allow-transformer',
          'create authorizationpolicy team-001/allow-predictor',
          'create authorizationpolicy team-001/allow-transformer',
        ]);
        expect(Object.keys(end.changes[0].before as object)).toEqual(['_example']);
        expect(end.changes[0].after).toEqual({ [DOMAIN]: '' });
        expect(cm(sb).data).toEqual({ [DOMAIN]: '' });
        const ing = ingress(sb)!;
        expect(ing.metadata.annotations!['alb.ingress.kubernetes.io/certificate-arn']).toBe(sb.scenario.cognito.certificateArn);
        const cond: unknown = JSON.parse(ing.metadata.annotations!['alb.ingress.kubernetes.io/conditions.istio-ingressgateway']);
        expect(cond).toEqual([{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-api-key', Values: TOKENS } }]);
        expect(spec(ing)).toMatchObject({ rules: [{ http: { paths: [{ backend: { service: { name: 'istio-ingressgateway', port: { number: 80 } } } }] } }] });
        expect(spec(policy(sb, 'team-001'))).toMatchObject({ action: 'ALLOW', selector: { matchLabels: { component: 'predictor' } } });
        expect(JSON.stringify(spec(policy(sb, 'team-001', 'allow-transformer')))).toContain('/v2/models/*');
        // the secret header values appear nowhere: events, diffs, the journal
        const everything = JSON.stringify([run.reporter.events, check.reporter.events]) + allText(run.stateDir);
        for (const t of TOKENS) expect(everything).not.toContain(t);
        expect(everything).toContain('***');
      },
    },
    {
      name: 'keeps other keys unless replace, and reports another default domain it keeps',
      setup: (sb) => {
        resetGreen(sb);
        green(sb).update({ ...cm(sb), data: { ...seededDomain(), 'old.example.org': '', 'svc.example.org': 'selector:\n  app: internal\n' } });
      },
      params: { cluster: 'green', domain: DOMAIN },
      state,
      after: ({ sb, run }) => {
        expect(cm(sb).data).toEqual({ 'old.example.org': '', 'svc.example.org': 'selector:\n  app: internal\n', [DOMAIN]: '' });
        expect(run.reporter.end(TASK).notes.join('\n')).toMatch(/keeps "old\.example\.org", another default domain/);
      },
    },
    {
      name: 'replace: true leaves the domain as the only key',
      setup: (sb) => {
        resetGreen(sb);
        green(sb).update({ ...cm(sb), data: { ...seededDomain(), 'old.example.org': '' } });
      },
      params: { cluster: 'green', domain: DOMAIN, replace: true },
      state,
      after: ({ sb }) => expect(cm(sb).data).toEqual({ [DOMAIN]: '' }),
    },
    {
      name: 'authorization_policy: true finds the profile namespaces from the Profiles on the cluster',
      setup: (sb) => {
        resetGreen(sb);
        for (const ns of NAMESPACES) {
          green(sb).create({ apiVersion: 'kubeflow.org/v1', kind: 'Profile', metadata: { name: ns }, spec: { owner: { kind: 'User', name: `${ns}@example.com` } } });
        }
      },
      params: { cluster: 'green', domain: DOMAIN, authorization_policy: true },
      state,
      after: ({ sb, run }) => {
        expect(run.reporter.end(TASK).changes.filter((c) => c.target.startsWith('authorizationpolicy')).map((c) => c.target)).toEqual([
          'authorizationpolicy team-000/allow-predictor',
          'authorizationpolicy team-000/allow-transformer',
          'authorizationpolicy team-001/allow-predictor',
          'authorizationpolicy team-001/allow-transformer',
        ]);
        expect(policy(sb, 'team-001')).toBeDefined();
      },
    },
    {
      name: 'updates a drifted ingress, keeping annotations it does not own; rollback puts the drift back',
      setup: (sb) => {
        resetGreen(sb);
        const store = green(sb);
        store.update({ ...cm(sb), data: { [DOMAIN]: '' } });
        // the ingress as an earlier run left it, then changed by hand
        store.create({
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          metadata: {
            name: 'istio-ingress-api',
            namespace: 'istio-system',
            annotations: { 'alb.ingress.kubernetes.io/scheme': 'internal', 'team/owner': 'ml-platform' },
          },
          spec: { ingressClassName: 'alb', rules: [{ http: { paths: [{ path: '/*', pathType: 'ImplementationSpecific', backend: { service: { name: 'istio-ingressgateway', port: { number: 80 } } } }] } }] },
        });
      },
      params: (sb) => ({ cluster: 'green', domain: DOMAIN, ingress: full(sb).ingress }),
      state,
      after: ({ sb, run }) => {
        expect(run.reporter.end(TASK).changes.map((c) => `${c.action} ${c.target}`)).toEqual(['update ingress istio-system/istio-ingress-api']);
        expect(ingress(sb)!.metadata.annotations!['alb.ingress.kubernetes.io/scheme']).toBe('internet-facing');
        expect(ingress(sb)!.metadata.annotations!['team/owner']).toBe('ml-platform');
      },
    },
    {
      name: 'a cluster already configured is ok',
      setup: (sb) => {
        resetGreen(sb);
        green(sb).update({ ...cm(sb), data: { [DOMAIN]: '' } });
      },
      params: { cluster: 'green', domain: DOMAIN },
      expect: 'ok',
    },
  ],
  invalid: [
    { name: 'a domain that is no DNS name', params: { cluster: 'green', domain: 'Not A Domain' }, error: /domain/ },
    { name: 'no header values', params: (sb) => ({ cluster: 'green', domain: DOMAIN, ingress: { certificate_arn: sb.scenario.cognito.certificateArn, header_values: [] } }), error: /header_values/ },
    { name: 'a certificate that is no ACM ARN', params: { cluster: 'green', domain: DOMAIN, ingress: { certificate_arn: 'not-an-arn', header_values: ['x'] } }, error: /certificate_arn/ },
    { name: 'a parameter knative-config does not have', params: { cluster: 'green', domain: DOMAIN, domains: [DOMAIN] }, error: /domains/ },
    {
      name: 'a reference to an output knative-config does not declare',
      params: { cluster: 'green', domain: DOMAIN },
      tasks: [{ name: 'first', 'knative-config': { cluster: 'green', domain: DOMAIN }, register: 'kn' }, { name: 'uses it', assert: { that: ['{{kn.outputs.ingres}}'] } }],
      error: /undefined variable "kn\.outputs\.ingres"/,
    },
  ],
});
