// Merging scrape jobs into a prometheus.yml by job_name: a job of the same name is replaced, a new
// one appended, everything else kept byte for byte. The yaml Document locates the jobs; the text
// is edited only inside their ranges (comments, quoting and indentation elsewhere survive). If the
// edited text does not parse back to exactly the merged document, the Document itself is
// re-serialised instead (correct, only less faithful to the original layout).
import { isMap, isSeq, parseDocument, stringify, YAMLMap, YAMLSeq, type Document } from 'yaml';
import { isJsonObject as isObj, jsonEqual, type JsonObject } from '../kit/index.js';

export interface ScrapeJob {
  /** the job as data */
  value: JsonObject;
  /** its YAML text at column 0 (kept as written, e.g. from the template); default stringified */
  source?: string;
}

export interface MergeResult {
  text: string;
  added: string[];
  replaced: string[];
}

export class ScrapeConfigError extends Error {}

/** a job's job_name (a string: the schema and jobsFromYaml make sure of it) */
const nameOf = (job: ScrapeJob): string => {
  const n = job.value.job_name;
  return typeof n === 'string' ? n : JSON.stringify(n);
};

const colOf = (text: string, pos: number): number => pos - (text.lastIndexOf('\n', pos - 1) + 1);

/** first line as is, the following ones shifted right by `col` (blank lines stay blank) */
const indentBody = (src: string, col: number): string =>
  src
    .split('\n')
    .map((l, i) => (i === 0 || l === '' ? l : ' '.repeat(col) + l))
    .join('\n');

/** the items of a YAML sequence as jobs, each with its own text re-based to column 0 */
export function jobsFromYaml(text: string, where: string): ScrapeJob[] {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ScrapeConfigError(`${where}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  if (!isSeq(doc.contents)) throw new ScrapeConfigError(`${where}: expected a list of scrape jobs`);
  return doc.contents.items.map((item, i) => {
    const value = (item as { toJSON(): unknown }).toJSON();
    if (!isObj(value) || typeof value.job_name !== 'string') throw new ScrapeConfigError(`${where}: item ${i + 1} has no job_name`);
    const range = (item as { range?: [number, number, number] }).range;
    if (!range) return { value };
    const col = colOf(text, range[0]);
    const body = text
      .slice(range[0], range[1])
      .replace(/\s+$/, '')
      .split('\n')
      .map((l, j) => (j === 0 ? l : l.startsWith(' '.repeat(col)) ? l.slice(col) : l.trimStart()))
      .join('\n');
    return { value, source: body + '\n' };
  });
}

function parse(text: string): Document.Parsed {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new ScrapeConfigError(`invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new ScrapeConfigError('the document is not a mapping');
  return doc;
}

export function mergeScrapeJobs(text: string, jobs: ScrapeJob[]): MergeResult {
  const doc = parse(text);
  const data = (doc.toJSON() ?? {}) as JsonObject;
  const existing = data.scrape_configs ?? [];
  if (!Array.isArray(existing)) throw new ScrapeConfigError('scrape_configs is not a list');
  const merged = [...existing];
  const added: string[] = [];
  const replaced: { index: number; job: ScrapeJob }[] = [];
  const appended: ScrapeJob[] = [];
  for (const job of jobs) {
    const name = nameOf(job);
    const i = merged.findIndex((j) => isObj(j) && j.job_name === name);
    if (i < 0) {
      merged.push(job.value);
      appended.push(job);
      added.push(name);
    } else if (!jsonEqual(merged[i], job.value)) {
      merged[i] = job.value;
      replaced.push({ index: i, job });
    }
  }
  const result = { added, replaced: replaced.map((r) => nameOf(r.job)) };
  if (!added.length && !replaced.length) return { text, ...result };
  const expected = { ...data, scrape_configs: merged };

  const spliced = splice(text, doc, replaced, appended);
  if (spliced !== undefined) {
    try {
      if (jsonEqual(parse(spliced).toJSON(), expected)) return { text: spliced, ...result };
    } catch {
      // fall through to the Document route
    }
  }
  return { text: viaDocument(doc, replaced, appended), ...result };
}

const sourceOf = (job: ScrapeJob): string => (job.source ?? stringify(job.value)).replace(/\n+$/, '');

/** text edits inside the ranges of the job items; undefined when the layout is not a plain block list */
function splice(text: string, doc: Document.Parsed, replaced: { index: number; job: ScrapeJob }[], appended: ScrapeJob[]): string | undefined {
  const seq = isMap(doc.contents) ? doc.contents.get('scrape_configs', true) : undefined;
  if (!isSeq(seq) || seq.flow || !seq.items.length || !seq.range) return undefined;
  const ranges = seq.items.map((it) => (it as { range?: [number, number, number] }).range);
  if (ranges.some((r) => !r)) return undefined;
  const edits: { at: number; end: number; text: string }[] = [];
  for (const { index, job } of replaced) {
    const [start, end] = ranges[index]!;
    const trailing = /\n*$/.exec(text.slice(start, end))![0];
    edits.push({ at: start, end, text: indentBody(sourceOf(job), colOf(text, start)) + trailing });
  }
  if (appended.length) {
    const last = ranges[ranges.length - 1]!;
    const dashCol = colOf(text, seq.range[0]);
    const itemCol = colOf(text, last[0]);
    const pad = ' '.repeat(Math.max(1, itemCol - dashCol - 1));
    // blank lines between the existing items are kept for the new ones
    const gap = ranges.length > 1 ? text.slice(ranges[ranges.length - 2]![1], last[0]) : '';
    const blank = gap.includes('\n');
    const endsWithNewline = text.slice(0, last[1]).endsWith('\n');
    const items = appended.map((j) => `${' '.repeat(dashCol)}-${pad}${indentBody(sourceOf(j), itemCol)}`);
    let insert = items.join(blank ? '\n\n' : '\n');
    insert = endsWithNewline ? (blank ? '\n' : '') + insert + '\n' : '\n' + (blank ? '\n' : '') + insert;
    edits.push({ at: last[1], end: last[1], text: insert });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}

function viaDocument(doc: Document.Parsed, replaced: { index: number; job: ScrapeJob }[], appended: ScrapeJob[]): string {
  const copy: Document = doc.clone();
  let root = copy.contents;
  if (!isMap(root)) {
    root = new YAMLMap();
    copy.contents = root;
  }
  const found: unknown = root.get('scrape_configs', true);
  const seq = isSeq(found) ? found : new YAMLSeq();
  if (seq !== found) root.set('scrape_configs', seq);
  seq.flow = false;
  for (const { index, job } of replaced) seq.items[index] = copy.createNode(job.value);
  for (const job of appended) seq.add(copy.createNode(job.value));
  return copy.toString();
}
