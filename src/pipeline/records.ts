/**
 * What the main thread and decode worker threads share to turn a file's lines into requests the
 * same way: blank-line rules, one record through its format, and what a chunk's reader needs.
 */
import type { CsvLayout, Framing } from '../decode/containers.js';
import type { LogFormat } from '../formats/index.js';
import type { ApiRequest } from '../model/request.js';
import { Skip, skip } from '../model/skip.js';

/** Inside CSV cells and JSON documents a blank line is content; elsewhere it is layout. */
export function feedsBlankLines(framing: Framing): boolean {
  return framing === 'csv' || framing === 'json-document';
}

export const isBlankLine = (text: string): boolean => text.length === 0 || text.trim() === '';

/**
 * One decoded record through its file's format: the canonical request (with any raw key it shows
 * in the clear), or why it was skipped.
 */
export function normaliseRecord(format: LogFormat, record: Record<string, unknown>, file: string, line: number): ApiRequest | Skip {
  if (format.accepts && !format.accepts(record)) return skip('wrong-format');
  const out = format.normalise(record, file, line);
  if (out instanceof Skip) return out;
  if (format.exposures) {
    const exposed = format.exposures(record);
    if (exposed.length > 0) {
      out.exposedIn = exposed.map((e) => e.where).join(', ');
      out.exposedKey = exposed[0]!.value;
    }
  }
  return out;
}

/** What a thread needs to decode a chunk from the middle of a file whose framing and format are known. */
export interface ChunkSetup {
  file: string;
  framing: Framing;
  /** The detected format's name, or null for the format forced on the command line. */
  format: string | null;
  noHeader: boolean;
  /** The header and separator, for CSV. */
  csv: CsvLayout | null;
}

