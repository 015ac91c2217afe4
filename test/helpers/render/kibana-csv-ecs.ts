import type { DemoRecord } from './demo.js';
import { ecsDocument } from './ecs.js';

/**
 * The demo scenario as a Kibana "Generate CSV" export (Discover → Share → CSV) of the ECS
 * documents of ./ecs.ts, with Kibana's defaults: the selected columns as the header, every cell
 * holding a character outside [A-Za-z0-9] quoted (inner quotes doubled), dates in the data view's
 * default format `MMM D, YYYY @ HH:mm:ss.SSS` in UTC (no zone written), numbers with thousands
 * separators, multi-valued fields joined with `, `, and `-` for a missing value. So per record it
 * keeps what the ECS documents keep: time (ms), client IP as logged, method, the client's path
 * (`url.original`), status, `user.name` (alias) and `user.id` (key id), `-` when absent.
 */

export const COLUMNS = [
  '@timestamp',
  'source.ip',
  'http.request.method',
  'url.original',
  'url.path',
  'http.response.status_code',
  'event.duration',
  'user.name',
  'user.id',
  'user_agent.original',
  'service.name',
  'organization.id',
  'event.category',
] as const;

const DATE_COLUMNS = new Set<string>(['@timestamp']);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Kibana's default date format, `Sep 20, 2015 @ 10:26:48.725`, in UTC. */
export function kibanaDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} @ ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

/** Kibana's default number format `0,0.[000]` for integers: `36,000,000`. */
export function kibanaNumber(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A cell as kbn-generate-csv escapes it with csv:quoteValues on (the default). */
export function kibanaCell(text: string): string {
  return /[^A-Za-z0-9]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function valueAt(doc: Record<string, unknown>, path: string): unknown {
  let v: unknown = doc;
  if (path in doc) return doc[path];
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function formatted(column: string, v: unknown): string {
  if (v === undefined || v === null || v === '') return '-';
  if (Array.isArray(v)) return v.map((x) => formatted(column, x)).join(', ');
  if (DATE_COLUMNS.has(column)) return kibanaDate(Date.parse(String(v)));
  if (typeof v === 'number') return kibanaNumber(v);
  return String(v);
}

export function render(records: DemoRecord[]): string {
  const lines = [COLUMNS.map(kibanaCell).join(',')];
  records.forEach((r, i) => {
    const doc = ecsDocument(r, i);
    lines.push(COLUMNS.map((c) => kibanaCell(formatted(c, valueAt(doc, c)))).join(','));
  });
  return lines.join('\n').concat('\n');
}
