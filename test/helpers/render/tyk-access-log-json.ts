import { accessFields, msTime } from './tyk-access-log.js';
import type { DemoRecord } from './demo.js';

/**
 * The demo scenario as Tyk Gateway 5.14+ access logs with TYK_LOGFORMAT=json: one object per line,
 * `level`, `message` (empty for access-log lines), `time`, then the access-log fields with numbers
 * as JSON numbers and `"prefix":"access-log"`. Same fields as the text renderer
 * (tyk-access-log.ts): client IP as logged, method, client path in `original_path`, status, key
 * hash; no alias. Like it, `time` carries milliseconds where Tyk writes whole seconds.
 */
export function render(records: DemoRecord[]): string {
  return records
    .map((r, i) => JSON.stringify({ level: 'info', message: '', time: msTime(r.timestamp), ...accessFields(r, i) }))
    .join('\n')
    .concat('\n');
}
