// 3. Work across many objects: velero-annotate on 2,000 notebook pods in 200 namespaces with
// 5 ms latency per request, against the manual procedure's way (a shell loop running one
// `kubectl annotate` per pod against the same sandbox) and against the bound (the requests kfup
// sent x latency / concurrency).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasTaskType, kfup, scratchDir, removeDir, skip } from '../lib/context.js';
import { run, which } from '../lib/proc.js';
import { alternate, median } from '../lib/stats.js';
import { annotatedCount, BACKUP_VOLUMES, clearAnnotations, notebookPods, startSandbox, writePlaybook } from '../lib/sandbox.js';

const PROFILES = 200;
const NOTEBOOKS = 10;
const LATENCY_MS = 5;
const CONCURRENCY = 16;
/** pods the kubectl loop annotates per sample; its time is scaled to all pods (BENCH_LOOP_PODS=2000 for the full loop) */
const LOOP_PODS = Number(process.env.BENCH_LOOP_PODS ?? 100);

export default {
  name: 'annotate',
  title: 'Work across many objects (velero-annotate)',
  compares: `\`kfup run\` of one velero-annotate task (concurrency ${CONCURRENCY}) on ${PROFILES * NOTEBOOKS} notebook pods in ${PROFILES} namespaces, ${LATENCY_MS} ms latency per request, vs a bash loop of one \`kubectl annotate pod --overwrite\` per pod against the same sandbox, vs the same patches from a bare node:http client (this sandbox's floor), vs the bound requests x latency / concurrency`,
  fair: `same sandbox, same latency, same end state (every notebook pod carries ${BACKUP_VOLUMES}); annotations are cleared before every sample; the loop is given the pod and volume names for free (kfup discovers them by reading pods, claims and volumes, and those reads count in its time and its bound); the loop runs ${LOOP_PODS} pods per sample and is scaled linearly to all pods`,
  reps: 3,
  async run({ reps, log }) {
    if (!(await hasTaskType('velero-annotate'))) skip('the velero-annotate task type is not registered in src/modules/index.ts (dist/)');
    const dir = scratchDir('annotate');
    log(`starting a sandbox of ${PROFILES} profiles x ${NOTEBOOKS} notebooks`);
    const sb = await startSandbox({ dir: join(dir, 'sandbox'), profiles: PROFILES, notebooks: NOTEBOOKS, latencyMs: LATENCY_MS });
    try {
      const pods = notebookPods(sb);
      const playbook = writePlaybook(dir, 'annotate.yaml', sb, [{ name: 'Mark EFS volumes for Velero', 'velero-annotate': { cluster: 'blue', concurrency: CONCURRENCY } }]);
      let stateN = 0;
      const requests = [];
      const phases = { task: [], check: [], apply: [] };
      // this process hosts only the sandbox: its CPU time during a kfup run is the emulator's own cost
      const sandboxCpu = [];
      const kfupSide = async () => {
        clearAnnotations(sb);
        const mark = sb.requestLog.mark();
        // NDJSON events: when check finished (task-plan) and the task's own duration (task-end)
        const at = {};
        const onLine = (line, t) => {
          if (!line.startsWith('{')) return;
          const e = JSON.parse(line);
          if (e.type === 'task-start' || e.type === 'task-plan') at[e.type] = t;
          if (e.type === 'task-end') at.end = t;
        };
        const cpu0 = process.cpuUsage();
        const r = await kfup(['run', playbook, '--output', 'json', '--state-dir', join(dir, `state-${stateN++}`)], { cwd: dir, env: sb.env, onLine });
        const cpu = process.cpuUsage(cpu0);
        sandboxCpu.push((cpu.user + cpu.system) / 1000);
        phases.task.push(at.end - at['task-start']);
        phases.check.push(at['task-plan'] - at['task-start']);
        phases.apply.push(at.end - at['task-plan']);
        if (r.code !== 0) throw new Error(`kfup run exited ${r.code}: ${(r.stderr || r.stdout).slice(0, 400)}`);
        const n = annotatedCount(sb);
        if (n !== pods.length) throw new Error(`kfup annotated ${n} of ${pods.length} pods`);
        requests.push(sb.requestLog.since(mark).length);
        return r;
      };
      const sides = [
        { name: 'kfup', run: kfupSide },
        {
          // the same run with no added latency: the CPU cost of client, sandbox and runner, which the bound leaves out
          name: 'kfup 0ms',
          run: async () => {
            sb.traffic.latencyMs = 0;
            try {
              const r = await kfup(['run', playbook, '--state-dir', join(dir, `state-${stateN++}`)], { cwd: dir, env: sb.env, onLine: undefined, ...clearFirst() });
              if (r.code !== 0 || annotatedCount(sb) !== pods.length) throw new Error(`kfup run at 0 ms latency exited ${r.code}`);
              return r;
            } finally {
              sb.traffic.latencyMs = LATENCY_MS;
            }
          },
        },
      ];
      const clearFirst = () => (clearAnnotations(sb), {});
      // the floor: the same patches from a minimal node:http client (bench/lib/bare-patch.js)
      const podsFile = join(dir, 'pods.json');
      writeFileSync(podsFile, JSON.stringify(pods));
      const bareMs = [];
      sides.push({
        name: 'bare client',
        run: async () => {
          clearAnnotations(sb);
          const r = await run(process.execPath, [join(import.meta.dirname, '../lib/bare-patch.js'), sb.clusters.blue.url, podsFile, String(CONCURRENCY), BACKUP_VOLUMES]);
          if (r.code !== 0 || annotatedCount(sb) !== pods.length) throw new Error(`the bare client exited ${r.code}: ${r.stderr.slice(0, 300)}`);
          bareMs.push(Number(r.stdout.trim()));
          return r;
        },
      });
      const kubectl = which('kubectl');
      const sample = pods.slice(0, LOOP_PODS);
      if (kubectl) {
        const script = join(dir, 'loop.sh');
        const list = join(dir, 'pods.txt');
        writeFileSync(list, sample.map((p) => `${p.namespace} ${p.name} ${p.volume}`).join('\n') + '\n');
        // the manual procedure: one kubectl annotate per notebook pod
        writeFileSync(
          script,
          `set -e\nwhile read -r ns pod vol; do\n  kubectl --kubeconfig "$KUBECONFIG_FILE" --context sandbox-blue annotate pod -n "$ns" "$pod" "${BACKUP_VOLUMES}=$vol" --overwrite >/dev/null\ndone < "${list}"\n`,
        );
        sides.push({
          name: 'kubectl loop',
          run: async () => {
            clearAnnotations(sb);
            const r = await run('bash', [script], { env: { KUBECONFIG_FILE: sb.kubeconfigPath } });
            if (r.code !== 0) throw new Error(`kubectl loop exited ${r.code}: ${r.stderr.slice(0, 300)}`);
            if (annotatedCount(sb) !== sample.length) throw new Error('the kubectl loop did not annotate every pod of its sample');
            return r;
          },
        });
      }
      const samples = await alternate(sides, reps, { log, warmup: 0 });
      if (process.env.BENCH_DEBUG) console.log(JSON.stringify(phases), JSON.stringify(requests));
      const kMs = median(samples.kfup.map((s) => s.ms));
      const req = median(requests);
      const bound = (req * LATENCY_MS) / CONCURRENCY;
      const taskMs = median(phases.task);
      const rows = [
        { side: 'kfup run (whole process)', median_ms: kMs, samples_ms: samples.kfup.map((s) => +s.ms.toFixed(0)), peak_rss_mb: median(samples.kfup.map((s) => s.peakRssMb)), note: `${req} requests, includes start-up` },
        { side: 'kfup: the task alone', median_ms: taskMs, samples_ms: phases.task.map((x) => +x.toFixed(0)), note: `check (reads) ${fmt(median(phases.check))}, apply (patches) ${fmt(median(phases.apply))}` },
      ];
      const figures = [];
      if (kubectl) {
        const loopMs = median(samples['kubectl loop'].map((s) => s.ms));
        const scaled = (loopMs * pods.length) / sample.length;
        rows.push({ side: 'kubectl annotate loop', median_ms: scaled, samples_ms: samples['kubectl loop'].map((s) => +s.ms.toFixed(0)), note: `${fmt(loopMs)} for ${sample.length} pods, scaled x${(pods.length / sample.length).toFixed(0)}` });
        figures.push({ name: 'loop / kfup', value: scaled / kMs, unit: 'x', target: '>= 100x', met: scaled / kMs >= 100 });
      } else rows.push({ side: 'kubectl annotate loop', skipped: 'kubectl not found; install it (https://kubernetes.io/docs/tasks/tools/)' });
      rows.push({ side: 'kfup run, 0 ms latency', median_ms: median(samples['kfup 0ms'].map((s) => s.ms)), samples_ms: samples['kfup 0ms'].map((s) => +s.ms.toFixed(0)), note: 'whole process; the CPU floor on this machine' });
      rows.push({ side: 'bare node:http client, the patches', median_ms: median(bareMs), samples_ms: bareMs.map((x) => +x.toFixed(0)), note: `the same ${pods.length} patches, ${CONCURRENCY} at a time, from the least code that sends them: this sandbox's floor` });
      rows.push({ side: 'bound', median_ms: bound, note: `${req} requests x ${LATENCY_MS} ms / ${CONCURRENCY}` });
      rows.push({ side: 'sandbox CPU during a kfup run', median_ms: median(sandboxCpu), samples_ms: sandboxCpu.map((x) => +x.toFixed(0)), note: 'the emulated API server serving those requests, on the same CPUs; the bound counts none of it' });
      figures.push({ name: 'kfup task / bound', value: taskMs / bound, unit: 'x', target: '<= 1.5x', met: taskMs / bound <= 1.5 });
      figures.push({ name: 'kfup whole process / bound', value: kMs / bound, unit: 'x' });
      figures.push({ name: 'kfup patches / bare client patches', value: median(phases.apply) / median(bareMs), unit: 'x' });
      figures.push({ name: 'bare client patches / bound', value: median(bareMs) / bound, unit: 'x' });
      return { pods: pods.length, namespaces: PROFILES, latency_ms: LATENCY_MS, concurrency: CONCURRENCY, requests: req, loop_pods_per_sample: sample.length, rows, figures };
    } finally {
      await sb.stop();
      removeDir(dir);
    }
  },
};

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
