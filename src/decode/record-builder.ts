/**
 * Records made from the values a layout expression captured (src/decode/json-shape.ts for NDJSON,
 * the CSV reader's row expression): one generated function per layout, an object literal with the
 * needed keys in the layout's order, so that every record of a layout has one hidden class and
 * each value is one property store. The code is generated from field names the format declares
 * (trusted, quoted by JSON.stringify), never from log data.
 *
 * Their string values are slices of the input line: V8 keeps the whole line alive while a slice
 * lives.
 * Such records are marked (FROM_LINE), and formats give the text they keep in a request its own
 * copy (src/formats/fields.ts `ownText`): only what the request holds is copied, once.
 */

/** Marks a record whose strings are slices of the input (see above). */
export const FROM_LINE: unique symbol = Symbol('apiguard.fromLine');

/** Whether `record`'s strings share the input's memory (its text must be copied to be kept). */
export function fromLine(record: object): boolean {
  return (record as { [FROM_LINE]?: boolean })[FROM_LINE] === true;
}

export type RecordBuild = (m: RegExpExecArray) => Record<string, unknown>;

/**
 * How a field's value is captured:
 * - `string`: group g holds the text of a string without escapes, else group g + 1 the whole
 *   string token with escapes (decoded by JSON.parse); neither: null.
 * - `number`: group g holds the number's text; else null.
 * - `boolean`: group g holds true, false or null.
 * - `json`: group g holds any JSON value's text (decoded by `decode`).
 * - `text`: group g holds a CSV cell (cleaned by `clean`).
 */
export interface Capture {
  name: string;
  kind: 'string' | 'number' | 'boolean' | 'json' | 'text';
  group: number;
}

export interface Converters {
  decode?: (token: string) => unknown;
  clean?: (cell: string) => string;
}

function valueOf({ kind, group: g }: Capture): string {
  switch (kind) {
    case 'string':
      return `m[${g}] !== undefined ? m[${g}] : m[${g + 1}] !== undefined ? JSON.parse(m[${g + 1}]) : null`;
    case 'number':
      return `m[${g}] !== undefined ? Number(m[${g}]) : null`;
    case 'boolean':
      return `m[${g}] === 'true' ? true : m[${g}] === 'false' ? false : null`;
    case 'json':
      return `decode(m[${g}])`;
    case 'text':
      return `clean(m[${g}])`;
  }
}

export function recordBuilder(fields: readonly Capture[], convert: Converters): RecordBuild {
  const values = fields.map((f) => `${JSON.stringify(f.name)}: ${valueOf(f)}`);
  // The marker last: the named keys come from the literal's template, the symbol is one transition.
  return new Function('decode', 'clean', 'mark', `return function build(m) { return { ${values.join(', ')}, [mark]: true }; };`)(convert.decode, convert.clean, FROM_LINE) as RecordBuild;
}
