import type { Container } from '../formats/define-format.js';
import { FORMATS, type LogFormat } from '../formats/index.js';

/** Records looked at to pick a file's format. */
export const DETECT_RECORDS = 5;

/**
 * Picks the format most of a file's first records fit (each record votes for the first format,
 * in registry order, whose `detect` accepts it). Undefined when none fits any record.
 */
export function detectFormat(records: Record<string, unknown>[], container?: Container): LogFormat | undefined {
  const votes = new Map<LogFormat, number>();
  const candidates = container ? FORMATS.filter((f) => f.meta.container === container || f.meta.container === 'any') : FORMATS;
  for (const record of records) {
    const f = candidates.find((format) => format.detect(record));
    if (f) votes.set(f, (votes.get(f) ?? 0) + 1);
  }
  let best: LogFormat | undefined;
  let bestVotes = 0;
  for (const f of FORMATS) {
    const v = votes.get(f) ?? 0;
    if (v > bestVotes) {
      best = f;
      bestVotes = v;
    }
  }
  return best;
}

/** What a file's first record looked like, for the "no format fits" error. */
export function describeRecord(record: Record<string, unknown> | undefined): string {
  if (!record) return 'no JSON object in its first lines';
  const keys = Object.keys(record);
  const shown = keys.slice(0, 12).join(', ');
  return `first record has fields: ${shown}${keys.length > 12 ? `, … (${keys.length} in all)` : ''}`;
}
