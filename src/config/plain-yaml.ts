/**
 * A fast reader for the plain YAML that configuration files are written in: block mappings and
 * sequences, one-line flow lists and maps, plain and quoted scalars, comments. The `yaml` package
 * builds a document with source positions for every node, which a 500-key policy pays for with
 * ~0.3 s at every start; positions only matter when something is wrong. So a policy is read here
 * first, and read again by `yaml` (with positions) only when it holds anything this reader does not
 * take for certain, or when validation finds a problem to point at.
 *
 * Anything outside the subset makes `readPlainYaml` return null rather than guess: anchors,
 * aliases, tags, block scalars, multi-line scalars or flow collections, tabs, document markers,
 * directives, duplicate keys, non-string keys, escapes beyond the common ones. What it does return
 * equals `yaml`'s `toJS()` under the same options (YAML 1.2 core schema), which
 * test/config/plain-yaml.test.ts checks on every policy in the repository and on generated cases.
 */

export interface PlainYaml {
  value: unknown;
  /** The source text of every plain scalar read as a number, by JSON of its path (see `asWritten`). */
  numbers: Map<string, string>;
}

type Path = (string | number)[];

/** Thrown inside the reader for anything it does not take for certain. */
class NotPlain extends Error {}

const notPlain = (): never => {
  throw new NotPlain();
};

// YAML 1.2 core schema, as the `yaml` package resolves plain scalars (its dist/schema/core).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

const ODD_CHARACTERS = /[\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const NULL_OR_BOOL_START = 'nNtTfF';

/** A plain key: a word as config files write them; anything fancier goes to `yaml`. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

function resolvePlain(text: string): unknown {
  // Most scalars are words: a letter other than the first of null, true and false cannot be
  // anything but a string (numbers start with a digit, a sign or a dot; nulls also with ~).
  const c = text.charCodeAt(0);
  if (((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) && !NULL_OR_BOOL_START.includes(text[0]!)) return text;
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return text[0] === 't' || text[0] === 'T';
  if (INT_OCT.test(text)) return parseInt(text.substring(2), 8);
  if (INT.test(text)) return parseInt(text, 10);
  if (INT_HEX.test(text)) return parseInt(text.substring(2), 16);
  if (FLOAT_NAN.test(text)) return text.slice(-3).toLowerCase() === 'nan' ? NaN : text[0] === '-' ? -Infinity : Infinity;
  if (FLOAT_EXP.test(text) || FLOAT.test(text)) return parseFloat(text);
  return text;
}

/** A key as `yaml` would give it in a JS object: only plain words that resolve to themselves. */
function plainKey(text: string): string {
  if (!PLAIN_KEY.test(text) || resolvePlain(text) !== text || text === '__proto__') notPlain();
  return text;
}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0' };

/** A double-quoted scalar starting at `s[i]` (the quote); returns its value and the index after it. */
function doubleQuoted(s: string, i: number): [string, number] {
  let out = '';
  let j = i + 1;
  for (;;) {
    if (j >= s.length) notPlain(); // continues on the next line
    const c = s[j]!;
    if (c === '"') return [out, j + 1];
    if (c === '\\') {
      const e = s[j + 1];
      if (e !== undefined && e in SIMPLE_ESCAPES) {
        out += SIMPLE_ESCAPES[e];
        j += 2;
        continue;
      }
      const digits = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      const hex = s.slice(j + 2, j + 2 + digits);
      if (digits === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== digits) notPlain();
      const code = parseInt(hex, 16);
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) notPlain();
      out += String.fromCodePoint(code);
      j += 2 + digits;
      continue;
    }
    out += c;
    j++;
  }
}

/** A single-quoted scalar starting at `s[i]`; `''` is a quote. */
function singleQuoted(s: string, i: number): [string, number] {
  let out = '';
  let j = i + 1;
  for (;;) {
    const q = s.indexOf("'", j);
    if (q < 0) notPlain();
    out += s.slice(j, q);
    if (s[q + 1] === "'") {
      out += "'";
      j = q + 2;
      continue;
    }
    return [out, q + 1];
  }
}

/** Only spaces, then optionally a comment, from `i` to the end of the line. */
function restIsEmpty(s: string, i: number): boolean {
  const rest = s.slice(i).trimStart();
  return rest === '' || rest.startsWith('#');
}

/** A plain scalar may not start with an indicator (YAML 1.2 §7.3.3), except `-` before a non-space. */
function checkPlainStart(text: string): void {
  const c = text[0]!;
  if ('?:,[]{}#&*!|>\'"%@`'.includes(c)) notPlain();
  if (c === '-' && (text.length === 1 || text[1] === ' ')) notPlain();
}

class Reader {
  readonly numbers = new Map<string, string>();

  scalarPlain(text: string, path: Path): unknown {
    checkPlainStart(text);
    if (text.includes(': ') || text.endsWith(':') || text.includes(' #')) notPlain();
    const value = resolvePlain(text);
    if (typeof value === 'number') this.numbers.set(JSON.stringify(path), text);
    return value;
  }

  /** A value on one line from `s[i]`: a quoted or plain scalar or a flow collection, then only a comment. */
  inlineValue(s: string, i: number, path: Path): unknown {
    const c = s[i];
    if (c === '"' || c === "'") {
      const [value, end] = c === '"' ? doubleQuoted(s, i) : singleQuoted(s, i);
      if (!restIsEmpty(s, end)) notPlain();
      return value;
    }
    if (c === '[' || c === '{') {
      const [value, end] = c === '[' ? this.flowSeq(s, i, path) : this.flowMap(s, i, path);
      if (!restIsEmpty(s, end)) notPlain();
      return value;
    }
    const hash = s.indexOf(' #', i);
    const text = (hash < 0 ? s.slice(i) : s.slice(i, hash)).trimEnd();
    return this.scalarPlain(text, path);
  }

  /** One item of a flow collection from `s[i]`: quoted or plain (no nesting); returns value and end. */
  flowItem(s: string, i: number, path: Path, stops: string): [unknown, number] {
    const c = s[i];
    if (c === '"' || c === "'") return c === '"' ? doubleQuoted(s, i) : singleQuoted(s, i);
    let j = i;
    while (j < s.length && !stops.includes(s[j]!)) j++;
    const text = s.slice(i, j).trimEnd();
    if (text === '' || /[\[\]{}"']| #/.test(text)) notPlain();
    return [this.scalarPlain(text, path), j];
  }

  flowSeq(s: string, i: number, path: Path): [unknown[], number] {
    const out: unknown[] = [];
    let j = skipSpaces(s, i + 1);
    if (s[j] === ']') return [out, j + 1];
    for (;;) {
      const [value, end] = this.flowItem(s, j, [...path, out.length], ',]');
      out.push(value);
      j = skipSpaces(s, end);
      if (s[j] === ']') return [out, j + 1];
      if (s[j] !== ',') notPlain();
      j = skipSpaces(s, j + 1);
      if (s[j] === ']' || s[j] === ',') notPlain(); // an empty entry
    }
  }

  flowMap(s: string, i: number, path: Path): [Record<string, unknown>, number] {
    const out: Record<string, unknown> = {};
    let j = skipSpaces(s, i + 1);
    if (s[j] === '}') return [out, j + 1];
    for (;;) {
      const colon = s.indexOf(':', j);
      if (colon < 0) notPlain();
      const key = plainKey(s.slice(j, colon).trimEnd());
      if (key in out || s[colon + 1] !== ' ') notPlain();
      const [value, end] = this.flowItem(s, skipSpaces(s, colon + 1), [...path, key], ',}');
      out[key] = value;
      j = skipSpaces(s, end);
      if (s[j] === '}') return [out, j + 1];
      if (s[j] !== ',') notPlain();
      j = skipSpaces(s, j + 1);
      if (s[j] === '}' || s[j] === ',') notPlain();
    }
  }
}

const skipSpaces = (s: string, i: number): number => {
  while (s[i] === ' ') i++;
  return i;
};

interface Line {
  indent: number;
  /** The line without its indentation. */
  text: string;
}

/** `key: value` or `key:` at the start of `text`: the key and where the value starts (-1: none). */
function entryOf(text: string): { key: string; value: number } | null {
  let colon = text.indexOf(': ');
  if (colon < 0 && text.endsWith(':')) colon = text.length - 1;
  if (colon < 0) {
    const hash = text.indexOf(' #');
    if (hash > 0 && text[hash - 1] === ':') colon = hash - 1;
    else return null;
  }
  const key = text.slice(0, colon);
  if (key.startsWith('"') || key.startsWith("'")) notPlain();
  const value = skipSpaces(text, colon + 1);
  return { key: plainKey(key.trimEnd()), value: restIsEmpty(text, value) ? -1 : value };
}

/**
 * Reads `text` if it is plain YAML (see above), giving what `yaml`'s `toJS()` gives; null when it
 * is not, or not certainly.
 */
export function readPlainYaml(text: string): PlainYaml | null {
  // A BOM, tabs, control characters or lone surrogates: let `yaml` judge them.
  if (text.charCodeAt(0) === 0xfeff || ODD_CHARACTERS.test(text)) return null;
  const lines: Line[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const body = line.trimStart();
    if (body === '' || body.startsWith('#')) continue;
    const c = line.charCodeAt(0);
    if (((c === 45 || c === 46) && /^(?:---|\.\.\.)(?:\s|$)/.test(line)) || c === 37 || line.includes('\r')) return null;
    lines.push({ indent: line.length - body.length, text: body });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return null;
  const reader = new Reader();
  let pos = 0;

  const mapping = (indent: number, path: Path, first?: Line): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    let pending: Line | undefined = first;
    for (;;) {
      const line = pending ?? lines[pos];
      if (line === undefined || line.indent < indent) return out;
      if (line.indent > indent) notPlain();
      if (line.text.startsWith('- ') || line.text === '-') return out; // a sequence at the parent's indentation ends the map
      if (pending) pending = undefined;
      else pos++;
      const entry = entryOf(line.text);
      if (entry === null) notPlain();
      const { key, value } = entry!;
      if (Object.prototype.hasOwnProperty.call(out, key)) notPlain();
      const at = [...path, key];
      if (value >= 0) out[key] = reader.inlineValue(line.text, value, at);
      else {
        const next = lines[pos];
        if (next !== undefined && next.indent > indent) out[key] = block(next.indent, at);
        else if (next !== undefined && next.indent === indent && (next.text.startsWith('- ') || next.text === '-')) out[key] = sequence(indent, at);
        else out[key] = null;
      }
    }
  };

  const sequence = (indent: number, path: Path): unknown[] => {
    const out: unknown[] = [];
    for (;;) {
      const line = lines[pos];
      if (line === undefined || line.indent < indent) return out;
      if (line.indent > indent) notPlain();
      if (!line.text.startsWith('- ')) return out;
      pos++;
      const offset = skipSpaces(line.text, 2);
      const item = line.text.slice(offset);
      const at = [...path, out.length];
      if (item === '' || item.startsWith('#') || item.startsWith('- ') || item === '-') notPlain();
      // `- key: value` starts a mapping whose keys line up with `key`.
      const entry = item.startsWith('"') || item.startsWith("'") || item.startsWith('[') || item.startsWith('{') ? null : entryOf(item);
      if (entry !== null) out.push(mapping(indent + offset, at, { indent: indent + offset, text: item }));
      else out.push(reader.inlineValue(item, 0, at));
    }
  };

  const block = (indent: number, path: Path): unknown => {
    const line = lines[pos]!;
    return line.text.startsWith('- ') || line.text === '-' ? sequence(indent, path) : mapping(indent, path);
  };

  try {
    const value = block(0, []);
    if (pos !== lines.length) return null;
    return { value, numbers: reader.numbers };
  } catch (e) {
    if (e instanceof NotPlain) return null;
    throw e;
  }
}
