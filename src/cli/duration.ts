import { UsageError } from '../model/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `90s`, `5m`, `1h`, `0` → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m || (m[2] === undefined && m[1] !== '0')) {
    throw new UsageError(`${flag} '${text}' is not a duration like 90s, 5m or 1h`);
  }
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
}
