/**
 * read → decode → normalise: every canonical request in the inputs, file by file, in input
 * order, with every skip counted. Shared by `scan` (which judges them) and `init` (which learns
 * from them).
 */
import { Counters, type FileStats, type SkipExample } from '../aggregate/counters.js';
import { SNIFF_LINES, containerOf, readerFor, sniffFraming, type Framing, type RecordReader, type RecordSink } from '../decode/containers.js';
import { DETECT_RECORDS, describeRecord, detectFormat } from '../decode/detect.js';
import type { Container } from '../formats/define-format.js';
import type { LogFormat } from '../formats/index.js';
import type { ApiRequest } from '../model/request.js';
import { Skip, skip } from '../model/skip.js';
import { readLines } from '../read/lines.js';
import type { Source } from '../read/sources.js';

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
  /** Stop each file after this many records (for `apiguard detect`). */
  limitPerFile?: number;
  /** How many skipped records to keep as examples (default 10). */
  maxSkipExamples?: number;
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

export async function readRequests(opts: ReadOptions, onRequest: (req: ApiRequest) => void): Promise<ReadResult> {
  const counters = new Counters(opts.maxSkipExamples);
  let first = Infinity;
  let last = -Infinity;

  for (const source of opts.sources) {
    const stats = counters.startFile(source.name);
    let format = opts.format;
    if (format) stats.format = format.meta.name;
    // Records (and skips) held until the format is known, replayed in line order.
    let pending: { record?: Record<string, unknown>; skip?: Skip; line: number }[] = [];
    let firstObject: Record<string, unknown> | undefined;
    let container: Exclude<Container, 'any'> | undefined = format?.meta.container === 'any' ? undefined : format?.meta.container;
    const stream = source.open();
    let abandoned = false;

    const onSkip = (line: number, s: Skip): void => {
      if (counters.skip(stats, line, s)) opts.onSkip?.(counters.examples[counters.examples.length - 1]!);
    };
    const normalise = (record: Record<string, unknown>, line: number): void => {
      if (opts.limitPerFile !== undefined && stats.parsed + stats.skipped >= opts.limitPerFile) {
        if (!abandoned) {
          abandoned = true;
          stream.destroy();
        }
        return;
      }
      if (format!.accepts && !format!.accepts(record)) return onSkip(line, skip('wrong-format'));
      const out = format!.normalise(record, source.name, line);
      if (out instanceof Skip) return onSkip(line, out);
      stats.parsed++;
      if (out.time < first) first = out.time;
      if (out.time > last) last = out.time;
      if (format!.exposures) {
        const exposed = format!.exposures(record);
        if (exposed.length > 0) {
          out.exposedIn = exposed.map((e) => e.where).join(', ');
          out.exposedKey = exposed[0]!.value;
        }
      }
      onRequest(out);
    };
    /** Picks the format from the records held so far; false when none fits (the file is abandoned). */
    const detectNow = (): boolean => {
      format = detectFormat(
        pending.flatMap((p) => (p.record ? [p.record] : [])),
        container,
      );
      if (!format) {
        stats.error = `no known log format fits (${describeRecord(firstObject)}); use --format to force one`;
        for (const p of pending) onSkip(p.line, p.skip ?? skip('unknown-format'));
        pending = [];
        return false;
      }
      stats.format = format.meta.name;
      for (const p of pending) {
        if (p.record) normalise(p.record, p.line);
        else onSkip(p.line, p.skip!);
      }
      pending = [];
      return true;
    };

    const sink: RecordSink = {
      record(record, line) {
        if (abandoned) return;
        if (format) return normalise(record, line);
        firstObject ??= record;
        pending.push({ record, line });
        if (pending.filter((p) => p.record).length >= DETECT_RECORDS && !detectNow()) {
          abandoned = true;
          stream.destroy();
        }
      },
      skip(line, s) {
        if (format || abandoned) onSkip(line, s);
        else pending.push({ skip: s, line });
      },
    };
    let reader: RecordReader | undefined;
    let framing: Framing | undefined;
    // The first lines are held until the framing is known: one broken line must not decide it.
    let held: { text: string; line: number }[] = [];
    const isBlank = (text: string): boolean => text.length === 0 || text.trim() === '';
    const feed = (text: string, line: number): void => {
      // Inside CSV cells and JSON documents a blank line is content; elsewhere it is layout.
      if (isBlank(text) && framing !== 'csv' && framing !== 'json-document') return;
      reader!.line(text, line);
    };
    const startReader = (): void => {
      framing = sniffFraming(held.filter((h) => !isBlank(h.text)).map((h) => h.text));
      if (container && containerOf(framing) !== container) framing = framingFor(container);
      container ??= containerOf(framing);
      stats.framing = framing;
      // Once the format is known, readers decode only the fields it reads.
      reader = readerFor(framing, sink, { noHeader: opts.noHeader, needs: () => format?.reads });
      // Blank lines before the first record are layout in every framing.
      const firstReal = held.findIndex((h) => !isBlank(h.text));
      for (const h of held.slice(firstReal)) if (!abandoned) feed(h.text, h.line);
      held = [];
    };
    const result = await readLines(stream, {
      line(text, line) {
        if (abandoned) return;
        if (reader) return feed(text, line);
        held.push({ text, line });
        if (!isBlank(text) && held.filter((h) => !isBlank(h.text)).length >= SNIFF_LINES) startReader();
      },
      tooLong(line) {
        onSkip(line, skip('line-too-long'));
      },
    });
    if (!reader && !abandoned && held.some((h) => !isBlank(h.text))) startReader();
    reader?.end();
    stats.gzip = result.gzip;
    if (!format && pending.some((p) => p.record)) detectNow();
    else for (const p of pending) onSkip(p.line, p.skip!); // only skips: nothing to detect from
    stats.records = stats.parsed + stats.skipped;
    if (result.error && !abandoned) stats.error = result.error;

    else if (!stats.error && stats.records > 0 && stats.parsed === 0) {
      stats.error = stats.format
        ? `read as ${stats.format}, but every one of its ${stats.records} records was skipped`
        : `none of its ${stats.records} records could be read; is it a supported format?`;
    }
    if (stats.error) opts.onFileError?.(stats);
  }
  return { counters, first, last };
}
