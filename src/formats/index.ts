import { fileURLToPath } from 'node:url';
import type { LogFormat } from './define-format.js';
import { compileMapping, loadMapping, type DecodeContext, type MappingSpec, UTC_CONTEXT } from './mapping.js';
import { loadMappings } from './mapping-cache.js';
import tykAnalytics from './tyk-analytics.js';

/** Formats that need code (logic beyond field mapping). */
const CODE_FORMATS: LogFormat[] = [tykAnalytics];

/** Where the built-in mappings live: rules/mappings/ beside src/ and dist/. */
export const MAPPINGS_DIR = fileURLToPath(new URL('../../rules/mappings/', import.meta.url));

let context: DecodeContext = UTC_CONTEXT;

/** Settings for zoneless and yearless log times, from the command line. */
export function setDecodeContext(ctx: DecodeContext): void {
  context = ctx;
}

function builtinMappings(): LogFormat[] {
  return loadMappings(MAPPINGS_DIR).map((spec) => compileMapping(spec, () => context));
}

const priorityOf = (f: LogFormat): number => ('spec' in f ? (f as { spec: { priority: number } }).spec.priority : 100);

/** Every format, in detection order: highest priority first (specific before generic), then by name. */
export const FORMATS: LogFormat[] = [...CODE_FORMATS, ...builtinMappings()].sort(
  (a, b) => priorityOf(b) - priorityOf(a) || (a.meta.name < b.meta.name ? -1 : 1),
);

/** Adds a format from a user's mapping file (`--mapping`); it is tried before the built-ins. */
export function addFormat(format: LogFormat): void {
  const existing = FORMATS.findIndex((f) => f.meta.name === format.meta.name);
  if (existing >= 0) FORMATS.splice(existing, 1);
  FORMATS.unshift(format);
}

export function compileUserMapping(file: string): LogFormat {
  return compileWithContext(loadMapping(file));
}

/** Compiles a mapping that reads the command line's decode context (zone and year of incomplete times). */
export function compileWithContext(spec: MappingSpec): LogFormat {
  return compileMapping(spec, () => context);
}

export function formatByName(name: string): LogFormat | undefined {
  return FORMATS.find((f) => f.meta.name === name);
}

export type { LogFormat } from './define-format.js';
