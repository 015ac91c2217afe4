import { Skip, skip } from '../model/skip.js';

/** One NDJSON line to a record object, or the Skip that says why not. */
export function decodeJsonLine(text: string): Record<string, unknown> | Skip {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return skip('bad-json', jsonErrorDetail(e));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return skip('not-an-object', Array.isArray(value) ? 'array' : typeof value);
  }
  return value as Record<string, unknown>;
}

/**
 * The parser's complaint without the excerpt of the line V8 quotes (`Unexpected token 'o',
 * "not json sk"... is not valid JSON`): the excerpt is log text and may hold part of a key.
 */
export function jsonErrorDetail(e: unknown): string {
  return (e as Error).message
    .replace(/,? ?"(?:[^"\\]|\\.)*"(?:\.\.\.)? is not valid JSON/, '')
    .replace(/token '.'/, 'token')
    .slice(0, 120);
}
