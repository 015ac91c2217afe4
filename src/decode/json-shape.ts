/**
 * NDJSON lines read without JSON.parse, when they are laid out like lines seen before.
 *
 * A gateway writes every record of a file with the same keys in the same order (Go, Java and Lua
 * encoders follow the struct or the table), and a format reads a dozen of its thirty-odd fields.
 * JSON.parse builds every string, object and array of the line; on the benchmark's Tyk records that
 * is ~5 µs a line, most of the scan. So once a format is known, this module learns each recurring
 * layout of the file's lines as one regular expression — the keys as literals, each value as the
 * JSON grammar of its type — that captures the values the format reads. A match, one native call,
 * both proves the line is valid JSON (the expression accepts nothing JSON.parse rejects) and hands
 * over the needed values; the rest of the line is never materialised.
 *
 * Exactness: a line is only read here when the expression matches it whole, so JSON.parse would
 * accept it and give a plain object with exactly the learned keys (no duplicates, no envelope);
 * each captured value is decoded to what JSON.parse gives (strings with escapes and all objects
 * and arrays by JSON.parse itself). Everything else (unknown layouts, other types, escaped keys,
 * broken lines) goes to JSON.parse as before, with the same errors. test/decode/json-shape.test.ts
 * compares the two on every fixture and on generated edge cases.
 */

import { recordBuilder, type Capture, type RecordBuild } from './record-builder.js';

/**
 * What a format reads of a decoded record: top-level field names (for a dotted path, each of its
 * prefixes). Readers may leave every other field out.
 */
export type RecordNeeds = readonly string[];

/** Keys an envelope (CloudWatch, Azure archives) is told apart by: lines with them are read whole. */
const ENVELOPE_KEYS = ['logEvents', 'events', 'records'];

const WS = '[ \\t\\n\\r]*';
const PLAIN_CHARS = '[^"\\\\\\x00-\\x1f]*';
const ESCAPE = '\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4})';
const STRING = `"${PLAIN_CHARS}(?:${ESCAPE}${PLAIN_CHARS})*"`;
/** A needed string: its text captured when it has no escapes, else the whole token (two groups). */
const STRING_CAPTURE = `(?:"(${PLAIN_CHARS})"|("${PLAIN_CHARS}(?:${ESCAPE}${PLAIN_CHARS})+")|null)`;
const NUMBER = '-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?';
const SCALAR = `(?:${STRING}|${NUMBER}|true|false|null)`;
/** Nesting of objects whose keys are learned as literals; deeper values take the generic grammar. */
const MAX_LITERAL_DEPTH = 4;
/**
 * Nesting the generic grammar allows, for values that were null when the layout was learned (a
 * value nested deeper makes the line fall back to JSON.parse). Each level multiplies the size of
 * the expression, and large expressions compile slowly.
 */
const GENERIC_DEPTH = 1;
/** Larger layouts are left to JSON.parse. */
const MAX_SOURCE = 64 * 1024;
/** Layouts kept per file, tried most recently used first. */
const MAX_SHAPES = 4;
/** Times a layout must be seen (read by JSON.parse) before it is compiled: one-offs are not worth it. */
const LEARN_AFTER = 2;
/** Layouts compiled per file before giving up (the file's lines have no stable layout). */
const MAX_COMPILED = 24;
/** Lines offered for learning per file: working out a line's layout costs more than parsing it. */
const MAX_LEARN_ATTEMPTS = 1024;
/** Longer lines are left to JSON.parse (a regular expression backtracks over what it scanned). */
const MAX_LINE = 1 << 20;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A key written in JSON exactly as it is (no escapes needed), not an array index (which objects reorder). */
const plainKey = (k: string): boolean => !/["\\\x00-\x1f]/.test(k) && !/^(?:0|[1-9][0-9]*)$/.test(k);

function genericValue(depth: number, w: string): string {
  if (depth === 0) return SCALAR;
  const inner = genericValue(depth - 1, w);
  const object = `\\{${w}(?:${STRING}${w}:${w}${inner}${w}(?:,${w}${STRING}${w}:${w}${inner}${w})*)?\\}`;
  const array = `\\[${w}(?:${inner}${w}(?:,${w}${inner}${w})*)?\\]`;
  return `(?:${STRING}|${NUMBER}|true|false|null|${object}|${array})`;
}

/** The grammar of values like `v` (its type, or null); objects with their keys in order. */
function valuePattern(v: unknown, depth: number, w: string, generic: string): string {
  if (typeof v === 'string') return `(?:${STRING}|null)`;
  if (typeof v === 'number') return `(?:${NUMBER}|null)`;
  if (typeof v === 'boolean') return '(?:true|false|null)';
  if (v === null) return generic;
  if (Array.isArray(v)) {
    // Elements like the sample's (at most three kinds of them), e.g. tags or a list of tries.
    const kinds = [...new Set(v.map((x) => valuePattern(x, depth + 1, w, generic)))];
    if (kinds.length === 0 || kinds.length > 3) return generic;
    const item = kinds.length === 1 ? kinds[0]! : `(?:${kinds.join('|')})`;
    return `(?:\\[${w}(?:${item}${w}(?:,${w}${item}${w})*)?\\]|null)`;
  }
  const keys = Object.keys(v as object);
  if (depth >= MAX_LITERAL_DEPTH || !keys.every(plainKey)) return generic;
  const members = keys.map((k) => `"${escapeRegex(k)}"${w}:${w}${valuePattern((v as Record<string, unknown>)[k], depth + 1, w, generic)}${w}`);
  return `(?:\\{${w}${members.join(`,${w}`)}\\}|null)`;
}

const GENERIC_COMPACT = genericValue(GENERIC_DEPTH, '');
const GENERIC_SPACED = genericValue(GENERIC_DEPTH, WS);

interface Shape {
  regex: RegExp;
  /** The record of the needed fields from a match. */
  build: RecordBuild;
}

/** The JSON value `token` (valid JSON, as the shape proved), as JSON.parse gives it. */
function decodeToken(token: string): unknown {
  switch (token.charCodeAt(0)) {
    case 34:
      return token.indexOf('\\') < 0 ? token.slice(1, -1) : JSON.parse(token);
    case 110:
      return null;
    case 116:
      return true;
    case 102:
      return false;
    case 123:
    case 91:
      return JSON.parse(token);
    default:
      return Number(token);
  }
}

/**
 * One file's NDJSON layouts. `read` gives the needed fields of a line in a learned layout, or
 * undefined (then the caller parses the line and offers the result to `learn`).
 */
export class ShapeReader {
  private readonly needed: Set<string>;
  private shapes: Shape[] = [];
  /** Layouts read by JSON.parse so far, by their expression: how often seen (−1: does not work). */
  private readonly seen = new Map<string, number>();
  private compiled = 0;
  private learnAttempts = 0;
  private hits = 0;
  private misses = 0;
  private disabled: boolean;

  constructor(needs: RecordNeeds) {
    this.needed = new Set(needs);
    // `__proto__` is an own property in JSON.parse's objects but a setter on an object literal.
    this.disabled = this.needed.has('__proto__');
  }

  get active(): boolean {
    return !this.disabled;
  }

  read(line: string): Record<string, unknown> | undefined {
    if (this.disabled || line.length > MAX_LINE) return undefined;
    const shapes = this.shapes;
    for (let s = 0; s < shapes.length; s++) {
      const shape = shapes[s]!;
      let m: RegExpExecArray | null;
      try {
        m = shape.regex.exec(line);
      } catch {
        m = null; // the engine's backtrack stack overflowed: JSON.parse will do
      }
      if (m === null) continue;
      if (s > 0) {
        shapes.splice(s, 1);
        shapes.unshift(shape);
      }
      this.hits++;
      return shape.build(m);
    }
    this.misses++;
    // When most lines are in no learned layout, trying the layouts only adds to JSON.parse.
    if (this.misses >= 256 && this.misses > this.hits) this.disabled = true;
    return undefined;
  }

  /** Offers a line JSON.parse read (to `value`); its layout is learned once it recurs. */
  learn(line: string, value: unknown): void {
    if (this.disabled || line.length > MAX_LINE || typeof value !== 'object' || value === null || Array.isArray(value)) return;
    // The layouts learned so far keep reading; a file whose other lines never settle stops costing.
    if (++this.learnAttempts > MAX_LEARN_ATTEMPTS) return;
    const keys = Object.keys(value);
    if (!keys.every(plainKey) || ENVELOPE_KEYS.some((k) => k in value)) return;
    const record = value as Record<string, unknown>;
    // Compact lines (what encoders write) get the faster expression without whitespace; when that
    // does not match the layout's lines, the one that allows whitespace between tokens.
    let source = this.source(keys, record, '');
    if (this.seen.get(source) === -1) source = this.source(keys, record, WS);
    const count = (this.seen.get(source) ?? 0) + 1;
    if (count <= 0) return;
    if (this.seen.size >= 256) this.seen.clear();
    this.seen.set(source, count);
    if (count < LEARN_AFTER) return;
    if (++this.compiled > MAX_COMPILED) {
      this.disabled = true;
      return;
    }
    const shape = this.compile(source, keys, record);
    if (shape === null || shape.regex.exec(line) === null) {
      this.seen.set(source, -1);
      return;
    }
    this.seen.delete(source);
    this.shapes.unshift(shape);
    if (this.shapes.length > MAX_SHAPES) this.shapes.pop();
  }

  private source(keys: string[], record: Record<string, unknown>, w: string): string {
    const generic = w === '' ? GENERIC_COMPACT : GENERIC_SPACED;
    const members = keys.map((k) => {
      const v = record[k];
      const value = !this.needed.has(k) ? valuePattern(v, 1, w, generic) : captureOf(v) === 'json' ? `(${valuePattern(v, 1, w, generic)})` : capturePattern(captureOf(v));
      return `"${escapeRegex(k)}"${w}:${w}${value}${w}`;
    });
    return `^${w}\\{${w}${members.join(`,${w}`)}\\}${w}$`;
  }

  private compile(source: string, keys: string[], record: Record<string, unknown>): Shape | null {
    if (source.length > MAX_SOURCE) return null;
    let regex: RegExp;
    try {
      regex = new RegExp(source);
    } catch {
      return null; // too large for the engine
    }
    // Capture groups in the order `source` opened them.
    const captures: Capture[] = [];
    let group = 1;
    for (const name of keys) {
      if (!this.needed.has(name)) continue;
      const kind = captureOf(record[name]);
      captures.push({ name, kind, group });
      group += kind === 'string' ? 2 : 1;
    }
    return { regex, build: recordBuilder(captures, { decode: decodeToken }) };
  }
}

/** How a needed value like `v` is captured (src/decode/record-builder.ts). */
function captureOf(v: unknown): Capture['kind'] {
  return typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'json';
}

/** The capturing grammar of a needed scalar: its type, or null. */
function capturePattern(kind: Capture['kind']): string {
  return kind === 'string' ? STRING_CAPTURE : kind === 'number' ? `(?:(${NUMBER})|null)` : '(true|false|null)';
}

/** Readers shared by every chunk of a file decoded on one thread, per format (see ReaderOptions.shareLayouts). */
const shared = new WeakMap<RecordNeeds, ShapeReader>();

/**
 * The ShapeReader every reader on this thread with these needs (one format's `reads`) shares, so
 * that chunks of a file read one after another do not each learn its layouts again.
 */
export function sharedShapeReader(needs: RecordNeeds): ShapeReader {
  let reader = shared.get(needs);
  if (reader === undefined) shared.set(needs, (reader = new ShapeReader(needs)));
  return reader;
}
