/**
 * read → decode → normalise: every canonical request in the inputs, file by file, in input
 * order, with every skip counted. Shared by `scan` (which judges them) and `init` (which learns
 * from them).
 */
import { Counters, type FileStats, type SkipExample } from '../aggregate/counters.js';
import { DETECT_RECORDS, describeRecord, detectFormat } from '../decode/detect.js';
import { decodeJsonLine } from '../decode/ndjson.js';
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
}

export interface ReadResult {
  counters: Counters;
  /** First and last request time among parsed records; ±Infinity when none. */
  first: number;
  last: number;
}

export async function readRequests(opts: ReadOptions, onRequest: (req: ApiRequest) => void): Promise<ReadResult> {
  const counters = new Counters();
  let first = Infinity;
  let last = -Infinity;

  for (const source of opts.sources) {
    const stats = counters.startFile(source.name);
    let format = opts.format;
    if (format) stats.format = format.meta.name;
    let pending: { record: Record<string, unknown>; line: number }[] = [];
    let firstObject: Record<string, unknown> | undefined;
    const stream = source.open();

    const onSkip = (line: number, s: Skip): void => {
      if (counters.skip(stats, line, s)) opts.onSkip?.(counters.examples[counters.examples.length - 1]!);
    };
    const normalise = (record: Record<string, unknown>, line: number): void => {
      const out = format!.normalise(record, source.name, line);
      if (out instanceof Skip) return onSkip(line, out);
      stats.parsed++;
      if (out.time < first) first = out.time;
      if (out.time > last) last = out.time;
      onRequest(out);
    };
    /** Picks the format from the records held so far; false when none fits (the file is abandoned). */
    const detectNow = (): boolean => {
      format = detectFormat(pending.map((p) => p.record));
      if (!format) {
        stats.error = `no known log format fits (${describeRecord(firstObject)}); use --format to force one`;
        for (const p of pending) onSkip(p.line, skip('unknown-format'));
        pending = [];
        return false;
      }
      stats.format = format.meta.name;
      for (const p of pending) normalise(p.record, p.line);
      pending = [];
      return true;
    };

    let abandoned = false;
    const result = await readLines(stream, {
      line(text, line) {
        if (abandoned) return;
        // Blank lines are layout, not records.
        if (text.length === 0 || text.trim() === '') return;
        stats.records++;
        const record = decodeJsonLine(text);
        if (record instanceof Skip) return onSkip(line, record);
        if (format) return normalise(record, line);
        firstObject ??= record;
        pending.push({ record, line });
        if (pending.length >= DETECT_RECORDS && !detectNow()) {
          abandoned = true;
          stream.destroy();
        }
      },
      tooLong(line) {
        stats.records++;
        onSkip(line, skip('line-too-long'));
      },
    });
    stats.gzip = result.gzip;
    if (!format && pending.length > 0) detectNow();
    if (result.error && !abandoned) stats.error = result.error;
    else if (!stats.error && stats.records > 0 && stats.parsed === 0) {
      stats.error = `none of its ${stats.records} records could be read; is it a supported format?`;
    }
    if (stats.error) opts.onFileError?.(stats);
  }
  return { counters, first, last };
}
