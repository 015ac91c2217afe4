import json from './json.js';
import ndjson from './ndjson.js';
import table from './table.js';
import type { Reporter } from './types.js';

/** Every output, by its `--output` name. */
export const REPORTERS: readonly Reporter[] = [table, json, ndjson];

export function reporterByName(name: string): Reporter | undefined {
  return REPORTERS.find((r) => r.meta.name === name);
}

export type { Reporter, ReportContext, ScanReport, Summary } from './types.js';
