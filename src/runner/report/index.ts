// Picks the reporter: listr2 on a terminal, plain lines for pipes and CI, NDJSON with
// --output json, Markdown with --format markdown.
import type { Reporter } from './events.js';
import { JsonReporter } from './json.js';
import { MarkdownReporter } from './markdown.js';
import { PlainReporter } from './plain.js';

export interface ReporterOptions {
  output: 'text' | 'json';
  format?: 'markdown';
  diff: boolean;
  verbose?: boolean;
  stream?: NodeJS.WriteStream;
}

export async function makeReporter(opts: ReporterOptions): Promise<Reporter> {
  const stream = opts.stream ?? process.stdout;
  const out = (s: string) => void stream.write(s);
  if (opts.format === 'markdown') return new MarkdownReporter(out, opts.diff);
  if (opts.output === 'json') return new JsonReporter(out, opts.diff);
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
  const color = Boolean(stream.isTTY) && !process.env.NO_COLOR && !ci;
  if (stream.isTTY && !ci && process.env.TERM !== 'dumb') {
    const { ListrReporter } = await import('./listr.js');
    return new ListrReporter(out, { diff: opts.diff, style: { color } });
  }
  return new PlainReporter(out, { diff: opts.diff, style: { color }, verbose: opts.verbose });
}
