import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IncidentAggregator, type Incident } from '../../src/aggregate/incidents.js';
import type { Finding, RowId, Severity } from '../../src/model/finding.js';
import { UsageError } from '../../src/model/errors.js';
import { Redactor } from '../../src/report/sanitize.js';
import { TICKET_FILE, writeTicketDir } from '../../src/tickets/files.js';
import { FINDING_ID_FIELD, PRIORITY, ticketFor } from '../../src/tickets/ticket.js';
import { request } from '../helpers/requests.js';

const RAW_KEY = 'sk_live_4f8a1e6b9c2d7e3f5a0b';

function incidentOf(row: RowId, severity: Severity, over: Partial<Finding> = {}, path = '/elastic/logs/_search'): Incident {
  const agg = new IncidentAggregator();
  for (const [i, outcome] of (['blocked', 'let-through', 'let-through'] as const).entries()) {
    agg.add({
      request: request({ path, line: 10 + i, at: `2026-11-19T09:0${i}:00Z`, ip: '203.0.113.9', file: 'gw.ndjson' }),
      row,
      severity,
      outcome,
      keyLabel: 'soar-edr',
      keyGroup: 'h:3f9a1c0d7be24e51',
      reasons: ['source 203.0.113.9 outside corp'],
      groups: ['source outside corp'],
      ...over,
    });
  }
  return agg.incidents()[0]!;
}

const opts = { queue: 'API Security', redact: new Redactor([RAW_KEY]), version: '9.9.9', origin: 'apiguard scan' };

describe('ticketFor', () => {
  it('is exactly a REST2 create body: queue, subject with the headline action and id, integer priority, plain text, finding id field', () => {
    const i = incidentOf('key-compromised', 'critical');
    const t = ticketFor(i, opts);
    expect(Object.keys(t).sort()).toEqual(['Content', 'ContentType', 'CustomFields', 'Priority', 'Queue', 'Subject']);
    expect(t.Queue).toBe('API Security');
    expect(t.Subject).toBe(`[apiguard ${i.id}] Revoke API key & create new API key: soar-edr from 203.0.113.9 (API key compromised)`);
    expect(t.Priority).toBe(100);
    expect(Number.isInteger(t.Priority)).toBe(true);
    expect(t.ContentType).toBe('text/plain');
    expect(t.CustomFields).toEqual({ [FINDING_ID_FIELD]: i.id });
    expect(i.id).toMatch(/^AG-[0-9a-f]{16}$/);
  });

  it('orders priorities by severity, all integers', () => {
    const values = (['low', 'medium', 'high', 'critical'] as const).map((s) => PRIORITY[s]);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(4);
    expect(ticketFor(incidentOf('unauthenticated', 'low'), opts).Priority).toBe(PRIORITY.low);
    expect(ticketFor(incidentOf('invalid-for-role', 'high'), opts).Subject).toContain('] Investigate API key:');
    expect(ticketFor(incidentOf('unauthenticated', 'low'), opts).Subject).toContain('] Block API request:');
  });

  it('says what, when, how often, why, where the evidence is, and the response steps', () => {
    const t = ticketFor(incidentOf('key-compromised', 'critical'), opts);
    const c = t.Content;
    expect(c).toContain('row 3 key-compromised of the decision table (critical)');
    expect(c).toContain('First seen: 2026-11-19T09:00:00.000Z');
    expect(c).toContain('Last seen:  2026-11-19T09:02:00.000Z');
    expect(c).toContain('Requests:   3 (1 blocked by the gateway, 2 let through)');
    expect(c).toContain('  - 3x source outside corp');
    expect(c).toContain('  - 3x GET /elastic/logs/_search');
    expect(c).toContain('  - gw.ndjson:10\n  - gw.ndjson:11\n  - gw.ndjson:12');
    expect(c).toContain('Response:\n  1. Block API request\n  2. Revoke API key & create new API key');
    expect(c).toContain('Written by apiguard 9.9.9 (apiguard scan).');
  });

  it('lists the user agents the clients sent, neutralised, and nothing when the log has none', () => {
    const agg = new IncidentAggregator();
    for (const [n, ua] of ['python-requests/2.31.0', `evil\u001b[2J ${RAW_KEY}`, 'python-requests/2.31.0'].entries()) {
      agg.add({
        request: request({ line: n + 1, ip: '203.0.113.9', userAgent: ua }),
        row: 'key-compromised',
        severity: 'critical',
        outcome: 'blocked',
        keyLabel: 'soar-edr',
        keyGroup: 'policy:soar-edr',
        reasons: ['r'],
        groups: ['r'],
      });
    }
    const c = ticketFor(agg.incidents()[0]!, opts).Content;
    expect(c).toContain('\n\nUser agents (as the clients sent them):\n  - 2x python-requests/2.31.0\n  - 1x evil\\x1b[2J sk_l…5a0b\n\nEvidence');
    expect(ticketFor(incidentOf('key-compromised', 'critical'), opts).Content).not.toContain('User agents');
  });

  it('masks known raw keys and neutralises control characters in log-derived text', () => {
    const i = incidentOf('invalid-for-role', 'high', {}, `/keys/${RAW_KEY}/\u001b[2J\u202e`);
    const t = ticketFor(i, opts);
    const all = Object.values(t).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n');
    expect(all).not.toContain(RAW_KEY);
    expect(t.Content).toContain('GET /keys/sk_l…5a0b/\\x1b[2J\\u202e');
    expect(all).not.toMatch(/[\u001b\u202e]/);
  });

  it('is the same bytes for the same incident (no clock in it)', () => {
    const a = JSON.stringify(ticketFor(incidentOf('key-compromised', 'critical'), opts));
    const b = JSON.stringify(ticketFor(incidentOf('key-compromised', 'critical'), opts));
    expect(a).toBe(b);
  });
});

describe('writeTicketDir', () => {
  const ticket = (id: string) => ({ ...ticketFor(incidentOf('key-compromised', 'critical'), opts), CustomFields: { [FINDING_ID_FIELD]: id } });
  const A = 'AG-00000000000000aa';
  const B = 'AG-00000000000000bb';

  it('writes one <id>.json per ticket, and removes only ticket files of an earlier run that were not written again', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'apiguard-tickets-')), 'nested', 'tickets');
    expect(writeTicketDir(dir, [ticket(A), ticket(B)])).toEqual({ written: 2, removed: 0 });
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    writeFileSync(join(dir, 'AG-zz.json'), 'not a ticket name');
    expect(writeTicketDir(dir, [ticket(B)])).toEqual({ written: 1, removed: 1 });
    expect(readdirSync(dir).sort()).toEqual(['AG-00000000000000bb.json', 'AG-zz.json', 'notes.txt']);
    const body = JSON.parse(readFileSync(join(dir, `${B}.json`), 'utf8')) as Record<string, unknown>;
    expect(body.CustomFields).toEqual({ [FINDING_ID_FIELD]: B });
    expect(TICKET_FILE.test(`${A}.json`)).toBe(true);
    expect(TICKET_FILE.test('AG-zz.json')).toBe(false);
  });

  it('reports an unwritable directory as a usage error naming it', () => {
    const base = mkdtempSync(join(tmpdir(), 'apiguard-tickets-'));
    writeFileSync(join(base, 'file'), '');
    mkdirSync(join(base, 'ok'));
    expect(() => writeTicketDir(join(base, 'file', 'sub'), [ticket(A)])).toThrow(UsageError);
    expect(() => writeTicketDir(join(base, 'file', 'sub'), [ticket(A)])).toThrow(/cannot write tickets to .*file\/sub/);
  });
});
