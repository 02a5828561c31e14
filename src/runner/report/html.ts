// The run report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched,
// so it opens from a CI artifact or an e-mail attachment. A Gantt timeline of the tasks (parallel
// groups' tasks on their own rows, overlapping in time), then each task's status, changes with
// their diffs, and notes. Everything in it comes from redacted sources (journal or events).
import { formatDuration } from '../load/duration.js';
import type { ReportTask, RunReport } from './run-report.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const COLORS: Record<string, string> = {
  ok: '#3b8f4e',
  changed: '#d18b00',
  skipped: '#9aa0a6',
  failed: '#c62828',
  deferred: '#7b61c4',
  planned: '#1e6fd9',
  unfinished: '#5f6368',
};
const color = (status: string) => COLORS[status] ?? '#5f6368';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#202124;background:#fafafa}
header{background:#202a44;color:#fff;padding:18px 28px}
header h1{margin:0 0 6px;font-size:20px}
header .meta{opacity:.85;font-size:13px}
main{padding:18px 28px;max-width:1200px}
h2{font-size:16px;margin:26px 0 10px}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.counts .pill{margin-right:6px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e0e0e0;font-size:13px;vertical-align:top}
th{background:#f1f3f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.group td{background:#f6f8fc;font-weight:600}
.gantt{background:#fff;border:1px solid #e0e0e0;overflow-x:auto}
.gantt text{font:12px system-ui,sans-serif;fill:#202124}
.gantt .axis{fill:#5f6368}
section.task{background:#fff;border:1px solid #e0e0e0;border-left:4px solid #ccc;margin:10px 0;padding:8px 14px}
section.task h3{font-size:14px;margin:4px 0}
.where{color:#5f6368;font-size:12px}
pre.diff{background:#f8f9fa;border:1px solid #e8eaed;padding:8px;overflow-x:auto;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;margin:6px 0}
pre.diff .add{color:#137333;background:#e6f4ea;display:block}
pre.diff .del{color:#a50e0e;background:#fce8e6;display:block}
pre.diff .mod{color:#7a4f01;background:#fef7e0;display:block}
pre.diff .hdr{color:#5f6368;display:block}
.error{color:#c62828;font-weight:600}
ul{margin:4px 0 4px 18px;padding:0}
`;

function pill(status: string): string {
  return `<span class="pill" style="background:${color(status)}">${esc(status)}</span>`;
}

const axisStep = (total: number): number => {
  const steps = [10, 50, 100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000];
  return steps.find((s) => total / s <= 10) ?? 3_600_000 * Math.ceil(total / 36_000_000);
};

/** the Gantt chart: one row per task, a hatched segment for its wait, a bar for its run */
export function gantt(tasks: ReportTask[], totalMs: number): string {
  const labelW = 300;
  const chartW = 760;
  const rowH = 22;
  const top = 24;
  const total = Math.max(totalMs, ...tasks.map((t) => t.startMs + t.durationMs), 1);
  const x = (ms: number) => labelW + (Math.max(0, ms) / total) * chartW;
  const h = top + tasks.length * rowH + 8;
  const parts: string[] = [];
  parts.push(`<defs><pattern id="wait" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eceff1"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b0bec5" stroke-width="3"/></pattern></defs>`);
  const step = axisStep(total);
  for (let ms = 0; ms <= total; ms += step) {
    parts.push(`<line x1="${x(ms).toFixed(1)}" y1="${top - 6}" x2="${x(ms).toFixed(1)}" y2="${h}" stroke="#eeeeee"/>`);
    parts.push(`<text class="axis" x="${x(ms).toFixed(1)}" y="14" text-anchor="middle">${esc(formatDuration(ms))}</text>`);
  }
  tasks.forEach((t, i) => {
    const y = top + i * rowH;
    const indent = t.group ? 16 : 0;
    const label = `${t.key}. ${t.name}`;
    const shown = label.length > 40 - indent / 8 ? `${label.slice(0, 38 - indent / 8)}…` : label;
    parts.push(`<g class="row" data-key="${esc(t.key)}" data-status="${esc(t.status)}">`);
    parts.push(`<title>${esc(`${label}: ${t.status}, started at +${formatDuration(t.startMs)}, ran ${formatDuration(t.durationMs)}${t.waitMs ? `, waited ${formatDuration(t.waitMs)}` : ''}`)}</title>`);
    parts.push(`<text x="${6 + indent}" y="${y + 15}"${t.groupKind ? ' font-weight="600"' : ''}>${esc(shown)}</text>`);
    if (t.groupKind) {
      parts.push(`<rect x="${x(t.startMs).toFixed(1)}" y="${y + 3}" width="${Math.max(2, x(t.startMs + t.durationMs) - x(t.startMs)).toFixed(1)}" height="${rowH - 6}" fill="none" stroke="${color(t.status)}" stroke-dasharray="4 2"/>`);
    } else {
      if (t.waitMs > 0) parts.push(`<rect class="wait" x="${x(t.startMs - t.waitMs).toFixed(1)}" y="${y + 5}" width="${(x(t.startMs) - x(t.startMs - t.waitMs)).toFixed(1)}" height="${rowH - 10}" fill="url(#wait)"/>`);
      parts.push(`<rect class="bar" x="${x(t.startMs).toFixed(1)}" y="${y + 3}" width="${Math.max(2, x(t.startMs + t.durationMs) - x(t.startMs)).toFixed(1)}" height="${rowH - 6}" rx="3" fill="${color(t.status)}"/>`);
    }
    parts.push('</g>');
  });
  return `<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${labelW + chartW + 20}" height="${h}" role="img" aria-label="timeline of the run">${parts.join('')}</svg>`;
}

function diffBlock(lines: string[]): string {
  const cls = (l: string) => (l.startsWith('+++') || l.startsWith('---') || l.startsWith('@@') ? 'hdr' : l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : l.startsWith('~') ? 'mod' : '');
  return `<pre class="diff">${lines.map((l) => (cls(l) ? `<span class="${cls(l)}">${esc(l)}</span>` : `${esc(l)}\n`)).join('')}</pre>`;
}

function taskSection(t: ReportTask): string {
  const out: string[] = [`<section class="task" id="task-${esc(t.key)}" style="border-left-color:${color(t.status)}">`];
  out.push(`<h3>${esc(t.key)}. ${esc(t.name)} ${pill(t.status)}</h3>`);
  out.push(`<div class="where">${esc(t.type ?? t.groupKind ?? '')} · started +${esc(formatDuration(t.startMs))} · ran ${esc(formatDuration(t.durationMs))}${t.waitMs ? ` · waited ${esc(formatDuration(t.waitMs))}` : ''}${t.attempts && t.attempts > 1 ? ` · ${t.attempts} attempts` : ''}</div>`);
  if (t.message) out.push(`<p class="error">${esc(t.message)}</p>`);
  if (t.changes.length) {
    out.push('<ul class="changes">');
    for (const c of t.changes) out.push(`<li><b>${esc(c.action)}</b> <code>${esc(c.target)}</code>: ${esc(c.summary)}${c.diff.length ? diffBlock(c.diff) : ''}</li>`);
    out.push('</ul>');
  }
  if (t.notes.length) out.push(`<ul class="notes">${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  out.push('</section>');
  return out.join('');
}

export function renderHtml(r: RunReport): string {
  const counts = new Map<string, number>();
  for (const t of r.tasks) if (!t.groupKind) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const rows = r.tasks.map(
    (t) =>
      `<tr class="${t.groupKind ? 'group' : ''}" data-key="${esc(t.key)}"><td>${esc(t.key)}</td><td>${t.group ? '&nbsp;&nbsp;↳ ' : ''}<a href="#task-${esc(t.key)}">${esc(t.name)}</a></td><td>${esc(t.type ?? (t.groupKind ? `(${t.groupKind})` : ''))}</td><td>${pill(t.status)}</td><td class="num">+${esc(formatDuration(t.startMs))}</td><td class="num">${esc(formatDuration(t.durationMs))}</td><td class="num">${t.waitMs ? esc(formatDuration(t.waitMs)) : ''}</td><td class="num">${t.changes.length || ''}</td></tr>`,
  );
  const modeLabel = r.mode === 'check' ? 'check (plan: nothing was changed)' : r.mode;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>kfup ${esc(r.mode)}: ${esc(r.title)}${r.runId ? ` (${esc(r.runId)})` : ''}</title>
<style>${CSS}</style></head>
<body>
<header><h1>kfup ${esc(r.mode === 'check' ? 'plan' : r.kind)}: ${esc(r.title)}</h1>
<div class="meta">run <b>${esc(r.runId)}</b> · mode ${esc(modeLabel)} · ${esc(r.status)} · started ${esc(r.started)} · took ${esc(formatDuration(r.durationMs))}<br>${esc(r.playbook)}</div></header>
<main>
<div class="counts">${[...counts].map(([s, n]) => `<span class="pill" style="background:${color(s)}">${n} ${esc(s)}</span>`).join('')}</div>
<h2>Timeline</h2>
<div class="gantt">${gantt(r.tasks, r.durationMs)}</div>
<h2>Tasks</h2>
<table id="tasks"><thead><tr><th>#</th><th>Task</th><th>Type</th><th>Status</th><th>Start</th><th>Duration</th><th>Wait</th><th>Changes</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<h2>Changes and notes</h2>
${r.tasks.filter((t) => !t.groupKind).map(taskSection).join('\n')}
</main></body></html>
`;
}
