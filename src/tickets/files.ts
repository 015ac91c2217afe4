import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonErrorDetail } from '../decode/ndjson.js';
import { InputError, UsageError } from '../model/errors.js';
import { FINDING_ID_FIELD, SUBJECT_MAX_BYTES, type TicketBody } from './ticket.js';

/** Ticket files are named by finding id, so a directory holds at most one ticket per incident. */
export const TICKET_FILE = /^AG-[0-9a-f]{16}\.json$/;

/**
 * Writes one `<finding id>.json` per ticket into `dir`. Ticket files of an earlier run that this
 * run did not write again are removed, so that the directory is exactly this run's tickets (other
 * files are left alone). Each file is written whole, then renamed into place.
 */
export function writeTicketDir(dir: string, tickets: readonly TicketBody[]): { written: number; removed: number } {
  try {
    mkdirSync(dir, { recursive: true });
    const names = new Set(tickets.map((t) => `${t.CustomFields[FINDING_ID_FIELD]}.json`));
    let removed = 0;
    for (const name of readdirSync(dir)) {
      if (TICKET_FILE.test(name) && !names.has(name)) {
        unlinkSync(join(dir, name));
        removed++;
      }
    }
    for (const t of tickets) {
      const path = join(dir, `${t.CustomFields[FINDING_ID_FIELD]}.json`);
      writeFileSync(`${path}.tmp`, JSON.stringify(t, null, 2) + '\n');
      renameSync(`${path}.tmp`, path);
    }
    return { written: tickets.length, removed };
  } catch (e) {
    throw new UsageError(`cannot write tickets to ${dir}: ${(e as Error).message}`);
  }
}

/** A finding id as apiguard writes it (incidentId in src/aggregate/incidents.ts). */
export const FINDING_ID = /^AG-[0-9a-f]{16}$/;

const FIELDS: readonly (keyof TicketBody)[] = ['Queue', 'Subject', 'Priority', 'Content', 'ContentType', 'CustomFields'];

/** Ticket files bigger than this are not something apiguard wrote (a ticket is a few kB). */
const MAX_TICKET_BYTES = 1024 * 1024;

/**
 * What is wrong with a parsed ticket file, as short sentences; empty when it is a TicketBody that
 * RT will keep as sent. Strict on purpose: a field apiguard does not send could be dropped by RT
 * without a word, and the push verifies only what it knows.
 */
export function ticketProblems(value: unknown, fileName: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`it is ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}, not a ticket object`];
  }
  const t = value as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(t).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) problems.push(`unknown field${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => `'${k}'`).join(', ')} (a ticket has ${FIELDS.join(', ')})`);
  if (typeof t.Queue !== 'string' || t.Queue.trim() === '') problems.push('Queue must be a queue name');
  if (typeof t.Subject !== 'string') problems.push('Subject must be a string');
  else if (Buffer.byteLength(t.Subject, 'utf8') > SUBJECT_MAX_BYTES) problems.push(`Subject is longer than RT keeps (${SUBJECT_MAX_BYTES} bytes)`);
  if (!Number.isSafeInteger(t.Priority)) {
    problems.push(`Priority must be an integer, not ${JSON.stringify(t.Priority) ?? 'missing'} (RT stores a label like "High" as text and it never sorts)`);
  }
  if (typeof t.Content !== 'string' || t.Content === '') problems.push('Content must be the ticket text');
  if (t.ContentType !== 'text/plain') problems.push("ContentType must be 'text/plain'");
  const cfs = t.CustomFields;
  if (typeof cfs !== 'object' || cfs === null || Array.isArray(cfs)) {
    problems.push(`CustomFields must be an object with '${FINDING_ID_FIELD}'`);
  } else {
    const id = (cfs as Record<string, unknown>)[FINDING_ID_FIELD];
    if (typeof id !== 'string' || !FINDING_ID.test(id)) problems.push(`CustomFields '${FINDING_ID_FIELD}' must be a finding id (AG- and 16 hex digits)`);
    else if (`${id}.json` !== fileName) problems.push(`the file name says ${fileName.replace(/\.json$/, '')} but CustomFields '${FINDING_ID_FIELD}' says ${id}`);
    for (const [name, v] of Object.entries(cfs)) {
      if (name !== FINDING_ID_FIELD && typeof v !== 'string') problems.push(`CustomFields '${name}' must be a string`);
    }
  }
  return problems;
}

/** One ticket file: its ticket, or why it cannot be sent. */
export type TicketFileEntry =
  | { file: string; name: string; ticket: TicketBody; problem?: undefined }
  | { file: string; name: string; ticket?: undefined; problem: string };

export interface TicketDir {
  /** Every `AG-<16 hex>.json`, sorted by name, valid or not. */
  entries: TicketFileEntry[];
  /** Other files in the directory, left alone. */
  ignored: string[];
}

/**
 * Reads every ticket file in `dir`. A bad file becomes an entry with its problem, so the caller
 * can report it and go on with the others; no ticket file at all is an input error.
 */
export function readTicketDir(dir: string): TicketDir {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new InputError(`${dir} is not a directory: give the directory apiguard scan --tickets wrote`);
    names = readdirSync(dir).sort();
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ticket directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const entries: TicketFileEntry[] = [];
  const ignored: string[] = [];
  for (const name of names) {
    const file = join(dir, name);
    if (!TICKET_FILE.test(name)) {
      ignored.push(name);
      continue;
    }
    entries.push(readTicketFile(file, name));
  }
  if (entries.length === 0) {
    throw new InputError(`no ticket files (AG-<16 hex digits>.json) in ${dir}${ignored.length > 0 ? ` (${ignored.length} other file${ignored.length === 1 ? '' : 's'})` : ''}: write them with apiguard scan --tickets ${dir}`);
  }
  return { entries, ignored };
}

/** ` at line L, column C` from V8's `at position N`, or nothing. */
function jsonPlace(text: string, e: unknown): string {
  const m = /at position (\d+)/.exec((e as Error).message);
  if (!m) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  return ` at line ${line}, column ${before.length - before.lastIndexOf('\n')}`;
}

function readTicketFile(file: string, name: string): TicketFileEntry {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_TICKET_BYTES) return { file, name, problem: `${size} bytes is too big for a ticket (at most ${MAX_TICKET_BYTES})` };
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { file, name, problem: `cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { file, name, problem: `not JSON${jsonPlace(text, e)}: ${jsonErrorDetail(e)}` };
  }
  const problems = ticketProblems(value, name);
  if (problems.length > 0) return { file, name, problem: problems.join('; ') };
  return { file, name, ticket: value as TicketBody };
}
