import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';

/** `2026-11-20 04:00:41 +01:00`: local time in the policy's zone, with its offset, for people. */
export function localTime(ms: number, zone: string): string {
  return format(new TZDate(ms, zone), 'yyyy-MM-dd HH:mm:ss xxx');
}

/** First → last, the last without its date when it is the same day. */
export function localSpan(first: number, last: number, zone: string, separator = ' → '): string {
  const a = localTime(first, zone);
  if (first === last) return a;
  const b = localTime(last, zone);
  return `${a}${separator}${b.slice(0, 10) === a.slice(0, 10) ? b.slice(11) : b}`;
}
