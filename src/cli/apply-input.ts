import { FORMATS, addFormat, compileUserMapping, compileWithContext, formatByName, setDecodeContext, type LogFormat } from '../formats/index.js';
import { MAPPABLE_FIELDS, TIME_CASTS, type MappableField, type MappingSpec } from '../formats/mapping.js';
import { UsageError } from '../model/errors.js';
import { ZoneClock, isValidTimeZone } from '../policy/zone.js';

/** Flags every command that reads logs shares: how to recognise and read them. */
export interface InputFlags {
  format?: string;
  mapping?: string[];
  map?: string[];
  logTimezone?: string;
  logYear?: string;
}

/**
 * Applies the input flags: the zone and year for incomplete log times, user mappings, an ad-hoc
 * --map format. Returns the forced format (if any) and whether CSV has no header row.
 */
export function applyInputOptions(flags: InputFlags): { format?: LogFormat; noHeader: boolean } {
  const zone = flags.logTimezone ?? 'UTC';
  if (!isValidTimeZone(zone)) throw new UsageError(`--log-timezone '${zone}' is not an IANA time zone (e.g. Europe/Amsterdam, UTC)`);
  let year = new Date().getUTCFullYear();
  if (flags.logYear !== undefined) {
    if (!/^\d{4}$/.test(flags.logYear)) throw new UsageError(`--log-year '${flags.logYear}' is not a year`);
    year = Number(flags.logYear);
  }
  const clock = new ZoneClock(zone);
  // A zoneless local time L is the instant U with U + offset(U) = L; two lookups settle it across DST.
  setDecodeContext({ zoneOffset: (local) => clock.offsetAt(local - clock.offsetAt(local)), year });

  for (const file of flags.mapping ?? []) addFormat(compileUserMapping(file));

  let format: LogFormat | undefined;
  if (flags.format !== undefined) {
    format = formatByName(flags.format);
    if (!format) throw new UsageError(`--format '${flags.format}' is unknown; formats: ${FORMATS.map((f) => f.meta.name).join(', ')}`);
  }
  const maps = flags.map ?? [];
  if (maps.length === 0) return { format, noHeader: false };

  const fields: MappingSpec['fields'] = {};
  for (const m of maps) {
    const match = /^([A-Za-z]+)=(.+?)(?::([a-z-]+))?$/.exec(m);
    if (!match || !(MAPPABLE_FIELDS as readonly string[]).includes(match[1]!)) {
      throw new UsageError(`--map '${m}' is not canonical=field (canonical: ${MAPPABLE_FIELDS.join(', ')})`);
    }
    const [, canonical, field, cast] = match;
    if (cast !== undefined && canonical === 'time' && !(TIME_CASTS as readonly string[]).includes(cast)) {
      throw new UsageError(`--map '${m}': '${cast}' is not a time layout (${TIME_CASTS.join(', ')})`);
    }
    fields[canonical as MappableField] = cast === undefined ? { from: [field!] } : { from: [field!], as: cast };
  }
  const base = format && 'spec' in format ? (format as LogFormat & { spec: MappingSpec }).spec : undefined;
  if (format && !base) throw new UsageError(`--map cannot change ${format.meta.name}, which is read by code; map the fields without --format`);
  const merged: MappingSpec['fields'] = { ...(base?.fields ?? {}), ...fields };
  if (!merged.time) throw new UsageError('--map needs time=FIELD (every request needs a time)');
  const noHeader = Object.values(fields).every((f) => f.from.every((x) => /^\d+$/.test(x)));
  const spec: MappingSpec = base
    ? { ...base, fields: merged }
    : {
        name: 'custom',
        description: `fields mapped on the command line: ${maps.join(', ')}`,
        container: 'any',
        priority: 1000,
        detect: { all: [merged.time.from[0]!], any: [], equals: {}, none: [] },
        unwrap: [],
        fields: merged,
        authFailure: { status: [401], statusWithoutIdentity: [403], from: [], in: [] },
        exposure: { fields: [], query: ['api_key', 'apikey', 'key', 'subscription-key'], keyOrHash: true },
        file: '',
      };
  const custom = compileWithContext(spec);
  return { format: custom, noHeader };
}

