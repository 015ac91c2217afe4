/**
 * The scan pipeline, one stage per folder:
 *   read (files → lines) → decode (line → record, format detected per file)
 *   → normalise (record → ApiRequest, src/formats) → judge (time order, decision table)
 *   → aggregate (incidents, counters) → report (src/report, driven by the CLI).
 */
import { Counters, type FileStats, type SkipExample } from './aggregate/counters.js';
import { IncidentAggregator } from './aggregate/incidents.js';
import { DETECT_RECORDS, describeRecord, detectFormat } from './decode/detect.js';
import { decodeJsonLine } from './decode/ndjson.js';
import type { LogFormat } from './formats/index.js';
import { Judge } from './judge/judge.js';
import { Reorderer } from './judge/reorder.js';
import type { Finding } from './model/finding.js';
import type { ApiRequest } from './model/request.js';
import { Skip, skip } from './model/skip.js';
import type { Policy } from './policy/policy.js';
import { readLines } from './read/lines.js';
import type { Source } from './read/sources.js';

export interface ScanOptions {
  sources: Source[];
  policy: Policy;
  /** Forced format; detected per file when absent. */
  format?: LogFormat;
  /** How far out of time order records may arrive and still be judged in order. */
  reorderWindowMs: number;
  /** Called for each violating request, in judgement (time) order. */
  onFinding?: (f: Finding) => void;
  /** Called for the first few skipped records, as they happen. */
  onSkip?: (example: SkipExample) => void;
  /** Called when a file has a problem as a whole. */
  onFileError?: (stats: FileStats) => void;
}

export interface ScanResult {
  counters: Counters;
  aggregator: IncidentAggregator;
  /** First and last request time among parsed records; ±Infinity when none. */
  first: number;
  last: number;
}


export async function scan(opts: ScanOptions): Promise<ScanResult> {
  const counters = new Counters();
  const aggregator = new IncidentAggregator();
  const judge = new Judge(opts.policy);
  let first = Infinity;
  let last = -Infinity;
  const reorder = new Reorderer(opts.reorderWindowMs, (req) => {
    const finding = judge.judge(req);
    if (finding !== null) {
      aggregator.add(finding);
      opts.onFinding?.(finding);
    }
  });

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
      const req: ApiRequest = out;
      stats.parsed++;
      if (req.time < first) first = req.time;
      if (req.time > last) last = req.time;
      reorder.push(req);
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
  reorder.flush();
  counters.late = reorder.late;
  return { counters, aggregator, first, last };
}
