import csv from './csv.js';
import ecs from './ecs.js';
import json from './json.js';
import junit from './junit.js';
import ndjson from './ndjson.js';
import sarif from './sarif.js';
import table from './table.js';
import type { Reporter } from './types.js';

/** Every output, by its `--output` name. */
export const REPORTERS: readonly Reporter[] = [table, json, ndjson, sarif, ecs, csv, junit];

export function reporterByName(name: string): Reporter | undefined {
  return REPORTERS.find((r) => r.meta.name === name);
}

export type { Reporter, ReportContext, ScanReport, Summary } from './types.js';
