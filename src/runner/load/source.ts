// YAML loading that keeps every node's position, so that every later error can name file:line:col.
import { closeSync, fstatSync, openSync, readSync, constants as fsConstants } from 'node:fs';
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

/**
 * the largest input file read, in bytes: KFUP_MAX_FILE_BYTES raises it. A playbook is a few
 * hundred KB; kfup's peak memory is about 100 bytes per byte of playbook (the yaml document keeps
 * every node's position), so 4 MiB keeps the largest accepted playbook under the stated 512 MB
 * (bench/benchmarks/large-playbook.js measures it)
 */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024;
export const maxFileBytes = (): number => {
  const n = Number(process.env.KFUP_MAX_FILE_BYTES);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_FILE_BYTES;
};

// How deeply a file's mappings and lists may nest: a playbook needs a dozen levels, a Kubernetes
// manifest in a parameter a few dozen more. Deeper input is refused before any recursive walk.
export const MAX_DEPTH = 200;

/**
 * The bytes of a regular file, at most maxFileBytes(). A FIFO, a device (/dev/zero), a socket or
 * a directory is refused before a byte is read (it could block forever or never end). The file is
 * opened non-blocking and checked on the open descriptor, so a swap after the check changes nothing.
 */
export function readRegularFile(path: string, display = path): Buffer {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `file not found: ${display}` : `cannot read ${display}: ${(e as Error).message}`,
      { hint: code === 'ENOENT' ? 'check the path; relative paths are resolved from the current directory' : undefined },
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isFIFO() ? 'a named pipe (FIFO)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new UserError(`cannot read ${display}: it is ${kind}, not a regular file`, { hint: 'kfup reads playbooks, environment and vars files only from regular files; save the content to a file first' });
    }
    const cap = maxFileBytes();
    if (st.size > cap) throw tooLarge(display, cap);
    // read at most cap + 1 bytes: a file that grows while it is read is still bounded
    const buf = Buffer.alloc(Math.min(st.size, cap) + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > cap) throw tooLarge(display, cap);
      if (got === buf.length) break;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

const tooLarge = (display: string, cap: number) =>
  new UserError(`cannot read ${display}: it is larger than ${cap} bytes, the most kfup reads from one file`, {
    hint: 'split it, or raise the limit with the environment variable KFUP_MAX_FILE_BYTES (in bytes)',
  });

/** UTF-8 text of a file's bytes; invalid bytes are refused at their line (never turned into U+FFFD) */
export function decodeUtf8(bytes: Buffer, display: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const lo = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, lo);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const col = lo - (before.lastIndexOf(0x0a) + 1) + 1;
    throw new UserError(`${display} is not valid UTF-8 text (byte 0x${(bytes[lo] ?? 0).toString(16).padStart(2, '0')} at byte offset ${lo})`, {
      pos: { file: display, line, col },
      hint: 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)',
    });
  }
}

/** the offset of the first byte that does not start or continue a well-formed UTF-8 sequence (RFC 3629 §4) */
function firstInvalidUtf8(b: Uint8Array): number {
  const cont = (x: number | undefined, lo = 0x80, hi = 0xbf) => x !== undefined && x >= lo && x <= hi;
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    // the lead byte fixes the length and the range of the second byte (no overlongs, no surrogates)
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (!cont(b[i + 1], lo, hi)) return i;
    for (let k = 2; k <= n; k++) if (!cont(b[i + k])) return i;
    i += n + 1;
  }
  return b.length;
}

export function loadYamlFile(path: string, display = path): SourceFile {
  return parseYaml(decodeUtf8(readRegularFile(path, display), display), display);
}

export function parseYaml(text: string, display: string): SourceFile {
  const lines = new LineCounter();
  // YAML 1.2 core schema: `no`, `on`, `yes` stay strings; duplicate keys are errors. logLevel
  // 'error': the yaml library must not print its own warnings (e.g. an unknown !!tag) to stderr.
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lines, version: '1.2', schema: 'core', uniqueKeys: true, prettyErrors: false, logLevel: 'error' });
  } catch (e) {
    if (e instanceof RangeError) throw new UserError('the YAML is nested too deeply to read', { pos: { file: display, line: 1, col: 1 }, hint: `a playbook needs far fewer than ${MAX_DEPTH} levels; look for runaway brackets or indentation` });
    throw e;
  }
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
  checkDepth(doc, lines, display);
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

/** refuses a document nested deeper than MAX_DEPTH, at the first node past it; iterative, so it cannot overflow */
function checkDepth(doc: Document.Parsed, lines: LineCounter, display: string): void {
  const stack: [unknown, number][] = [[doc.contents, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_DEPTH) {
      const { line, col } = lines.linePos((node as Node).range?.[0] ?? 0);
      throw new UserError(`the YAML is nested too deeply: more than ${MAX_DEPTH} levels`, {
        pos: { file: display, line, col },
        hint: 'a playbook needs far fewer levels than this; look for runaway brackets or indentation',
      });
    }
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        stack.push([item.key, depth + 1], [item.value, depth + 1]);
      } else stack.push([item, depth + 1]);
    }
  }
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
