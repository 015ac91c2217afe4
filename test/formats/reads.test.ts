import { describe, expect, it } from 'vitest';
import { containerOf } from '../../src/decode/containers.js';
import { detectFormat } from '../../src/decode/detect.js';
import { FROM_LINE } from '../../src/decode/record-builder.js';
import { FORMATS, type LogFormat } from '../../src/formats/index.js';
import { filesUnder, framedRecords } from '../helpers/fixture-records.js';

/**
 * Each format says which top-level fields it reads (`reads`), and readers then decode only those.
 * So a format must touch nothing else, and must give the same request from a record cut down to
 * its `reads` as from the whole record, also when the cut-down record is marked as sliced from the
 * input (then the request's text is copied). Checked on every record of every fixture, with the
 * format the file is detected as.
 */

/** The records of a file as the pipeline frames them, and the format it is detected as. */
function read(file: string): { records: Record<string, unknown>[]; format: LogFormat | undefined } {
  const { records, framing } = framedRecords(file);
  return { records, format: framing === undefined ? undefined : detectFormat(records.slice(0, 5), containerOf(framing)) };
}

/** A record that remembers which of its top-level fields were read (or tested with `in`). */
function watched(record: Record<string, unknown>, touched: Set<string>): Record<string, unknown> {
  return new Proxy(record, {
    get(target, key, receiver) {
      if (typeof key === 'string') touched.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') touched.add(key);
      return Reflect.has(target, key);
    },
    ownKeys() {
      throw new Error('a format enumerated the fields of a record: it cannot declare what it reads');
    },
  });
}

function project(record: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.prototype.hasOwnProperty.call(record, k)) out[k] = record[k];
  return out;
}

const FIXTURES = filesUnder('fixtures').map(read).filter((f) => f.format !== undefined && f.records.length > 0);

describe('what each format reads', () => {
  it('every format declares its reads', () => {
    for (const f of FORMATS) expect(f.reads, f.meta.name).toBeDefined();
  });

  it('the fixtures cover most formats', () => {
    const covered = new Set(FIXTURES.map((f) => f.format!.meta.name));
    expect(covered.size).toBeGreaterThanOrEqual(FORMATS.length - 2);
  });

  it.each(FIXTURES.map((f, i) => [f.format!.meta.name, i] as const))('%s (fixture %#): touches only its reads, and reads the same from a cut-down record', (_name, i) => {
    const { records, format } = FIXTURES[i]!;
    const declared = format!.reads!;
    for (const record of records) {
      const touched = new Set<string>();
      const r = watched(record, touched);
      const accepted = format!.accepts ? format!.accepts(r) : true;
      const request = accepted ? format!.normalise(r, 'f', 1) : null;
      const exposed = accepted && format!.exposures ? format!.exposures(r) : [];
      for (const key of touched) expect(declared, `${format!.meta.name} read '${key}'`).toContain(key);

      const cut = project(record, declared);
      const sliced = { ...cut, [FROM_LINE]: true };
      expect(format!.accepts ? format!.accepts(cut) : true).toBe(accepted);
      if (!accepted) continue;
      expect(format!.normalise(cut, 'f', 1)).toEqual(request);
      expect(format!.normalise(sliced, 'f', 1)).toEqual(request);
      expect(format!.exposures ? format!.exposures(cut) : []).toEqual(exposed);
      expect(format!.exposures ? format!.exposures(sliced) : []).toEqual(exposed);
    }
  });
});
