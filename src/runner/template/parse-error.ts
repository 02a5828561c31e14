// Handlebars' parse errors, whole and in playbook terms. Its parser reports "Parse error on line
// N:", an excerpt with a caret, and "Expecting ..., got 'X'"; the excerpt drops newlines and keeps
// at most 20 characters either side, so the offset in the template is found again from it. With
// the offset, the error points at the file:line:col of the mistake, not the start of the string.

export interface TemplateSyntaxError {
  message: string;
  hint: string;
  /** offset of the mistake in the template string, when it could be found */
  offset?: number;
}

const TOKEN_WORDS: Record<string, string> = {
  EQUALS: '"="',
  CLOSE: '"}}"',
  EOF: 'the end of the template',
  INVALID: 'a character templates do not allow',
  OPEN: '"{{"',
  ID: 'a name',
  STRING: 'a string',
  NUMBER: 'a number',
  OPEN_ENDBLOCK: '"{{/...}}"',
  CLOSE_SEXPR: '")"',
  OPEN_SEXPR: '"("',
};

/** the offset in `source` that the caret of Handlebars' excerpt points at */
function caretOffset(excerpt: string, caretLine: string, source: string): number | undefined {
  const caret = caretLine.indexOf('^');
  if (caret < 0) return undefined;
  let before = excerpt.slice(0, caret);
  let after = excerpt.slice(caret);
  if (before.startsWith('...')) before = before.slice(3);
  if (after.endsWith('...')) after = after.slice(0, -3);
  // the excerpt has no newlines: search a copy without them, remembering where each character was
  const kept: number[] = [];
  let flat = '';
  for (let i = 0; i < source.length; i++) {
    if (source[i] === '\n') continue;
    kept.push(i);
    flat += source[i];
  }
  const at = flat.indexOf(before + after);
  if (at < 0) return undefined;
  const i = at + before.length;
  return i < kept.length ? kept[i] : source.length;
}

/** the usual mistakes, from what the template says around the error */
function hintFor(source: string, got: string, expecting: string[]): string {
  if (/[^=!<>]==?[^=]|!=|===/.test(source.replace(/\w+=("[^"]*"|'[^']*'|[^\s}]+)/g, '')) && (got === 'EQUALS' || got === 'INVALID')) {
    return 'comparisons are helpers: {{eq a b}}, {{ne a b}}, {{gt a b}}, {{lt a b}}, {{gte a b}}, {{lte a b}} (not a == b)';
  }
  if (/&&|\|\|/.test(source)) return 'logic is helpers too: {{and a b}}, {{or a b}}, {{not a}} (not &&, ||, !)';
  if (/\{\{\s*!/.test(source) && got === 'INVALID') return 'negate with the not helper: {{not a}}';
  if (got === 'EOF' && expecting.includes('OPEN_ENDBLOCK')) return 'a block such as {{#if x}} ... must be closed with {{/if}}';
  if (got === 'INVALID' && /\{\{[^}]*\}(?!\})/.test(source)) return 'close each {{ with }}';
  if (/\{\{[^}]*\{\{/.test(source)) return 'templates do not nest: inside {{ }} use names and helpers, e.g. {{concat a "-" b}}';
  if (got === 'CLOSE' && expecting.includes('ID')) return 'something is missing before "}}": a name after "=", or an argument';
  return 'templates use Handlebars syntax: {{name}}, {{helper arg1 arg2}}, {{#if cond}}...{{/if}}';
}

/** undefined when `message` is not a Handlebars parse error */
export function parseErrorOf(message: string, source: string): TemplateSyntaxError | undefined {
  const m = /^Parse error on line (\d+):\n(.*)\n(-*\^)\n(.*)$/s.exec(message);
  if (!m) return undefined;
  const [, , excerpt, caretLine, detail] = m;
  const gotM = /got '([^']+)'/.exec(detail);
  const got = gotM?.[1] ?? '';
  const expecting = [...detail.matchAll(/'([^']+)'/g)].map((x) => x[1]).filter((x) => x !== got);
  const offset = caretOffset(excerpt, caretLine, source);
  const expected = expecting.map((t) => TOKEN_WORDS[t] ?? t).filter((v, i, a) => a.indexOf(v) === i);
  const where = offset !== undefined ? ` at character ${offset + 1}` : '';
  return {
    message: `template error in ${JSON.stringify(source)}${where}: found ${TOKEN_WORDS[got] ?? got} where Handlebars expects ${expected.length > 4 ? `${expected.slice(0, 4).join(', ')} or ${expected.length - 4} more` : expected.join(' or ')} (${detail.trim()})`,
    hint: hintFor(source, got, expecting),
    offset,
  };
}
