// YAML loading that keeps every node's position, so that every later error can name file:line:col.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import { UserError, type SourcePos } from '../errors.js';

/** a file's parsed document and its raw text, kept for positions and excerpts */
export interface SourceFile {
  path: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
}

export type YamlPath = (string | number)[];

// Aliases expand into copies; past this many the file is treated as an alias bomb.
const MAX_ALIAS_COUNT = 200;

export function loadYamlFile(path: string, display = path): SourceFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `file not found: ${display}` : `cannot read ${display}: ${(e as Error).message}`,
      { hint: code === 'ENOENT' ? 'check the path; relative paths are resolved from the current directory' : undefined },
    );
  }
  return parseYaml(text, display);
}

export function parseYaml(text: string, display: string): SourceFile {
  const lines = new LineCounter();
  // YAML 1.2 core schema: `no`, `on`, `yes` stay strings; duplicate keys are errors. logLevel
  // 'error': the yaml library must not print its own warnings (e.g. an unknown !!tag) to stderr.
  const doc = parseDocument(text, { lineCounter: lines, version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
  const first = doc.errors[0];
  if (first) {
    const offset = first.pos[0];
    const { line, col } = lines.linePos(offset);
    const dup = first.code === 'DUPLICATE_KEY';
    const tooDeep = /Maximum call stack/.test(first.message);
    const message = dup
      ? 'duplicate key in a mapping'
      : tooDeep
        ? 'the YAML is nested too deeply to read'
        : `YAML syntax error: ${first.message.split('\n')[0].replace(/ at line \d+, column \d+.*$/, '')}`;
    throw new UserError(message, {
      pos: { file: display, line, col },
      hint: dup ? 'each key may appear once per mapping; remove or rename one of them' : tooDeep ? 'a playbook needs far fewer levels than this; look for runaway brackets or indentation' : yamlHint(first.code),
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const msg = (e as Error).message;
    if (/alias/i.test(msg)) {
      throw new UserError('too many alias expansions (a YAML "billion laughs" file?)', {
        pos: { file: display, line: 1, col: 1 },
        hint: `a playbook may expand aliases at most ${MAX_ALIAS_COUNT} times; write the repeated content out or use vars`,
      });
    }
    throw new UserError(`YAML error: ${msg}`, { pos: { file: display, line: 1, col: 1 } });
  }
  return { path: display, text, doc, lines, value };
}

function yamlHint(code: string): string | undefined {
  switch (code) {
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation: nested keys use more spaces than their parent, and the same number as their siblings';
    case 'TAB_AS_INDENT':
      return 'YAML indentation uses spaces, not tabs';
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a key must fit on one line; did you forget a ":" or quotes?';
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'did you forget a ":" after a key, or a "- " before a list item?';
    default:
      return 'a value with ":", "{" or "#" in it may need quotes';
  }
}

/** the node at a path, or the deepest ancestor that exists */
function nodeAt(doc: Document.Parsed, path: YamlPath, wantKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  let keyNode: unknown;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return node;
      keyNode = pair.key;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!item) return node;
      keyNode = undefined;
      node = item;
    } else {
      return node as Node;
    }
  }
  return (wantKey && keyNode ? keyNode : node) as Node;
}

/** file:line:col of a path in the document (the value's start, or with key=true the key's) */
export function positionOf(src: SourceFile, path: YamlPath, key = false): SourcePos {
  const node = nodeAt(src.doc, path, key);
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = src.lines.linePos(offset);
  return { file: src.path, line, col };
}

/**
 * file:line:col of a character inside a string value: exact for a one-line plain or quoted
 * scalar whose text is the value as written (no escapes before it), else the value's start.
 */
export function positionIn(src: SourceFile, path: YamlPath, offset: number | undefined): SourcePos {
  const start = positionOf(src, path);
  if (offset === undefined) return start;
  const node = nodeAt(src.doc, path, false);
  if (!node || !isScalar(node) || typeof node.value !== 'string' || !node.range) return start;
  const quote = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : node.type === 'PLAIN' ? 0 : -1;
  if (quote < 0) return start;
  const raw = src.text.slice(node.range[0] + quote, node.range[0] + quote + offset);
  if (raw.includes('\n') || raw !== node.value.slice(0, offset)) return start;
  return { ...start, col: start.col + quote + offset };
}
