import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { readTicketDir, ticketProblems, TICKET_FILE, writeTicketDir } from '../../src/tickets/files.js';
import { FINDING_ID_FIELD, fitSubject, SUBJECT_MAX_BYTES, type TicketBody } from '../../src/tickets/ticket.js';
import { demoTickets } from '../helpers/demo-tickets.js';
import { SAMPLE_ID, sampleTicket } from '../helpers/fake-rt.js';

const ID = SAMPLE_ID;
const ticket = sampleTicket;

const tmp = (): string => mkdtempSync(join(tmpdir(), 'apiguard-tickets-'));

describe('readTicketDir', () => {
  let demo: TicketBody[];
  beforeAll(async () => {
    demo = await demoTickets();
  });

  it('reads back exactly what writeTicketDir wrote, sorted by file name', () => {
    const dir = tmp();
    writeTicketDir(dir, demo);
    const { entries, ignored } = readTicketDir(dir);
    expect(ignored).toEqual([]);
    expect(entries.map((e) => e.name)).toEqual(readdirSync(dir).filter((n) => TICKET_FILE.test(n)).sort());
    expect(entries.every((e) => e.problem === undefined)).toBe(true);
    const byId = new Map(demo.map((t) => [t.CustomFields[FINDING_ID_FIELD], t]));
    for (const e of entries) expect(e.ticket).toEqual(byId.get(e.name.replace('.json', '')));
    expect(entries).toHaveLength(demo.length);
  });

  it('reports a bad file with its problem and keeps the others', () => {
    const dir = tmp();
    writeFileSync(join(dir, `${ID}.json`), JSON.stringify(ticket()));
    writeFileSync(join(dir, 'AG-1111111111111111.json'), '{\n  "Queue": "API Security",\n  "Subject" "x"\n}\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a ticket');
    const { entries, ignored } = readTicketDir(dir);
    expect(ignored).toEqual(['notes.txt']);
    expect(entries.map((e) => e.name)).toEqual([`${ID}.json`, 'AG-1111111111111111.json']);
    expect(entries[0]!.ticket).toEqual(ticket());
    expect(entries[1]!.file).toBe(join(dir, 'AG-1111111111111111.json'));
    expect(entries[1]!.problem).toMatch(/^not JSON at line 3, column 13: /);
  });

  it('refuses a directory without ticket files, naming it', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'AG-123.json'), '{}');
    expect(() => readTicketDir(dir)).toThrow(InputError);
    expect(() => readTicketDir(dir)).toThrow(`no ticket files (AG-<16 hex digits>.json) in ${dir} (1 other file)`);
  });

  it('refuses a missing directory or a file', () => {
    const dir = tmp();
    expect(() => readTicketDir(join(dir, 'nope'))).toThrow(`cannot read ticket directory ${join(dir, 'nope')}: ENOENT`);
    writeFileSync(join(dir, 'f'), '');
    expect(() => readTicketDir(join(dir, 'f'))).toThrow(/is not a directory/);
  });

  it('reports an unreadable ticket file (a directory with a ticket name)', () => {
    const dir = tmp();
    mkdirSync(join(dir, `${ID}.json`));
    expect(readTicketDir(dir).entries[0]!.problem).toBe('cannot read it: EISDIR');
  });
});

describe('ticketProblems', () => {
  const name = `${ID}.json`;
  it('accepts a ticket as apiguard writes it', () => {
    expect(ticketProblems(ticket(), name)).toEqual([]);
  });

  it.each([
    ['a Priority label, which RT would store as text', { Priority: 'High' }, /^Priority must be an integer, not "High"/],
    ['a fractional Priority', { Priority: 80.5 }, /^Priority must be an integer, not 80.5/],
    ['no Priority', { Priority: undefined }, /^Priority must be an integer, not missing/],
    ['an empty Queue', { Queue: ' ' }, /^Queue must be a queue name$/],
    ['HTML content', { ContentType: 'text/html' }, /^ContentType must be 'text\/plain'$/],
    ['empty Content', { Content: '' }, /^Content must be the ticket text$/],
    ['a Subject RT would cut', { Subject: 'x'.repeat(SUBJECT_MAX_BYTES + 1) }, /^Subject is longer than RT keeps \(200 bytes\)$/],
    ['no finding id', { CustomFields: {} }, /^CustomFields 'apiguard Finding ID' must be a finding id/],
    ['a finding id that is not the file name', { CustomFields: { [FINDING_ID_FIELD]: 'AG-1111111111111111' } }, /^the file name says AG-0123456789abcdef but CustomFields 'apiguard Finding ID' says AG-1111111111111111$/],
    ['a non-string custom field', { CustomFields: { [FINDING_ID_FIELD]: ID, Severity: 3 } }, /^CustomFields 'Severity' must be a string$/],
    ['CustomFields as an array', { CustomFields: [ID] }, /^CustomFields must be an object/],
  ])('refuses %s', (_what, over, problem) => {
    const problems = ticketProblems(ticket(over), name);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it('refuses fields apiguard does not send (RT could drop them silently)', () => {
    expect(ticketProblems({ ...ticket(), Requestors: 'a@example.com' }, name)).toEqual([
      "unknown field 'Requestors' (a ticket has Queue, Subject, Priority, Content, ContentType, CustomFields)",
    ]);
  });

  it('says what a non-object is', () => {
    expect(ticketProblems([1], name)).toEqual(['it is an array, not a ticket object']);
    expect(ticketProblems(null, name)).toEqual(['it is null, not a ticket object']);
    expect(ticketProblems('x', name)).toEqual(['it is a string, not a ticket object']);
  });

  it('lists every problem of a file at once', () => {
    expect(ticketProblems(ticket({ Priority: 'High', Queue: '' }), name)).toHaveLength(2);
  });
});

describe('fitSubject', () => {
  it('leaves a subject RT keeps whole alone', () => {
    const s = 'x'.repeat(SUBJECT_MAX_BYTES);
    expect(fitSubject(s)).toBe(s);
  });

  it('shortens a longer one to 200 bytes with an ellipsis, never splitting a character', () => {
    const s = `[apiguard ${ID}] ${'é'.repeat(150)}`;
    const fitted = fitSubject(s);
    expect(Buffer.byteLength(fitted, 'utf8')).toBeLessThanOrEqual(SUBJECT_MAX_BYTES);
    expect(fitted.endsWith('é…')).toBe(true);
    expect(s.startsWith(fitted.slice(0, -1))).toBe(true);
    expect(fitted).not.toContain('\uFFFD');
  });
});
