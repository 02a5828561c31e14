#!/usr/bin/env node
// Prints bench/results/latest.json as Markdown tables, for the figures in bench/README.md:
//   node bench/markdown.js
import { readFileSync } from 'node:fs';
const j = JSON.parse(readFileSync(new URL('./results/latest.json', import.meta.url), 'utf8'));
const ms = (v) => (v === undefined ? '-' : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(v >= 1 ? 1 : 3)} ms`);
const val = (f) => (f.unit === 'ms' ? ms(f.value) : f.unit === 'x' ? `${f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(2)}x` : f.unit === 'MB' ? `${f.value.toFixed(0)} MB` : `${f.value}`);
console.log(`Machine: ${j.machine.nproc} CPUs (${j.machine.cpu}), ${j.machine.memory_gb} GB RAM, Node ${j.machine.node}, ${j.machine.platform}; written ${j.written}.\n`);
for (const b of Object.values(j.benchmarks).sort((a, b) => a.index - b.index)) {
  console.log(`### ${b.index}. ${b.title}\n`);
  if (b.skipped) { console.log(`Skipped: ${b.skipped}\n`); continue; }
  console.log('| side | median | peak RSS | note |\n| --- | --- | --- | --- |');
  for (const r of b.rows) console.log(`| ${r.side} | ${r.skipped ? 'skipped' : ms(r.median_ms)} | ${r.peak_rss_mb ? r.peak_rss_mb.toFixed(0) + ' MB' : ''} | ${r.skipped ?? r.note ?? ''} |`);
  console.log('\n| figure | value | target | met |\n| --- | --- | --- | --- |');
  for (const f of b.figures ?? []) console.log(`| ${f.name} | ${val(f)} | ${f.target ?? ''} | ${f.met === undefined ? '' : f.met ? 'yes' : '**no**'} |`);
  console.log(`\n(${b.rows.find((r) => r.samples_ms)?.samples_ms.length ?? 0} repetitions per side)\n`);
}
