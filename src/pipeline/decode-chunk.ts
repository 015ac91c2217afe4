/**
 * One chunk of whole lines from the middle of a file, decoded and normalised: the work a decode
 * worker does (decode-worker.ts), and the main thread too when it would otherwise wait. The
 * file's framing and format are known (ChunkSetup); each chunk gets a fresh reader of that framing
 * (for CSV, primed with the header and separator), and each record goes through the same
 * `normaliseRecord` as on one thread. Line numbers are relative to the chunk.
 */
import { readerFor, type RecordSink } from '../decode/containers.js';
import type { LogFormat } from '../formats/index.js';
import type { ApiRequest } from '../model/request.js';
import { Skip, skip } from '../model/skip.js';
import { splitChunk } from '../read/chunks.js';
import { feedsBlankLines, isBlankLine, normaliseRecord, type ChunkSetup } from './records.js';

export interface ChunkOutput {
  request(req: ApiRequest): void;
  skip(line: number, s: Skip): void;
}

/** Decodes a chunk into `out`, in line order; returns its number of lines. */
export function decodeChunk(setup: ChunkSetup, format: LogFormat, bytes: Uint8Array, out: ChunkOutput): number {
  const sink: RecordSink = {
    record(record, line) {
      const r = normaliseRecord(format, record, setup.file, line);
      if (r instanceof Skip) out.skip(line, r);
      else out.request(r);
    },
    skip(line, s) {
      out.skip(line, s);
    },
  };
  // Chunks of a file share the NDJSON layouts learned on this thread, instead of learning them per chunk.
  const reader = readerFor(setup.framing, sink, { noHeader: setup.noHeader, layout: setup.csv ?? undefined, needs: () => format.reads, shareLayouts: true });
  const blanks = feedsBlankLines(setup.framing);
  const lines = splitChunk(bytes, {
    line(text, line) {
      if (!blanks && isBlankLine(text)) return;
      reader.line(text, line);
    },
    tooLong(line) {
      out.skip(line, skip('line-too-long'));
    },
  });
  // Chunks end between records, so this says something only at the end of a file (an unclosed CSV quote).
  reader.end();
  return lines;
}
