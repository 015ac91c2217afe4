/**
 * `apiguard tickets push`: sends ticket files to RT without opening duplicates.
 *
 * Per ticket, one at a time in file-name order (so two requests for one finding never race):
 * 1. search the queue for an active ticket whose 'apiguard Finding ID' custom field is the finding id;
 * 2. found: comment on it (the oldest, when several) that the finding was observed again;
 * 3. not found: create the ticket, read it back and check that RT kept the queue, subject,
 *    priority and custom fields. RT answers 201 even when it dropped a custom field that is not
 *    applied to the queue, and then the next push cannot find the ticket: that is reported.
 */
import { FINDING_ID_FIELD, type TicketBody } from './ticket.js';
import type { TicketFileEntry } from './files.js';
import { activeTicketQuery, queryString, RtError, type RtClient, type RtTicket } from './rt-client.js';

export type PushOutcome = 'created' | 'commented' | 'unverified' | 'failed' | 'invalid' | 'not-attempted';

export interface PushResult {
  name: string;
  outcome: PushOutcome;
  /** The RT ticket created or commented on. */
  ticketId?: number;
  /** Why it failed, what RT did not keep, or other active tickets with the same finding id. */
  detail?: string;
}

export interface PushSummary {
  results: PushResult[];
  /** The error that stopped the push (bad token, RT unreachable...); later tickets were not attempted. */
  stoppedBy?: RtError;
}

/** The comment added to an open ticket when its finding turns up again. */
export function commentFor(ticket: TicketBody, version: string): string {
  return `apiguard ${version} observed finding ${ticket.CustomFields[FINDING_ID_FIELD]} again.\n\n${ticket.Content}`;
}

/** What RT did not keep of what was sent, as sentences with the fix; empty when it kept it all. */
export function notKept(sent: TicketBody, got: RtTicket, queueName: string): string[] {
  const out: string[] = [];
  const sameQueue = /^\d+$/.test(sent.Queue) ? got.queueId === sent.Queue : queueName.toLowerCase() === sent.Queue.toLowerCase();
  if (!sameQueue) out.push(`RT put it in queue '${queueName || got.queueId}', not '${sent.Queue}'`);
  if (got.subject !== sent.Subject) {
    out.push(sent.Subject.startsWith(got.subject) ? `RT cut the Subject to ${got.subject.length} characters` : `RT changed the Subject to '${got.subject}'`);
  }
  if (got.priority !== String(sent.Priority)) out.push(`RT stored Priority as '${got.priority}', not ${sent.Priority}`);
  for (const [name, value] of Object.entries(sent.CustomFields)) {
    const cf = got.customFields.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (cf === undefined || cf.values.length === 0) {
      out.push(
        `RT ignored custom field '${name}': it is not applied to queue '${sent.Queue}', or does not exist, or the token's user lacks ` +
          `SeeCustomField or SetInitialCustomField on it, and RT then drops the field without an error. ` +
          `Apply it: Admin → Custom Fields → '${name}' → Applies to → '${sent.Queue}'` +
          (name === FINDING_ID_FIELD ? '. Until then every push opens a new ticket for this finding' : ''),
      );
    } else if (!cf.values.includes(value)) {
      out.push(`RT stored custom field '${name}' as '${cf.values.join(', ')}', not '${value}'`);
    }
  }
  return out;
}

/**
 * Pushes the valid tickets; invalid entries are reported and skipped. Calls `onResult` as each
 * ticket is done, in file-name order. A `config` or `unreachable` error stops the push: the
 * tickets after it are reported as not attempted.
 */
export async function pushTickets(
  entries: readonly TicketFileEntry[],
  client: RtClient,
  version: string,
  onResult: (r: PushResult) => void = () => {},
): Promise<PushSummary> {
  const results: PushResult[] = [];
  let stoppedBy: RtError | undefined;
  const done = (r: PushResult): void => {
    results.push(r);
    onResult(r);
  };
  for (const entry of entries) {
    if (entry.ticket === undefined) {
      done({ name: entry.name, outcome: 'invalid', detail: entry.problem });
      continue;
    }
    if (stoppedBy) {
      done({ name: entry.name, outcome: 'not-attempted' });
      continue;
    }
    try {
      const { stop, ...result } = await pushOne(entry.ticket, client, version);
      if (stop) stoppedBy = stop;
      done({ name: entry.name, ...result });
    } catch (e) {
      if (!(e instanceof RtError)) throw e;
      if (e.kind !== 'refused') stoppedBy = e;
      done({ name: entry.name, outcome: 'failed', detail: e.message });
    }
  }
  return { results, stoppedBy };
}

async function pushOne(ticket: TicketBody, client: RtClient, version: string): Promise<Omit<PushResult, 'name'> & { stop?: RtError }> {
  const findingId = ticket.CustomFields[FINDING_ID_FIELD]!;
  const found = await client.search(activeTicketQuery(ticket.Queue, FINDING_ID_FIELD, findingId));
  if (found.length > 0) {
    const [oldest, ...others] = found;
    await client.comment(oldest!, commentFor(ticket, version));
    return {
      outcome: 'commented',
      ticketId: oldest!,
      detail: others.length > 0 ? `${others.length} more active ticket${others.length === 1 ? '' : 's'} with this finding id (${others.map((n) => `#${n}`).join(', ')}): merge them into #${oldest}` : undefined,
    };
  }
  const id = await client.create(ticket);
  let problems: string[];
  try {
    const got = await client.ticket(id);
    const queueName = /^\d+$/.test(ticket.Queue) ? '' : await client.queueName(got.queueId);
    problems = notKept(ticket, got, queueName);
  } catch (e) {
    // The ticket exists: say so, whatever stopped the check.
    if (!(e instanceof RtError)) throw e;
    return { outcome: 'unverified', ticketId: id, detail: `could not read it back to check what RT kept: ${e.message}`, stop: e.kind === 'refused' ? undefined : e };
  }
  return problems.length === 0 ? { outcome: 'created', ticketId: id } : { outcome: 'unverified', ticketId: id, detail: problems.join('; ') };
}

// C1 controls, DEL and the Unicode characters that reorder or hide text: JSON.stringify leaves
// them raw, and ticket text came from logs. As \uXXXX escapes the output stays valid JSON.
// eslint-disable-next-line no-control-regex
const JSON_UNSAFE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** Pretty JSON that is safe to print on a terminal. */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The requests a push would send for one ticket, as text (`--dry-run`): the search, then both
 * branches, since a dry run sends nothing and so cannot know which one RT would take.
 */
export function plannedRequests(ticket: TicketBody, base: string, version: string): string[] {
  const indent = (text: string): string[] => text.split('\n').map((l) => `    ${l}`);
  const query = activeTicketQuery(ticket.Queue, FINDING_ID_FIELD, ticket.CustomFields[FINDING_ID_FIELD]!);
  return [
    `  GET ${base}/tickets${queryString({ query, orderby: 'id', order: 'ASC', per_page: '100' })}`,
    `    (TicketSQL: ${query})`,
    '  if it finds an active ticket <id>:',
    `  POST ${base}/ticket/<id>/comment`,
    ...indent(printableJson({ Content: commentFor(ticket, version), ContentType: 'text/plain' })),
    '  otherwise:',
    `  POST ${base}/ticket`,
    ...indent(printableJson(ticket)),
    `  GET ${base}/ticket/<new id>, then GET ${base}/queue/<its queue id>: check that RT kept Queue, Subject, Priority and CustomFields`,
  ];
}
