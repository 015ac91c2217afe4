/**
 * RT (Request Tracker) REST2 ticket bodies, one per incident. A ticket file is exactly the JSON
 * body of `POST /REST/2.0/ticket`, so it can be sent by `apiguard tickets push`, by curl, or by a
 * SOAR step. The finding id travels in a ticket custom field so that a later run finds the open
 * ticket and comments on it instead of opening a duplicate.
 */
import { severalKeys, type Incident } from '../aggregate/incidents.js';
import { rowLabel } from '../judge/decision-table.js';
import type { Severity } from '../model/finding.js';
import { isoUtc } from '../normalise/time.js';
import type { Redactor } from '../report/sanitize.js';

/** The ticket custom field that carries the stable finding id (RT must have it applied to the queue). */
export const FINDING_ID_FIELD = 'apiguard Finding ID';

export const DEFAULT_QUEUE = 'API Security';

/** RT's Subject column holds 200 bytes; RT silently cuts a longer subject (at a byte, not a character). */
export const SUBJECT_MAX_BYTES = 200;

/** The subject, shortened with an ellipsis on a character boundary to what RT keeps whole. */
export function fitSubject(subject: string): string {
  if (Buffer.byteLength(subject, 'utf8') <= SUBJECT_MAX_BYTES) return subject;
  let out = '';
  let bytes = 0;
  for (const ch of subject) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > SUBJECT_MAX_BYTES - 3) break; // '…' is 3 bytes in UTF-8
    out += ch;
    bytes += n;
  }
  return `${out}…`;
}

/**
 * RT stores Priority as an integer (a label like "High" is stored verbatim and breaks sorting),
 * so severities map onto RT 5's default priority scale (Low 0, Medium 50, High 100).
 */
export const PRIORITY: Readonly<Record<Severity, number>> = { low: 20, medium: 50, high: 80, critical: 100 };

/** The body of `POST /REST/2.0/ticket`. */
export interface TicketBody {
  Queue: string;
  Subject: string;
  Priority: number;
  Content: string;
  ContentType: 'text/plain';
  CustomFields: Record<string, string>;
}

export interface TicketOptions {
  queue: string;
  redact: Redactor;
  version: string;
  /** Where the incident came from, e.g. `apiguard scan` or `apiguard triage soar-edr`. */
  origin: string;
}

/** The strongest response the table calls for: the last of the row's responses. */
export function headlineAction(i: Incident): string {
  return i.responses[i.responses.length - 1]!;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A ticket for one incident. Every log-derived string passes through the redactor; the key is its policy name or masked form. */
export function ticketFor(i: Incident, opts: TicketOptions): TicketBody {
  const r = opts.redact;
  const key = r.text(i.key);
  const outcome = [
    i.blocked > 0 ? `${i.blocked} blocked by the gateway` : '',
    i.letThrough > 0 ? `${i.letThrough} let through` : '',
    i.unknownOutcome > 0 ? `${i.unknownOutcome} with no status in the log` : '',
  ].filter(Boolean);
  const lines = [
    `apiguard finding ${i.id}: ${rowLabel(i.row)} of the decision table (${i.severity}).`,
    `Possible cause: ${i.cause}.`,
    '',
    `Key:        ${key}`,
    `Source IP:  ${r.text(i.ip) || '(not in the log)'}`,
    ...(i.tenant ? [`Tenant:     ${r.text(i.tenant)}`] : []),
    `First seen: ${isoUtc(i.firstSeen)}`,
    `Last seen:  ${isoUtc(i.lastSeen)}`,
    `Requests:   ${i.count}${outcome.length > 0 ? ` (${outcome.join(', ')})` : ''}`,
    '',
    'Why:',
    ...i.reasons.map((c) => `  - ${c.count}x ${r.text(c.text)}`),
    ...(i.otherReasons > 0 ? [`  - and ${plural(i.otherReasons, 'more reason')}`] : []),
    '',
    ...(severalKeys(i)
      ? [
          'Keys (nobody issued them; grouped by source):',
          ...i.keys.map((c) => `  - ${c.count}x ${r.text(c.text)}`),
          ...(i.otherKeys > 0 ? [`  - and ${plural(i.otherKeys, 'more request')} with other keys`] : []),
          '',
        ]
      : []),
    'Actions:',
    ...i.actions.map((c) => `  - ${c.count}x ${r.text(c.text)}`),
    ...(i.otherActions > 0 ? [`  - and ${plural(i.otherActions, 'more request')} to other actions`] : []),
    ...(i.userAgents.length > 0
      ? [
          '',
          'User agents (as the clients sent them):',
          ...i.userAgents.map((c) => `  - ${c.count}x ${r.text(c.text)}`),
          ...(i.otherUserAgents > 0 ? [`  - and ${plural(i.otherUserAgents, 'more request')} with other user agents`] : []),
        ]
      : []),
    '',
    `Evidence (the first ${plural(i.evidence.length, 'record')}):`,
    ...i.evidence.map((e) => `  - ${r.text(e.file)}:${e.line}`),
    '',
    'Response:',
    ...i.responses.map((step, n) => `  ${n + 1}. ${step}`),
    '',
    `The finding id ${i.id} is the same in every run for this ${i.unissued ? 'row and source (keys nobody issued are grouped by source)' : 'key, row and source'}; a later run comments on this ticket instead of opening another.`,
    `Written by apiguard ${opts.version} (${r.text(opts.origin)}).`,
  ];
  return {
    Queue: opts.queue,
    Subject: fitSubject(`[apiguard ${i.id}] ${headlineAction(i)}: ${key} from ${r.text(i.ip) || 'unknown source'} (${i.cause})`),
    Priority: PRIORITY[i.severity],
    Content: lines.join('\n') + '\n',
    ContentType: 'text/plain',
    CustomFields: { [FINDING_ID_FIELD]: i.id },
  };
}
