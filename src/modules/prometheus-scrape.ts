// prometheus-scrape: "Configure Prometheus". Applies the notebook-controller patches (strategic
// merge, as `kubectl patch --patch-file` does, sent only when they would change the object), merges
// the Kubeflow scrape jobs into the Prometheus config map by job_name, and optionally restarts the
// Prometheus deployment as `kubectl rollout restart` does. Revert restores what it replaced.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  defineTask,
  guardedWrite,
  isJsonObject as isObj,
  isKubeNotFound,
  jsonEqual,
  kubeCallError,
  ownedFields as owned,
  packagePath,
  plainJson as plain,
  renderString,
  retryKube,
  revertPatch,
  type Change,
  type JsonObject,
  type KubeClients,
} from './kit/index.js';
import { otherInstall, prometheusLocation } from './prometheus/location.js';
import type { PrometheusScrapeOutputs, PrometheusScrapeParams } from './generated/prometheus-scrape.js';
import { KINDS, readObject, resolvePatch, type Kind } from './prometheus/patches.js';
import { jobsFromYaml, mergeScrapeJobs, ScrapeConfigError, type ScrapeJob } from './prometheus/scrape-merge.js';
import { strategicMerge } from './prometheus/strategic-merge.js';

const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';
/** the hash of the prometheus.yml the pods were restarted for: a restart is due when it differs */
const CONFIG_HASH = 'kfup.dev/prometheus-config-sha256';

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const podAnnotations = (o: unknown): Record<string, string> => {
  const t = isObj(o) && isObj(o.spec) && isObj(o.spec.template) && isObj(o.spec.template.metadata) ? o.spec.template.metadata : {};
  return (isObj(t.annotations) ? t.annotations : {}) as Record<string, string>;
};

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

interface ConfigMapPlan {
  namespace: string;
  name: string;
  key: string;
  before: string | null;
  after: string;
}

interface Data {
  cm?: ConfigMapPlan;
  patches: PatchPlan[];
}

interface PatchRecord {
  kind: Kind;
  namespace: string;
  name: string;
  before: JsonObject;
  after?: JsonObject;
}

interface Persisted {
  configmap: ConfigMapPlan;
  objects: PatchRecord[];
}

/** revert's steps (the config map first, then the objects in order), exactly what revert.check showed */
interface RevertData {
  objects: { kind: Kind; namespace: string; name: string; patch: JsonObject }[];
  configmap?: { namespace: string; name: string; key: string; value: string | null };
}

const target = (kind: string, ns: string, name: string) => `${kind.toLowerCase()} ${ns}/${name}`;

/** a patch is already in effect when applying it again would change nothing we own */
const inEffect = (kind: Kind, live: JsonObject, patch: JsonObject) => jsonEqual(owned(strategicMerge(kind, live, patch)), owned(live));

async function readConfigMap(kube: KubeClients, ns: string, name: string, signal: AbortSignal): Promise<JsonObject | undefined> {
  try {
    return plain(await retryKube(() => kube.core.readNamespacedConfigMap({ namespace: ns, name }), { signal }));
  } catch (e) {
    if (isKubeNotFound(e)) return undefined;
    throw kubeCallError(`reading config map ${ns}/${name}`, e);
  }
}

async function readIfThere(kube: KubeClients, kind: Kind, ns: string, name: string, signal: AbortSignal): Promise<JsonObject | undefined> {
  try {
    return await retryKube(() => readObject(kube, kind, { namespace: ns, name }), { signal });
  } catch (e) {
    if (isKubeNotFound(e)) return undefined;
    throw kubeCallError(`reading ${kind} ${ns}/${name}`, e);
  }
}

export default defineTask<PrometheusScrapeParams, PrometheusScrapeOutputs, Data, Persisted, RevertData>({
  name: 'prometheus-scrape',
  messages: {
    objectNotFound: '{{kind}} {{namespace}}/{{name}} not found on cluster {{cluster}}',
    configMapNotFound: 'config map {{namespace}}/{{name}} not found on cluster {{cluster}}',
    noKey: 'config map {{namespace}}/{{name}} has no key {{key}}',
    badConfig: '{{key}} in config map {{namespace}}/{{name}}: {{problem}}',
    duplicateJob: 'scrape job "{{job}}" is listed twice',
  },

  describe(p) {
    const { configmap: c, deployment } = prometheusLocation(p);
    const jobs = p.jobs ? p.jobs.map((j) => j.job_name) : ['ml-pipeline', 'katib-controller', 'notebook-controller'];
    const patches = p.patches.map((s) => s.file ?? s.template ?? `inline ${s.kind ?? ''} ${s.namespace ?? ''}/${s.name ?? ''}`.trim());
    const lines = [
      `on cluster ${p.cluster}: strategic-merge patches ${patches.join(', ')} (only where they change something)`,
      `merge scrape jobs ${jobs.join(', ')} by job_name into ${c.key} of config map ${c.namespace}/${c.name}`,
    ];
    if (p.restart) lines.push(`restart deployment ${deployment.namespace}/${deployment.name} when its pods have not loaded this configuration`);
    return lines;
  },

  async check(p, ctx) {
    const kube = ctx.kube(p.cluster);
    const changes: Change[] = [];
    const data: Data = { patches: [] };
    const mustExist = async (kind: Kind, ns: string, name: string, why: string): Promise<JsonObject> => {
      const live = await readIfThere(kube, kind, ns, name, ctx.signal);
      if (!live) throw this.error('objectNotFound', { kind, namespace: ns, name, cluster: p.cluster }, { hint: why });
      return live;
    };

    // the scrape jobs: the parameter's, or the procedure's three from the template
    const jobs: ScrapeJob[] = p.jobs
      ? p.jobs.map((j) => ({ value: plain(j) }))
      : jobsFromYaml(String(renderString(readFileSync(packagePath('templates', 'prometheus', 'scrape-jobs.yaml.hbs'), 'utf8'), p.job_vars)), 'templates/prometheus/scrape-jobs.yaml.hbs');
    const seen = new Set<string>();
    for (const j of jobs) {
      const job = typeof j.value.job_name === 'string' ? j.value.job_name : JSON.stringify(j.value.job_name);
      if (seen.has(job)) throw this.error('duplicateJob', { job }, { hint: 'job names are unique in a Prometheus config' });
      seen.add(job);
    }

    for (const spec of p.patches) {
      const r = resolvePatch(spec, ctx);
      const live = await mustExist(r.kind, r.namespace, r.name, `patch ${r.source} targets it`);
      if (inEffect(r.kind, live, r.patch)) continue;
      const after = strategicMerge(r.kind, live, r.patch);
      data.patches.push({ kind: r.kind, namespace: r.namespace, name: r.name, patch: r.patch, before: owned(live), after: owned(after) });
      changes.push({ action: 'update', target: target(r.kind, r.namespace, r.name), summary: `strategic merge patch ${r.source}`, before: owned(live), after: owned(after) });
    }

    const loc = prometheusLocation(p);
    const c = loc.configmap;
    const where = { namespace: c.namespace, name: c.name, key: c.key, cluster: p.cluster };
    const cm = await readConfigMap(kube, c.namespace, c.name, ctx.signal);
    if (!cm) {
      const other = otherInstall(p);
      throw this.error('configMapNotFound', where, {
        hint: `kfup looked where install: ${p.install} puts it (${c.namespace}/${c.name}); with install: ${other.install} it is ${other.configmap}. Set install to how Prometheus was installed, or configmap.namespace and configmap.name`,
      });
    }
    const cmData = isObj(cm.data) ? cm.data : {};
    const text = typeof cmData[c.key] === 'string' ? cmData[c.key] : null;
    if (typeof text !== 'string') throw this.error('noKey', where, { hint: `its keys: ${Object.keys(cmData).join(', ') || '(none)'}` });
    let merged;
    try {
      merged = mergeScrapeJobs(text, jobs);
    } catch (e) {
      if (e instanceof ScrapeConfigError) throw this.error('badConfig', { ...where, problem: e.message });
      throw e;
    }
    if (merged.text !== text) {
      const what = [merged.added.length ? `add ${merged.added.join(', ')}` : '', merged.replaced.length ? `replace ${merged.replaced.join(', ')}` : ''].filter(Boolean).join('; ');
      changes.push({ action: 'update', target: `configmap ${c.namespace}/${c.name} ${c.key}`, summary: `scrape jobs: ${what}`, before: text, after: merged.text });
      data.cm = { namespace: c.namespace, name: c.name, key: c.key, before: text, after: merged.text };
    }

    let restart = false;
    if (p.restart) {
      const d = loc.deployment;
      const live = await mustExist('Deployment', d.namespace, d.name, 'restart: true restarts the Prometheus server deployment (set deployment.namespace and deployment.name)');
      const hash = hashOf(merged.text);
      if (podAnnotations(live)[CONFIG_HASH] !== hash) {
        restart = true;
        const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: new Date().toISOString(), [CONFIG_HASH]: hash } } } } };
        const after = strategicMerge('Deployment', live, patch);
        data.patches.push({ kind: 'Deployment', namespace: d.namespace, name: d.name, patch, merge: true, before: owned(live), after: owned(after) });
        changes.push({ action: 'update', target: target('Deployment', d.namespace, d.name), summary: 'restart so Prometheus loads the new configuration (as kubectl rollout restart)', before: podAnnotations(live), after: podAnnotations(after) });
      }
    }
    const outputs = {
      configmap: `${c.namespace}/${c.name}`,
      jobs_added: merged.added,
      jobs_replaced: merged.replaced,
      patched: data.patches.filter((x) => !x.merge).map((x) => target(x.kind, x.namespace, x.name)),
      restarted: restart,
    };
    return { changes, outputs, data };
  },

  async apply(p, ctx, plan) {
    const kube = ctx.kube(p.cluster);
    const d = plan.data ?? { patches: [] };
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
    return {};
  },

  revert: {
    async check(record, ctx) {
      const kube = ctx.kube(record.params.cluster);
      const changes: Change[] = [];
      const notes: string[] = [];
      const data: RevertData = { objects: [] };
      // in the order apply runs them: the configuration first, then the objects in the order of
      // the run, so that a restart (the run's last patch) loads the restored configuration
      const cm = record.persisted.configmap;
      if (cm) {
        const live = await readConfigMap(kube, cm.namespace, cm.name, ctx.signal);
        const now = live && isObj(live.data) && typeof live.data[cm.key] === 'string' ? live.data[cm.key] : null;
        if (!live) notes.push(`config map ${cm.namespace}/${cm.name} is gone: nothing to restore`);
        else if (now !== cm.before) {
          changes.push({ action: 'update', target: `configmap ${cm.namespace}/${cm.name} ${cm.key}`, summary: 'restore the previous Prometheus configuration', before: now ?? '', after: cm.before ?? '' });
          data.configmap = { namespace: cm.namespace, name: cm.name, key: cm.key, value: cm.before };
        }
      }
      for (const rec of record.persisted.objects ?? []) {
        const t = target(rec.kind, rec.namespace, rec.name);
        const live = await readIfThere(kube, rec.kind, rec.namespace, rec.name, ctx.signal);
        if (!live) {
          notes.push(`${t} is gone: nothing to restore`);
          continue;
        }
        const { patch } = revertPatch(rec.before, rec.after ?? owned(live), owned(live));
        if (!patch) continue;
        changes.push({ action: 'update', target: t, summary: 'restore the fields the run changed', before: owned(live), after: rec.before });
        data.objects.push({ kind: rec.kind, namespace: rec.namespace, name: rec.name, patch });
      }
      return { changes, notes, data };
    },

    async apply(record, ctx, plan) {
      const kube = ctx.kube(record.params.cluster);
      const { objects = [], configmap } = plan.data ?? {};
      // in revert.check's order: the configuration, then the objects as the run patched them
      if (configmap) {
        const { namespace, name, key, value } = configmap;
        await retryKube(() => kube.core.patchNamespacedConfigMap({ namespace, name, body: { data: { [key]: value } } }, kube.patchAs.merge), { write: true, signal: ctx.signal }).catch((e: unknown) => {
          throw kubeCallError(`restoring config map ${namespace}/${name}`, e);
        });
      }
      for (const o of objects) {
        const ref = { namespace: o.namespace, name: o.name };
        await retryKube((): Promise<unknown> => KINDS[o.kind].patch(kube, ref, o.patch, true), { write: true, signal: ctx.signal }).catch((e: unknown) => {
          throw kubeCallError(`restoring ${target(o.kind, o.namespace, o.name)}`, e);
        });
      }
    },
  },
});
