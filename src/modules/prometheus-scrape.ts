// prometheus-scrape: "Configure Prometheus". Applies the notebook-controller patches (strategic
// merge, as `kubectl patch --patch-file` does, sent only when they would change the object), merges
// the Kubeflow scrape jobs into the Prometheus config map by job_name, and optionally restarts the
// Prometheus deployment as `kubectl rollout restart` does. Revert restores what it replaced.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from '../runner/errors.js';
import { loadTaskSchema, packagePath } from '../runner/load/package-root.js';
import { renderString } from '../runner/template/template.js';
import type { Applied, Change, Context, KubeClients, TaskModule } from '../runner/types.js';
import { callError, equalJson, guardedWrite, isNotFound, isObj, plain, revertPatch, withRetry, type JsonObject } from './knative/kube-calls.js';
import { owned } from './knative/manifests.js';
import { DEFAULT_PATCHES, KINDS, readObject, resolvePatch, type Kind, type PatchSpec, type ResolvedPatch } from './prometheus/patches.js';
import { jobsFromYaml, mergeScrapeJobs, ScrapeConfigError, type ScrapeJob } from './prometheus/scrape-merge.js';
import { strategicMerge } from './prometheus/strategic-merge.js';

export interface PrometheusScrapeParams {
  cluster: string;
  configmap?: { namespace?: string; name?: string; key?: string };
  jobs?: JsonObject[];
  /** values for the default scrape jobs template */
  job_vars?: { namespace?: string; interval?: string; metrics_port?: number };
  patches?: PatchSpec[];
  restart?: boolean;
  deployment?: { namespace?: string; name?: string };
}

const CM_DEFAULT = { namespace: 'monitoring', name: 'prometheus-server-conf', key: 'prometheus.yml' };
const DEPLOY_DEFAULT = { namespace: 'monitoring', name: 'prometheus-deployment' };
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** the hash of the prometheus.yml the pods were restarted for: a restart is due when it differs */
const CONFIG_HASH = 'kfup.dev/prometheus-config-sha256';

const cmRef = (p: PrometheusScrapeParams) => ({ ...CM_DEFAULT, ...(p.configmap ?? {}) });
const deployRef = (p: PrometheusScrapeParams) => ({ ...DEPLOY_DEFAULT, ...(p.deployment ?? {}) });
const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const podAnnotations = (o: unknown): Record<string, string> => {
  const t = isObj(o) && isObj(o.spec) && isObj(o.spec.template) && isObj(o.spec.template.metadata) ? o.spec.template.metadata : {};
  return (isObj(t.annotations) ? t.annotations : {}) as Record<string, string>;
};

/** the scrape jobs: the parameter's, or the procedure's three from the template */
function scrapeJobs(p: PrometheusScrapeParams): ScrapeJob[] {
  let jobs: ScrapeJob[];
  if (p.jobs) jobs = p.jobs.map((value) => ({ value }));
  else {
    const vars = { namespace: 'kubeflow', interval: '60s', metrics_port: 8080, ...(p.job_vars ?? {}) };
    const text = String(renderString(readFileSync(packagePath('templates', 'prometheus', 'scrape-jobs.yaml.hbs'), 'utf8'), vars));
    jobs = jobsFromYaml(text, 'templates/prometheus/scrape-jobs.yaml.hbs');
  }
  const seen = new Set<string>();
  for (const j of jobs) {
    const name = String(j.value.job_name);
    if (seen.has(name)) throw new UserError(`scrape job "${name}" is listed twice`, { hint: 'job names are unique in a Prometheus config', exitCode: 1 });
    seen.add(name);
  }
  return jobs;
}

interface PatchPlan {
  kind: Kind;
  namespace: string;
  name: string;
  patch: JsonObject;
  /** strategic merge (a given patch) or merge (the restart annotations) */
  merge?: boolean;
  before: JsonObject;
  after: JsonObject;
}

interface PromData {
  cm?: { namespace: string; name: string; key: string; before: string | null; after: string };
  patches: PatchPlan[];
}

interface PatchRecord {
  kind: Kind;
  namespace: string;
  name: string;
  before: JsonObject;
  after?: JsonObject;
}

const target = (kind: string, ns: string, name: string) => `${kind.toLowerCase()} ${ns}/${name}`;

async function readOrFail(kube: KubeClients, cluster: string, kind: Kind, ns: string, name: string, why: string, signal: AbortSignal): Promise<JsonObject> {
  try {
    return await withRetry(() => readObject(kube, kind, { namespace: ns, name }), { signal });
  } catch (e) {
    if (isNotFound(e)) throw new UserError(`${kind} ${ns}/${name} not found on cluster ${cluster}`, { hint: why, exitCode: 1 });
    throw callError(`reading ${kind} ${ns}/${name}`, e);
  }
}

async function readConfigMap(kube: KubeClients, ns: string, name: string, signal: AbortSignal): Promise<JsonObject | undefined> {
  try {
    return plain(await withRetry(() => kube.core.readNamespacedConfigMap({ namespace: ns, name }), { signal }));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw callError(`reading config map ${ns}/${name}`, e);
  }
}

/** a patch is already in effect when applying it again would change nothing we own */
const inEffect = (kind: Kind, live: JsonObject, patch: JsonObject) => equalJson(owned(strategicMerge(kind, live, patch)), owned(live));

const prometheusScrape: TaskModule<PrometheusScrapeParams> = {
  name: 'prometheus-scrape',
  schema: loadTaskSchema('prometheus-scrape'),

  describe(p) {
    const c = cmRef(p);
    const jobs = p.jobs ? p.jobs.map((j) => String(j.job_name)) : ['ml-pipeline', 'katib-controller', 'notebook-controller'];
    const patches = (p.patches ?? DEFAULT_PATCHES).map((s) => s.file ?? s.template ?? `inline ${s.kind ?? ''} ${s.namespace ?? ''}/${s.name ?? ''}`.trim());
    const lines = [
      `on cluster ${p.cluster}: strategic-merge patches ${patches.join(', ')} (only where they change something)`,
      `merge scrape jobs ${jobs.join(', ')} by job_name into ${c.key} of config map ${c.namespace}/${c.name}`,
    ];
    if (p.restart) {
      const d = deployRef(p);
      lines.push(`restart deployment ${d.namespace}/${d.name} when its pods have not loaded this configuration`);
    }
    return lines;
  },

  async check(p, ctx) {
    const kube = ctx.kube(p.cluster);
    const changes: Change[] = [];
    const data: PromData = { patches: [] };
    const jobs = scrapeJobs(p);

    for (const spec of p.patches ?? DEFAULT_PATCHES) {
      const r: ResolvedPatch = resolvePatch(spec, ctx);
      const live = await readOrFail(kube, p.cluster, r.kind, r.namespace, r.name, `patch ${r.source} targets it`, ctx.signal);
      if (inEffect(r.kind, live, r.patch)) continue;
      const after = strategicMerge(r.kind, live, r.patch);
      data.patches.push({ kind: r.kind, namespace: r.namespace, name: r.name, patch: r.patch, before: owned(live), after: owned(after) });
      changes.push({ action: 'update', target: target(r.kind, r.namespace, r.name), summary: `strategic merge patch ${r.source}`, before: owned(live), after: owned(after) });
    }

    const c = cmRef(p);
    const cm = await readConfigMap(kube, c.namespace, c.name, ctx.signal);
    if (!cm) {
      throw new UserError(`config map ${c.namespace}/${c.name} not found on cluster ${p.cluster}`, {
        hint: 'set configmap.namespace and configmap.name to the Prometheus server config map (the AMP add-on installs monitoring/prometheus-server-conf; the procedure text says prometheus/prometheus-server)',
        exitCode: 1,
      });
    }
    const text = isObj(cm.data) && typeof cm.data[c.key] === 'string' ? (cm.data[c.key] as string) : null;
    if (text === null) throw new UserError(`config map ${c.namespace}/${c.name} has no key ${c.key}`, { hint: `its keys: ${Object.keys(isObj(cm.data) ? cm.data : {}).join(', ') || '(none)'}`, exitCode: 1 });
    let merged;
    try {
      merged = mergeScrapeJobs(text, jobs);
    } catch (e) {
      if (e instanceof ScrapeConfigError) throw new UserError(`${c.key} in config map ${c.namespace}/${c.name}: ${e.message}`, { exitCode: 1 });
      throw e;
    }
    if (merged.text !== text) {
      const what = [merged.added.length ? `add ${merged.added.join(', ')}` : '', merged.replaced.length ? `replace ${merged.replaced.join(', ')}` : ''].filter(Boolean).join('; ');
      changes.push({ action: 'update', target: `configmap ${c.namespace}/${c.name} ${c.key}`, summary: `scrape jobs: ${what}`, before: text, after: merged.text });
      data.cm = { ...c, before: text, after: merged.text };
    }

    let restart = false;
    if (p.restart) {
      const d = deployRef(p);
      const live = await readOrFail(kube, p.cluster, 'Deployment', d.namespace, d.name, 'restart: true restarts the Prometheus server deployment (set deployment.namespace and deployment.name)', ctx.signal);
      const hash = hashOf(merged.text);
      if (podAnnotations(live)[CONFIG_HASH] !== hash) {
        restart = true;
        const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: new Date().toISOString(), [CONFIG_HASH]: hash } } } } };
        const after = strategicMerge('Deployment', live, patch);
        data.patches.push({ kind: 'Deployment', namespace: d.namespace, name: d.name, patch, merge: true, before: owned(live), after: owned(after) });
        changes.push({ action: 'update', target: target('Deployment', d.namespace, d.name), summary: 'restart so Prometheus loads the new configuration (as kubectl rollout restart)', before: podAnnotations(live), after: podAnnotations(after) });
      }
    }
    const outputs = { configmap: `${c.namespace}/${c.name}`, jobs_added: merged.added, jobs_replaced: merged.replaced, patched: data.patches.filter((x) => !x.merge).map((x) => target(x.kind, x.namespace, x.name)), restarted: restart };
    return { changes, outputs, data };
  },

  async apply(p, ctx, plan) {
    const kube = ctx.kube(p.cluster);
    const d = plan.data as PromData;
    const records: PatchRecord[] = [];
    // the config first, so that a restart (the last patch) loads it
    if (d.cm) {
      const cm = d.cm;
      ctx.persist('configmap', cm);
      await guardedWrite<JsonObject>({
        what: `config map ${cm.namespace}/${cm.name}`,
        read: () => readConfigMap(kube, cm.namespace, cm.name, ctx.signal),
        state: (o) => (o && isObj(o.data) ? (o.data[cm.key] ?? null) : null),
        before: cm.before,
        after: cm.after,
        write: () => kube.core.patchNamespacedConfigMap({ namespace: cm.namespace, name: cm.name, body: { data: { [cm.key]: cm.after } } }, kube.patchAs.merge),
        signal: ctx.signal,
      });
      ctx.progress(`config map ${cm.namespace}/${cm.name}: scrape jobs merged`);
    }
    for (const x of d.patches) {
      const rec: PatchRecord = { kind: x.kind, namespace: x.namespace, name: x.name, before: x.before };
      records.push(rec);
      ctx.persist('objects', records);
      const ref = { namespace: x.namespace, name: x.name };
      let written: unknown;
      await guardedWrite<JsonObject>({
        what: target(x.kind, x.namespace, x.name),
        read: () => readObject(kube, x.kind, ref),
        // the restart is done once the hash is there; a patch once it would change nothing
        state: (live) => (!live ? null : x.merge ? (podAnnotations(live)[CONFIG_HASH] === podAnnotations(x.after)[CONFIG_HASH] ? 'as planned' : owned(live)) : inEffect(x.kind, live, x.patch) ? 'as planned' : owned(live)),
        before: x.before,
        after: 'as planned',
        write: async () => {
          written = await KINDS[x.kind].patch(kube, ref, x.patch, x.merge);
        },
        signal: ctx.signal,
      });
      rec.after = owned(written ? plain(written) : await readObject(kube, x.kind, ref));
      ctx.persist('objects', records);
      ctx.progress(`${target(x.kind, x.namespace, x.name)} patched`);
    }
    return plan.outputs;
  },

  async revert(record: Applied, ctx: Context) {
    const p = record.params as PrometheusScrapeParams;
    const kube = ctx.kube(p.cluster);
    const changes: Change[] = [];
    const actions: (() => Promise<unknown>)[] = [];
    for (const rec of [...((record.persisted.objects ?? []) as PatchRecord[])].reverse()) {
      const ref = { namespace: rec.namespace, name: rec.name };
      let live: JsonObject;
      try {
        live = await withRetry(() => readObject(kube, rec.kind, ref), { signal: ctx.signal });
      } catch (e) {
        if (isNotFound(e)) continue;
        throw callError(`reading ${rec.kind} ${rec.namespace}/${rec.name}`, e);
      }
      const { patch } = revertPatch(rec.before, rec.after ?? owned(live), owned(live));
      if (!patch) continue;
      const t = target(rec.kind, rec.namespace, rec.name);
      changes.push({ action: 'update', target: t, summary: 'restore the fields the run changed', before: owned(live), after: rec.before });
      actions.push(() =>
        withRetry((): Promise<unknown> => KINDS[rec.kind].patch(kube, ref, patch, true), { write: true, signal: ctx.signal }).catch((e) => {
          throw callError(`restoring ${t}`, e);
        }),
      );
    }
    const cm = record.persisted.configmap as PromData['cm'];
    if (cm) {
      const live = await readConfigMap(kube, cm.namespace, cm.name, ctx.signal);
      const now = live && isObj(live.data) ? ((live.data[cm.key] as string | undefined) ?? null) : null;
      if (live && now !== cm.before) {
        changes.push({ action: 'update', target: `configmap ${cm.namespace}/${cm.name} ${cm.key}`, summary: 'restore the previous Prometheus configuration', before: now ?? '', after: cm.before ?? '' });
        actions.push(() =>
          withRetry(() => kube.core.patchNamespacedConfigMap({ namespace: cm.namespace, name: cm.name, body: { data: { [cm.key]: cm.before } } }, kube.patchAs.merge), { write: true, signal: ctx.signal }).catch((e) => {
            throw callError(`restoring config map ${cm.namespace}/${cm.name}`, e);
          }),
        );
      }
    }
    if (ctx.mode === 'run') for (const a of actions.reverse()) await a();
    return changes;
  },
};

export default prometheusScrape;
