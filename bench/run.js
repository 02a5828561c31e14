#!/usr/bin/env node
// kfup's benchmarks against the alternatives, side by side in one process run.
//   npm run bench                 every benchmark (builds first)
//   node bench/run.js NAME...     only these (startup, per-task, annotate, wait, upgrade, memory, large-playbook)
//   node bench/run.js --reps 3    repetitions per side (default: each benchmark's own)
// Prints a table per benchmark and writes bench/results/latest.json (earlier results of the
// benchmarks not run this time are kept). What each compares and why it is fair: bench/README.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot, Skip, dist } from './lib/context.js';
import { cleanupScratch } from './lib/proc.js';
import { fmtMs, fmtX, table } from './lib/stats.js';
import startup from './benchmarks/startup.js';
import perTask from './benchmarks/per-task.js';
import annotate from './benchmarks/annotate.js';
import wait from './benchmarks/wait.js';
import upgrade from './benchmarks/upgrade.js';
import memory from './benchmarks/memory.js';
import largePlaybook from './benchmarks/large-playbook.js';

const all = [startup, perTask, annotate, wait, upgrade, memory, largePlaybook];

function parseArgs(argv) {
  const names = [];
  let reps;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--reps') reps = Number(argv[++i]);
    else if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write(`usage: node bench/run.js [--reps N] [${all.map((b) => b.name).join('|')}]...\n`);
      process.exit(0);
    } else names.push(argv[i]);
  }
  const unknown = names.filter((n) => !all.some((b) => b.name === n));
  if (unknown.length) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}; one of ${all.map((b) => b.name).join(', ')}\n`);
    process.exit(2);
  }
  return { selected: names.length ? all.filter((b) => names.includes(b.name)) : all, reps };
}

function fmtValue(f) {
  if (f.value === undefined) return '-';
  if (f.unit === 'ms') return fmtMs(f.value);
  if (f.unit === 'x') return fmtX(f.value);
  if (f.unit === 'MB') return `${f.value.toFixed(1)} MB`;
  return `${typeof f.value === 'number' ? +f.value.toFixed(3) : f.value}${f.unit ? ` ${f.unit}` : ''}`;
}

function print(r) {
  const out = [`\n== ${r.index}. ${r.title} (${r.name})`, `compares: ${r.compares}`, `fair because: ${r.fair}`];
  if (r.skipped) {
    out.push(`skipped: ${r.skipped}`);
    return out.join('\n');
  }
  const hasRss = r.rows.some((x) => x.peak_rss_mb !== undefined);
  const rows = [['side', 'median', ...(hasRss ? ['peak RSS'] : []), 'runs', 'note']];
  for (const x of r.rows) {
    if (x.skipped) rows.push([x.side, 'skipped', ...(hasRss ? [''] : []), '', x.skipped]);
    else rows.push([x.side, fmtMs(x.median_ms), ...(hasRss ? [x.peak_rss_mb === undefined ? '-' : `${x.peak_rss_mb.toFixed(0)} MB`] : []), String(x.samples_ms?.length ?? ''), x.note ?? '']);
  }
  out.push('', table(rows));
  if (r.figures?.length) {
    const figs = [['figure', 'value', 'target', 'met']];
    for (const f of r.figures) figs.push([f.name, fmtValue(f), f.target ?? '', f.met === undefined ? '' : f.met ? 'yes' : 'NO']);
    out.push('', table(figs));
  }
  if (r.notes?.length) out.push('', ...r.notes.map((n) => `note: ${n}`));
  return out.join('\n');
}

const { selected, reps } = parseArgs(process.argv.slice(2));
if (!existsSync(dist('cli.js'))) {
  process.stderr.write('bench: dist/ is not built; run `npm run bench` (which builds) or `npm run build` first\n');
  process.exit(2);
}
const machine = {
  nproc: cpus().length,
  cpu: cpus()[0]?.model,
  memory_gb: +(totalmem() / 2 ** 30).toFixed(1),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
};
process.stdout.write(`kfup benchmarks on ${machine.nproc} CPUs (${machine.cpu}), ${machine.memory_gb} GB, node ${machine.node}\n`);

const resultsFile = join(repoRoot, 'bench/results/latest.json');
let previous = {};
try {
  previous = JSON.parse(readFileSync(resultsFile, 'utf8')).benchmarks ?? {};
} catch {
  /* first run */
}
const results = { ...previous };
let failures = 0;
for (const b of selected) {
  const index = all.indexOf(b) + 1;
  const base = { index, name: b.name, title: b.title, compares: b.compares, fair: b.fair, when: new Date().toISOString() };
  let r;
  const t0 = Date.now();
  try {
    r = { ...base, ...(await b.run({ reps: reps ?? b.reps, log: (m) => process.stderr.write(`[${b.name}] ${m}\n`) })) };
  } catch (e) {
    if (e instanceof Skip) r = { ...base, skipped: e.message };
    else {
      failures++;
      r = { ...base, skipped: `failed: ${e?.message ?? e}` };
      process.stderr.write(`[${b.name}] ${e?.stack ?? e}\n`);
    }
  }
  r.duration_s = +((Date.now() - t0) / 1000).toFixed(1);
  results[b.name] = r;
  process.stdout.write(print(r) + '\n');
}
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(resultsFile, JSON.stringify({ machine, written: new Date().toISOString(), benchmarks: results }, null, 2) + '\n');
process.stdout.write(`\nresults: ${resultsFile}\n`);
cleanupScratch();
process.exit(failures ? 1 : 0);
