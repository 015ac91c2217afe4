import type { RecordNeeds } from '../decode/json-shape.js';
import type { ApiRequest } from '../model/request.js';
import type { Skip } from '../model/skip.js';

/**
 * What kind of decoded record a format reads: JSON objects (from NDJSON lines or whole JSON
 * documents), CSV rows keyed by header, logfmt pairs, or combined-log fields; `any` (ad-hoc
 * `--map` formats) takes whatever the file's framing gives.
 */
export type Container = 'json' | 'csv' | 'logfmt' | 'clf' | 'any';

export interface FormatMeta {
  /** The `--format` value, kebab-case; also the file name in src/formats/. */
  name: string;
  /** The product and record it reads, one line. */
  description: string;
  container: Container;
}

/**
 * One log format: recognise a decoded record, and turn it into the canonical request.
 * `normalise` returns a Skip instead of throwing: a bad record is data, not an exception.
 */
export interface LogFormat {
  meta: FormatMeta;
  /** Does this decoded record look like this format? Called on a file's first records only. */
  detect(record: Record<string, unknown>): boolean;
  normalise(record: Record<string, unknown>, file: string, line: number): ApiRequest | Skip;
  /**
   * Once the file's format is known: does this record belong to the stream at all? Records that
   * fail (e.g. Tyk application log lines among access-log lines) are skipped as wrong-format.
   */
  accepts?(record: Record<string, unknown>): boolean;
  /** Raw API keys this record shows in the clear (a query parameter, a logged header). */
  exposures?(record: Record<string, unknown>): { where: string; value: string }[];
  /**
   * Every top-level field `accepts`, `normalise` and `exposures` read (for a dotted path, each of
   * its prefixes), split into values that may be kept in the request and values only looked at.
   * Readers then decode only these (src/decode/json-shape.ts). Without it, every field is decoded.
   * test/formats/reads.test.ts checks it against what the functions touch.
   */
  reads?: RecordNeeds;
}

/** The identity function, typed: the place to hang shared defaults later (typescript-eslint's createRule). */
export function defineFormat(format: LogFormat): LogFormat {
  return format;
}
