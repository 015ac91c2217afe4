import { Skip, skip } from '../model/skip.js';
import { ShapeReader, sharedShapeReader, type RecordNeeds } from './json-shape.js';
import { recordBuilder, type RecordBuild } from './record-builder.js';
import { decodeJsonLine, jsonErrorDetail } from './ndjson.js';

export type { RecordNeeds } from './json-shape.js';

/**
 * How records are framed in a file, found from its first line: one JSON value per line, one JSON
 * document for the whole file (pretty-printed exports), CSV with a header, logfmt (`k=v k="v"`),
 * or the combined/common access-log text of NGINX and Apache. Each reader turns lines into record
 * objects with the line each record starts on; formats then map those objects.
 */
export type Framing = 'ndjson' | 'json-document' | 'csv' | 'logfmt' | 'clf';

/** Which mappings a framing can feed: both JSON framings give JSON objects. */
export function containerOf(framing: Framing): 'json' | 'csv' | 'logfmt' | 'clf' {
  return framing === 'ndjson' || framing === 'json-document' ? 'json' : framing;
}

export interface RecordSink {
  record(record: Record<string, unknown>, line: number): void;
  skip(line: number, s: Skip): void;
}

export interface RecordReader {
  line(text: string, line: number): void;
  end(): void;
}

const CLF_LINE = /^(?:(\S+) )?(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?/;
const LOGFMT_START = /^[A-Za-z_][\w.-]*=(?:"(?:[^"\\]|\\.)*"|\S*)(?:\s+[A-Za-z_][\w.-]*=(?:"(?:[^"\\]|\\.)*"|\S*)){2,}/;
/** CloudWatch's S3 export prefixes each message with its ISO time: `2020-02-20T07:01:01.000Z {...}`. */
export const TIME_PREFIX = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z (?=[{[])/;

/** Non-blank lines looked at to pick the framing: one broken first line must not decide it. */
export const SNIFF_LINES = 5;

/** A whole JSON object or array on one unindented line (an NDJSON record, not a pretty-printed fragment). */
function isJsonLine(line: string): boolean {
  const c = line.charCodeAt(0);
  if (c !== 123 && c !== 91) return false;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}

/**
 * Picks the framing from a file's first non-blank lines (up to SNIFF_LINES): NDJSON when the first
 * is a JSON record, or when it opens JSON it does not complete but most lines after it are records
 * (a truncated first line), else a whole-file JSON document; NDJSON also when the first is not
 * JSON at all but a later line is; then combined-log or logfmt text by shape; else CSV.
 */
export function sniffFraming(lines: string | string[]): Framing {
  const list = (typeof lines === 'string' ? [lines] : lines).map((l) => l.replace(TIME_PREFIX, ''));
  const first = list[0]?.trimStart() ?? '';
  if (first.startsWith('{') || first.startsWith('[')) {
    if (isJsonLine(list[0]!)) return 'ndjson';
    // A document's lines mostly fail alone (trailing commas); after a truncated NDJSON line
    // the records that follow parse.
    const rest = list.slice(1);
    return rest.length > 0 && rest.filter(isJsonLine).length * 2 > rest.length ? 'ndjson' : 'json-document';
  }
  if (list.some(isJsonLine)) return 'ndjson';
  if (list.some((l) => CLF_LINE.test(l.trimStart()))) return 'clf';
  if (list.some((l) => LOGFMT_START.test(l.trimStart()))) return 'logfmt';
  return 'csv';
}

/**
 * A flat copy of a line. Lines are slices of 256 KiB blocks of input, and V8 keeps a whole block
 * alive while any slice of it lives: CSV, logfmt and combined-log cells are slices of their line,
 * and a few of them live on (an incident's IP, key, actions). Copying the line once per record
 * bounds what they can pin to the line itself. (JSON.parse copies, so NDJSON needs none.)
 */
function ownLine(text: string): string {
  return (' ' + text).slice(1);
}

// ---------------------------------------------------------------------------------------------
// Wrappers: exports that carry log records inside an envelope. Unwrapped before format detection.

/**
 * Expands an envelope into the records it carries, or returns null for a plain record:
 * CloudWatch subscription / Firehose (`logEvents[].message`), `aws logs filter-log-events`
 * output (`events[].message`), Azure storage archives (`records[]`). Messages are JSON text.
 */
function unwrapEnvelope(r: Record<string, unknown>, line: number, sink: RecordSink): boolean {
  const events = Array.isArray(r.logEvents) ? r.logEvents : Array.isArray(r.events) && !('logEvents' in r) ? r.events : null;
  if (events && (r.logEvents !== undefined || events.every((e) => typeof e === 'object' && e !== null && 'message' in e))) {
    if (r.messageType === 'CONTROL_MESSAGE') return true; // CloudWatch's own health messages: not records
    for (const e of events) {
      const message = (e as { message?: unknown }).message;
      if (typeof message !== 'string') {
        sink.skip(line, skip('not-an-object', 'CloudWatch event without a message'));
        continue;
      }
      const inner = decodeJsonLine(message.trim());
      if (inner instanceof Skip) sink.skip(line, inner);
      else sink.record(inner, line);
    }
    return true;
  }
  if (Array.isArray(r.records) && Object.keys(r).length <= 2) {
    for (const item of r.records) {
      if (typeof item === 'object' && item !== null && !Array.isArray(item)) sink.record(item as Record<string, unknown>, line);
      else sink.skip(line, skip('not-an-object', typeof item));
    }
    return true;
  }
  return false;
}

function emit(value: unknown, line: number, sink: RecordSink): void {
  if (Array.isArray(value)) {
    // Kong http-log batches and JSON-array exports: one record per object; other values in the
    // array make one skip for the line, not one per value.
    const others = value.filter((item) => typeof item !== 'object' || item === null || Array.isArray(item));
    if (others.length > 0) sink.skip(line, skip('not-an-object', `array with ${others.length} value${others.length === 1 ? '' : 's'} that ${others.length === 1 ? 'is' : 'are'} not objects`));
    for (const item of value) if (!others.includes(item)) emit(item, line, sink);
    return;
  }
  if (typeof value !== 'object' || value === null) {
    sink.skip(line, skip('not-an-object', value === null ? 'null' : typeof value));
    return;
  }
  const r = value as Record<string, unknown>;
  if ((r.logEvents !== undefined || r.events !== undefined || r.records !== undefined) && unwrapEnvelope(r, line, sink)) return;
  sink.record(r, line);
}

// ---------------------------------------------------------------------------------------------

/**
 * What the format of the file reads of each record, once it is known (undefined before, or when
 * the format does not say): readers may then leave the other fields out.
 */
export type NeedsOf = () => RecordNeeds | undefined;

export interface ReaderOptions {
  /** CSV without a header row: cells are keyed "1", "2", … (for --map by column number). */
  noHeader?: boolean;
  needs?: NeedsOf;
  /**
   * NDJSON: share the learned layouts with every other reader of this thread that has the same
   * needs (for a file read in chunks, each with its own reader); else each reader learns its own.
   */
  shareLayouts?: boolean;
  /** CSV read from a record in the middle of the file (a worker's chunk): the file's header and separator. */
  layout?: CsvLayout;
}

export function ndjsonReader(sink: RecordSink, needs?: NeedsOf, shareLayouts = false): RecordReader {
  // Lines in a layout seen before are read by one expression match (src/decode/json-shape.ts).
  let shapes: ShapeReader | null = null;
  let shapesFor: RecordNeeds | undefined;
  return {
    line(text, line) {
      const c = text.charCodeAt(0);
      const body = c >= 48 && c <= 57 && TIME_PREFIX.test(text) ? text.replace(TIME_PREFIX, '') : text;
      if (needs !== undefined) {
        const wanted = needs();
        if (wanted !== shapesFor) {
          shapesFor = wanted;
          shapes = wanted === undefined ? null : shareLayouts ? sharedShapeReader(wanted) : new ShapeReader(wanted);
        }
        if (shapes !== null) {
          const record = shapes.read(body);
          if (record !== undefined) return sink.record(record, line);
        }
      }
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch (e) {
        sink.skip(line, skip('bad-json', jsonErrorDetail(e)));
        return;
      }
      shapes?.learn(body, value);
      emit(value, line, sink);
    },
    end() {},
  };
}

/** Largest whole-file JSON document read into memory; bigger exports should be NDJSON. */
export const MAX_DOCUMENT_CHARS = 256 * 1024 * 1024;

/**
 * A file that is one JSON document (a pretty-printed object or array). Array elements get the
 * line their text starts on, found by a scan that tracks strings and nesting depth.
 */
export function jsonDocumentReader(sink: RecordSink): RecordReader {
  const parts: string[] = [];
  let size = 0;
  let firstLine = 0;
  let tooBig = false;
  return {
    line(text, line) {
      if (tooBig) return;
      if (firstLine === 0) firstLine = line;
      // keep line numbering exact: pad the lines before the first one
      while (parts.length < line - firstLine) parts.push('');
      parts.push(text);
      size += text.length + 1;
      if (size > MAX_DOCUMENT_CHARS) {
        tooBig = true;
        sink.skip(firstLine, skip('line-too-long', 'JSON document larger than 256 MiB; export it as NDJSON'));
      }
    },
    end() {
      if (tooBig || parts.length === 0) return;
      const text = parts.join('\n');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        sink.skip(firstLine, skip('bad-json', jsonErrorDetail(e)));
        return;
      }
      if (!Array.isArray(value)) {
        emit(value, firstLine, sink);
        return;
      }
      const starts = arrayElementLines(text);
      value.forEach((item, i) => emit(item, firstLine + (starts[i] ?? 0), sink));
    },
  };
}

/** Offsets (in lines from the document's first line) where each top-level array element starts. */
export function arrayElementLines(text: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  let inString = false;
  let line = 0;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      continue;
    }
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) continue;
    if (depth === 1 && expectElement && c !== 93) {
      starts.push(line);
      expectElement = false;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === 93 || c === 125) depth--;
    else if (c === 44 && depth === 1) expectElement = true;
  }
  return starts;
}

// ---------------------------------------------------------------------------------------------

/** Kibana (escapeFormulaValues) and spreadsheets write `'=…`, `'-`: the quote is not data. */
const unescapeFormula = (c: string): string => (c.length > 1 && c.charCodeAt(0) === 39 && /^'[=+\-@]/.test(c) ? c.slice(1) : c);

/**
 * CSV as spreadsheets and Kibana write it (RFC 4180): a header row; cells quoted when they hold
 * the separator, quotes (doubled) or line breaks — so a record can span lines and starts where
 * its first line is. The separator (`,` `;` or tab) is the one the header uses most.
 * Header cells are cleaned as Kibana and Log Analytics decorate them: `Label (field.name)` →
 * `field.name`, `TimeGenerated [UTC]` → `TimeGenerated`. With `columns`, there is no header and
 * cells are keyed "1", "2", … (AWS's CSV preset has no header).
 */
/** A CSV file's header and separator, once read: what a reader needs to start at a record in the middle. */
export interface CsvLayout {
  header: string[];
  separator: string;
}

export interface CsvReader extends RecordReader {
  /** The header and separator once known (null before), and whether a record is open (a quoted cell spans lines). */
  layout(): { layout: CsvLayout | null; open: boolean };
}

export function csvReader(sink: RecordSink, options: ReaderOptions = {}): CsvReader {
  let header: string[] | null = options.layout ? options.layout.header : options.noHeader ? [] : null;
  let separator = options.layout?.separator ?? '';
  let pending = '';
  let pendingLine = 0;
  // Once the format is known, one-line rows are read by one expression that checks the number of
  // cells and captures only the cells the format reads (see `rowReader`).
  let rows: RowReader | null = null;
  let rowsFor: RecordNeeds | undefined;

  const split = (text: string): string[] | null => {
    const cells: string[] = [];
    let i = 0;
    const n = text.length;
    for (;;) {
      if (i < n && text.charCodeAt(i) === 34) {
        let cell = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) return null; // unbalanced: the record continues on the next line
          cell += text.slice(i, q);
          if (text.charCodeAt(q + 1) === 34) {
            cell += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        cells.push(cell);
      } else {
        const next = text.indexOf(separator, i);
        cells.push(next < 0 ? text.slice(i) : text.slice(i, next));
        if (next < 0) return cells;
        i = next + 1;
        continue;
      }
      if (i >= n) return cells;
      if (text[i] !== separator) {
        // text after a closing quote: keep it, as lenient readers do
        const next = text.indexOf(separator, i);
        cells[cells.length - 1] += next < 0 ? text.slice(i) : text.slice(i, next);
        if (next < 0) return cells;
        i = next;
      }
      i++;
    }
  };


  const cleanHeader = (h: string): string => {
    let name = h.trim().replace(/\s*\[[^\]]*\]$/, '');
    const label = /\(([^()]+)\)$/.exec(name);
    if (label && / /.test(name)) name = label[1]!;
    return name;
  };

  return {
    line(text, line) {
      // Between records a blank line is layout; inside a quoted cell it is content.
      if (pending === '' && text.trim() === '') return;
      if (pending === '') {
        pendingLine = line;
        if (!separator) {
          const counts = [',', ';', '\t'].map((s) => [s, text.split(s).length] as const).sort((a, b) => b[1] - a[1]);
          separator = counts[0]![1] > 1 ? counts[0]![0] : ',';
        }
      }
      if (pending === '' && header !== null && header.length > 0 && options.needs !== undefined) {
        const wanted = options.needs();
        if (wanted !== rowsFor) {
          rowsFor = wanted;
          rows = wanted === undefined ? null : cachedRowReader(header, separator, wanted);
        }
        if (rows !== null && text.length <= MAX_ROW_CHARS) {
          const m = rows.regex.exec(text);
          if (m !== null) return sink.record(rows.build(m), line);
        }
      }
      const full = pending === '' ? ownLine(text) : `${pending}\n${text}`;
      const cells = split(full);
      if (cells === null) {
        pending = full;
        if (pending.length > MAX_DOCUMENT_CHARS) {
          sink.skip(pendingLine, skip('line-too-long', 'unterminated quoted CSV cell'));
          pending = '';
        }
        return;
      }
      pending = '';
      if (header === null) {
        header = cells.map(cleanHeader);
        return;
      }
      if (header.length > 0 && cells.length !== header.length) {
        sink.skip(pendingLine, skip('bad-csv', `${cells.length} cells, the header has ${header.length}`));
        return;
      }
      const record: Record<string, unknown> = {};
      if (header.length === 0) cells.forEach((c, i) => (record[String(i + 1)] = unescapeFormula(c)));
      else for (let i = 0; i < header.length; i++) record[header[i]!] = unescapeFormula(cells[i]!);
      sink.record(record, pendingLine);
    },
    end() {
      if (pending !== '') sink.skip(pendingLine, skip('bad-csv', 'the file ends inside a quoted cell'));
    },
    layout() {
      return { layout: header !== null && separator !== '' ? { header, separator } : null, open: pending !== '' };
    },
  };
}

interface RowReader {
  regex: RegExp;
  build: RecordBuild;
}

/**
 * Row readers by needs, then by separator and header: a file read in chunks gives each chunk its
 * own reader, and compiling the expression again for each costs more than the rows it reads.
 */
const rowReaders = new WeakMap<RecordNeeds, Map<string, RowReader | null>>();

function cachedRowReader(header: string[], separator: string, needs: RecordNeeds): RowReader | null {
  let byHeader = rowReaders.get(needs);
  if (byHeader === undefined) rowReaders.set(needs, (byHeader = new Map()));
  const key = `${separator}\u0000${header.join('\u0000')}`;
  let reader = byHeader.get(key);
  if (reader === undefined) {
    reader = rowReader(header, separator, needs);
    if (byHeader.size >= 64) byHeader.clear();
    byHeader.set(key, reader);
  }
  return reader;
}

/** Longer rows are left to the general reader (an expression that fails backtracks over what it scanned). */
const MAX_ROW_CHARS = 1 << 20;

const CLASS_ESCAPES: Record<string, string> = { ',': ',', ';': ';', '\t': '\\t' };

/**
 * The expression for a header's one-line rows: exactly as many cells as the header, each plain
 * (no quote) or wholly quoted, the needed ones captured. A row it matches splits into the same
 * cells as the general reader gives, and the builder makes the same values for the needed keys
 * (quotes removed, doubled quotes undone; the last column of a repeated name wins, as there).
 */
function rowReader(header: string[], separator: string, needs: RecordNeeds): RowReader | null {
  const needed = new Set(needs);
  if (needed.has('__proto__')) return null;
  const lastColumn = new Map<string, number>();
  header.forEach((name, i) => {
    if (needed.has(name)) lastColumn.set(name, i);
  });
  const sep = CLASS_ESCAPES[separator];
  if (sep === undefined) return null;
  const captured = new Set(lastColumn.values());
  // A quoted cell must end right before a separator or the end of the row; anything else (text
  // after the closing quote, a cell spanning lines) is left to the general reader.
  const cell = `(?:"[^"]*(?:""[^"]*)*"|[^"${sep}]*)`;
  const source = `^${header.map((_, i) => (captured.has(i) ? `(${cell})` : cell)).join(sep)}$`;
  const captures = header.flatMap((name, i) => (captured.has(i) ? [name] : [])).map((name, k) => ({ name, kind: 'text' as const, group: k + 1 }));
  const unquote = (c: string): string => unescapeFormula(c.charCodeAt(0) === 34 ? c.slice(1, -1).replaceAll('""', '"') : c);
  return { regex: new RegExp(source), build: recordBuilder(captures, { clean: unquote }) };
}

// ---------------------------------------------------------------------------------------------

/** logfmt as logrus writes it (Tyk Gateway text logs): `k=v k="quoted \"v\""`. */
export function parseLogfmt(text: string): Record<string, unknown> | null {
  const record: Record<string, unknown> = {};
  let i = 0;
  const n = text.length;
  let any = false;
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    const eq = text.indexOf('=', i);
    const space = text.indexOf(' ', i);
    if (eq < 0 || (space >= 0 && space < eq)) return any ? record : null;
    const key = text.slice(i, eq);
    i = eq + 1;
    let value = '';
    if (text[i] === '"') {
      i++;
      while (i < n && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < n) {
          const e = text[i + 1]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
        } else value += text[i++];
      }
      i++;
    } else {
      const end = text.indexOf(' ', i);
      value = end < 0 ? text.slice(i) : text.slice(i, end);
      i = end < 0 ? n : end;
    }
    record[key] = value;
    any = true;
  }
  return any ? record : null;
}

export function logfmtReader(sink: RecordSink): RecordReader {
  return {
    line(text, line) {
      const r = parseLogfmt(ownLine(text));
      if (r) sink.record(r, line);
      else sink.skip(line, skip('wrong-format', 'not a key=value line'));
    },
    end() {},
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * NGINX / Apache combined (or common) log lines, optionally with a leading virtual host, into the
 * nginx variable names: remote_addr, remote_user, time_local, request_method, request_uri,
 * server_protocol, status, body_bytes_sent, http_referer, http_user_agent, host.
 */
export function parseClf(text: string): Record<string, unknown> | null {
  const m = CLF_LINE.exec(text);
  if (!m) return null;
  const request = m[6]!;
  const firstSpace = request.indexOf(' ');
  const lastSpace = request.lastIndexOf(' ');
  const r: Record<string, unknown> = {
    remote_addr: m[2],
    remote_user: m[4],
    time_local: m[5],
    request: request,
    request_method: firstSpace > 0 ? request.slice(0, firstSpace) : '',
    request_uri: firstSpace > 0 ? request.slice(firstSpace + 1, lastSpace > firstSpace ? lastSpace : undefined) : request,
    server_protocol: lastSpace > firstSpace ? request.slice(lastSpace + 1) : '',
    status: m[7],
    body_bytes_sent: m[8],
  };
  if (m[1] !== undefined) r.host = m[1];
  if (m[9] !== undefined) r.http_referer = m[9];
  if (m[10] !== undefined) r.http_user_agent = m[10];
  return r;
}

export function clfReader(sink: RecordSink): RecordReader {
  return {
    line(text, line) {
      const r = parseClf(ownLine(text));
      if (r) sink.record(r, line);
      else sink.skip(line, skip('wrong-format', 'not a combined/common log line'));
    },
    end() {},
  };
}

export function readerFor(framing: Framing, sink: RecordSink, options: ReaderOptions = {}): RecordReader {
  switch (framing) {
    case 'ndjson':
      return ndjsonReader(sink, options.needs, options.shareLayouts);
    case 'json-document':
      return jsonDocumentReader(sink);
    case 'csv':
      return csvReader(sink, options);
    case 'logfmt':
      return logfmtReader(sink);
    case 'clf':
      return clfReader(sink);
  }
}
