import { Skip, skip } from '../model/skip.js';

/** One NDJSON line to a record object, or the Skip that says why not. */
export function decodeJsonLine(text: string): Record<string, unknown> | Skip {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return skip('bad-json', (e as Error).message.slice(0, 120));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return skip('not-an-object', Array.isArray(value) ? 'array' : typeof value);
  }
  return value as Record<string, unknown>;
}
