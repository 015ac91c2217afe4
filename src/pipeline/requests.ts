/**
 * read → decode → normalise (→ merge): every canonical request in the inputs, with every skip
 * counted. One file in its own order; several files read at once and merged by time (merge.ts).
 * Shared by `scan` (which judges them), `learn`, `init` and `triage`. With a decode pool (--jobs),
 * worker threads decode and normalise most of each file (src/pipeline/parallel.ts); what reaches
 * `onRequest` is the same, in the same order.
 */
import { Counters, type FileStats, type SkipExample } from '../aggregate/counters.js';
import {
  SNIFF_LINES,
  containerOf,
  readerFor,
  sniffFraming,
  type CsvLayout,
  type CsvReader,
  type Framing,
  type RecordReader,
  type RecordSink,
} from '../decode/containers.js';
import { DETECT_RECORDS, describeRecord, detectFormat } from '../decode/detect.js';
import type { Container } from '../formats/define-format.js';
import type { LogFormat } from '../formats/index.js';
import type { ApiRequest } from '../model/request.js';
import { Skip, skip } from '../model/skip.js';
import { readLines, type LineSink } from '../read/lines.js';
import type { Source } from '../read/sources.js';
import { DEFAULT_CHUNK_BYTES, type DecodePool } from './decode-pool.js';
import type { HeldBatches } from './held-batches.js';
import { MAX_OPEN, TimeMerge, type FileEvents } from './merge.js';
import { readInChunks } from './parallel.js';
import { feedsBlankLines, isBlankLine, normaliseRecord, type ChunkSetup } from './records.js';

export interface ReadOptions {
  sources: Source[];
  /** Forced format; detected per file when absent. */
  format?: LogFormat;
  /** Called for the first few skipped records, as they happen. */
  onSkip?: (example: SkipExample) => void;
  /** Called when a file has a problem as a whole. */
  onFileError?: (stats: FileStats) => void;
  /** CSV without a header row: cells are keyed "1", "2", … (for --map by column number). */
  noHeader?: boolean;
  /** Stop each file after this many records (for `apiguard detect`); reads on this thread. */
  limitPerFile?: number;
  /** How many skipped records to keep as examples (default 10). */
  maxSkipExamples?: number;
  /**
   * Worker threads that decode and normalise (--jobs); absent: everything on this thread. The
   * pool must have been made from the same input flags as `format` and `noHeader`.
   */
  pool?: DecodePool;
  /** Bytes per chunk handed to the pool (default DEFAULT_CHUNK_BYTES). */
  chunkBytes?: number;
  /**
   * Keeps the batches workers decode, so that requests can be held by a number and recalled
   * (held-batches.ts): `onRequest` then gets a handle for them. Absent: every handle is -1.
   */
  held?: HeldBatches;
}

/** The framing a forced container implies when the file's first line suggested another. */
function framingFor(container: Exclude<Container, 'any'>): Framing {
  return container === 'json' ? 'ndjson' : container;
}

export interface ReadResult {
  counters: Counters;
  /** First and last request time among parsed records; ±Infinity when none. */
  first: number;
  last: number;
}

interface Shared {
  opts: ReadOptions;
  counters: Counters;
  onRequest: RequestCallback;
  first: number;
  last: number;
}

/**
 * One file being read: its first lines decide the framing, its first records the format (held
 * and replayed in line order); then every record is normalised and every skip counted. Fed lines
 * (`line`, `tooLong`) on this thread, or requests and skips a worker thread decoded (`accept`,
 * `skipAt`), in line order either way.
 */
export class FileReading implements LineSink {
  readonly stats: FileStats;
  private format: LogFormat | undefined;
  // Records (and skips) held until the format is known, replayed in line order.
  private pending: { record?: Record<string, unknown>; skip?: Skip; line: number }[] = [];
  private pendingRecords = 0;
  private firstObject: Record<string, unknown> | undefined;
  private container: Exclude<Container, 'any'> | undefined;
  private reader: RecordReader | undefined;
  private framing: Framing | undefined;
  // The first lines are held until the framing is known: one broken line must not decide it.
  private held: { text: string; line: number }[] = [];
  private heldNonBlank = 0;
  abandoned = false;
  private readonly sink: RecordSink;
  /** With several files: its requests and skips go to the merge (merge.ts), which hands them back in time order. */
  private events: FileEvents | null = null;
  private result: { gzip: boolean; error: string } = { gzip: false, error: '' };

  constructor(
    private readonly shared: Shared,
    readonly source: Source,
    /** Stops reading the file (when no format fits, or enough records were read). */
    private readonly stop: () => void,
  ) {
    const opts = shared.opts;
    this.stats = shared.counters.startFile(source.name);
    this.format = opts.format;
    if (this.format) this.stats.format = this.format.meta.name;
    this.container = this.format?.meta.container === 'any' ? undefined : this.format?.meta.container;
    this.sink = {
      record: (record, line) => {
        if (this.abandoned) return;
        if (this.format) return this.normalise(record, line);
        this.firstObject ??= record;
        this.pending.push({ record, line });
        this.pendingRecords++;
        if (this.pendingRecords >= DETECT_RECORDS && !this.detectNow()) this.abandon();
      },
      skip: (line, s) => {
        if (this.format || this.abandoned) this.skipAt(line, s);
        else this.pending.push({ skip: s, line });
      },
    };
  }

  private abandon(): void {
    if (this.abandoned) return;
    this.abandoned = true;
    this.stop();
  }

  /** Sends its requests, skips and end through a merge of several files (merge.ts). */
  mergeInto(merge: TimeMerge): void {
    this.events = merge.add({
      request: (req, handle) => this.deliver(req, handle),
      skip: (line, s) => this.countSkip(line, s),
      end: () => this.conclude(),
    });
  }

  /** While the merge has not taken enough of what this file gave: a promise to wait for before reading on. */
  pace(): Promise<void> | undefined {
    return this.events?.pace();
  }

  skipAt(line: number, s: Skip): void {
    if (this.events) this.events.skip(line, s);
    else this.countSkip(line, s);
  }

  private countSkip(line: number, s: Skip): void {
    const counters = this.shared.counters;
    if (counters.skip(this.stats, line, s)) this.shared.opts.onSkip?.(counters.examples[counters.examples.length - 1]!);
  }

  /** A request decoded and normalised (here or by a worker thread). */
  accept(out: ApiRequest, handle = -1): void {
    if (this.events) this.events.request(out, handle);
    else this.deliver(out, handle);
  }

  private deliver(out: ApiRequest, handle: number): void {
    this.stats.parsed++;
    const shared = this.shared;
    if (out.time < shared.first) shared.first = out.time;
    if (out.time > shared.last) shared.last = out.time;
    shared.onRequest(out, handle);
  }

  private normalise(record: Record<string, unknown>, line: number): void {
    const limit = this.shared.opts.limitPerFile;
    if (limit !== undefined && this.stats.parsed + this.stats.skipped >= limit) {
      this.abandon();
      return;
    }
    const out = normaliseRecord(this.format!, record, this.source.name, line);
    if (out instanceof Skip) this.skipAt(line, out);
    else this.accept(out);
  }

  /** Picks the format from the records held so far; false when none fits (the file is abandoned). */
  private detectNow(): boolean {
    const pending = this.pending;
    this.format = detectFormat(
      pending.flatMap((p) => (p.record ? [p.record] : [])),
      this.container,
    );
    this.pending = [];
    this.pendingRecords = 0;
    if (!this.format) {
      this.stats.error = `no known log format fits (${describeRecord(this.firstObject)}); use --format to force one`;
      for (const p of pending) this.skipAt(p.line, p.skip ?? skip('unknown-format'));
      return false;
    }
    this.stats.format = this.format.meta.name;
    for (const p of pending) {
      if (p.record) this.normalise(p.record, p.line);
      else this.skipAt(p.line, p.skip!);
    }
    return true;
  }

  private feed(text: string, line: number): void {
    if (isBlankLine(text) && !feedsBlankLines(this.framing!)) return;
    this.reader!.line(text, line);
  }

  private startReader(): void {
    const held = this.held;
    const texts: string[] = [];
    for (const h of held) if (!isBlankLine(h.text)) texts.push(h.text);
    let framing = sniffFraming(texts);
    if (this.container && containerOf(framing) !== this.container) framing = framingFor(this.container);
    this.container ??= containerOf(framing);
    this.framing = framing;
    this.stats.framing = framing;
    // Once the format is known, readers decode only the fields it reads.
    this.reader = readerFor(framing, this.sink, { noHeader: this.shared.opts.noHeader, needs: () => this.format?.reads });
    this.held = [];
    // Blank lines before the first record are layout in every framing.
    const firstReal = held.findIndex((h) => !isBlankLine(h.text));
    for (const h of held.slice(firstReal)) if (!this.abandoned) this.feed(h.text, h.line);
  }

  line(text: string, line: number): void {
    if (this.abandoned) return;
    if (this.reader) return this.feed(text, line);
    this.held.push({ text, line });
    if (!isBlankLine(text) && ++this.heldNonBlank >= SNIFF_LINES) this.startReader();
  }

  tooLong(line: number): void {
    this.skipAt(line, skip('line-too-long'));
  }

  /**
   * When the rest of the file can be decoded apart from this reader, chunk by chunk: what that
   * needs; else null. Not before the framing and format are known, never for a whole-file JSON
   * document, and for CSV only between records.
   */
  handoff(): { setup: ChunkSetup; format: LogFormat } | null {
    if (this.abandoned || !this.reader || !this.format || this.pending.length > 0 || this.framing === 'json-document') return null;
    if (this.shared.opts.limitPerFile !== undefined) return null;
    let csv: CsvLayout | null = null;
    if (this.framing === 'csv') {
      const { layout, open } = (this.reader as CsvReader).layout();
      if (!layout || open) return null;
      csv = layout;
    }
    const setup: ChunkSetup = {
      file: this.source.name,
      framing: this.framing!,
      format: this.format === this.shared.opts.format ? null : this.format.meta.name,
      noHeader: this.shared.opts.noHeader ?? false,
      csv,
    };
    return { setup, format: this.format };
  }

  /** After the last line: what is still held, then (in its turn, when merged) the file's verdict. */
  finish(result: { gzip: boolean; error: string }): void {
    if (!this.reader && !this.abandoned && this.held.some((h) => !isBlankLine(h.text))) this.startReader();
    this.reader?.end();
    if (!this.format && this.pending.some((p) => p.record)) this.detectNow();
    else for (const p of this.pending) this.skipAt(p.line, p.skip!); // only skips: nothing to detect from
    this.pending = [];
    this.result = result;
    if (this.events) this.events.end();
    else this.conclude();
  }

  /** The file's counts and verdict, once all its requests and skips have been taken. */
  private conclude(): void {
    const result = this.result;
    const stats = this.stats;
    stats.gzip = result.gzip;
    stats.records = stats.parsed + stats.skipped;
    if (result.error && !this.abandoned) stats.error = result.error;
    else if (!stats.error && stats.records > 0 && stats.parsed === 0) {
      stats.error = stats.format
        ? `read as ${stats.format}, but every one of its ${stats.records} records was skipped`
        : `none of its ${stats.records} records could be read; is it a supported format?`;
    }
    if (stats.error) this.shared.opts.onFileError?.(stats);
  }
}

/** Each request, with its handle in `ReadOptions.held` (-1 when it has none). */
export type RequestCallback = (req: ApiRequest, handle: number) => void;

export async function readRequests(opts: ReadOptions, onRequest: RequestCallback): Promise<ReadResult> {
  const shared: Shared = { opts, counters: new Counters(opts.maxSkipExamples), onRequest, first: Infinity, last: -Infinity };
  if (opts.sources.length > 1 && opts.limitPerFile === undefined) await readMerged(shared);
  else for (const source of opts.sources) await readFile(shared, source);
  return { counters: shared.counters, first: shared.first, last: shared.last };
}

/** Reads one file to its end; with a merge, what it gives goes there. */
async function readFile(shared: Shared, source: Source, merge?: TimeMerge): Promise<void> {
  const opts = shared.opts;
  const inChunks = opts.pool !== undefined && opts.limitPerFile === undefined;
  const chunkBytes = opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  // Merged files are read as plain streams: a file waiting for the others would hold a 4 MiB slab
  // (slabs.ts), ~50 MB more peak RSS for 8 files with --jobs 2, and no faster for 2 (measured).
  const stream = inChunks && source.openShared && !merge ? source.openShared(chunkBytes) : source.open();
  const file = new FileReading(shared, source, () => stream.destroy());
  if (merge) file.mergeInto(merge);
  const result = inChunks
    ? await readInChunks(stream, file, opts.pool!, chunkBytes, opts.held)
    : await readLines(stream, file);
  file.finish(result);
}

/**
 * Several files, read at once (at most MAX_OPEN) and merged by time (merge.ts). A file joins once
 * one before it has ended, in the order given, so the files' stats come in that order too.
 */
function readMerged(shared: Shared): Promise<void> {
  const sources = shared.opts.sources;
  return new Promise<void>((resolve, reject) => {
    let next = 0;
    let ended = 0;
    const join = (): void => {
      const source = sources[next++]!;
      readFile(shared, source, merge).catch(reject);
    };
    const merge = new TimeMerge(shared.opts.held, () => {
      if (++ended === sources.length) resolve();
      else if (next < sources.length) join();
    });
    while (next < Math.min(sources.length, MAX_OPEN)) join();
  });
}
