import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../src/model/request.js';
import { readRequests } from '../../src/pipeline/requests.js';
import { expandInputs } from '../../src/read/sources.js';
import { DEMO_FILE, DEMO_IDENTITIES, demoRecords } from '../helpers/render/demo.js';
import { render as renderEcs } from '../helpers/render/ecs.js';
import { render as renderKibanaCsv } from '../helpers/render/kibana-csv-ecs.js';

/**
 * The demo scenario written as ECS NDJSON and as a Kibana CSV export of those ECS documents, read
 * back: every request must be the Tyk original's, field for field that both logs carry.
 */

const dir = mkdtempSync(join(tmpdir(), 'apiguard-ecs-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function read(file: string) {
  const requests: ApiRequest[] = [];
  const { counters } = await readRequests({ sources: expandInputs([file]) }, (r) => requests.push(r));
  return { stats: counters.files[0]!, requests };
}

/** What both logs carry; the identity as the Tyk key hash maps to an alias and a key id. */
const brief = (r: ApiRequest) => ({ time: r.time, ip: r.ip, method: r.method, path: r.path, status: r.status, alias: r.identity.alias, id: r.identity.id, authFailure: r.authFailure });

let tyk: ApiRequest[] = [];
beforeAll(async () => {
  const { stats, requests } = await read(DEMO_FILE);
  expect([stats.format, stats.skipped]).toEqual(['tyk-analytics', 0]);
  tyk = requests;
});

describe.each([
  ['ecs', 'demo-ecs.ndjson', renderEcs, 'ndjson'],
  ['kibana-csv-ecs', 'demo-kibana-ecs.csv', renderKibanaCsv, 'csv'],
] as const)('the demo scenario as %s', (format, name, render, framing) => {
  const records = demoRecords();
  const file = join(dir, name);

  beforeAll(() => writeFileSync(file, render(records)));

  it('is read whole: detected, every record parsed, none skipped', async () => {
    const { stats, requests } = await read(file);
    expect(stats).toMatchObject({ format, framing, records: records.length, parsed: records.length, skipped: 0, error: '' });
    expect(requests).toHaveLength(1138);
    expect(records).toHaveLength(1138);
  });

  it('gives every request of the Tyk original: time, IP, method, path, status, identity, auth failure', async () => {
    const { requests } = await read(file);
    const expected = tyk.map((t) => {
      const known = DEMO_IDENTITIES[t.identity.hash];
      return { ...brief(t), alias: known?.alias ?? '', id: known?.id ?? '' };
    });
    expect(requests.map(brief)).toEqual(expected);
  });

  it('carries the identities and spellings that matter: the shadow key, no-key requests, evasions', async () => {
    const { requests } = await read(file);
    expect(requests.filter((r) => r.identity.id === 'ak0shadow9' && r.identity.alias === '')).toHaveLength(6);
    expect(requests.filter((r) => r.status === 401 && r.identity.alias === '' && r.identity.id === '' && r.authFailure)).toHaveLength(40);
    const text = render(records);
    expect(text).toContain('/elastic/logs-endpoint-default/../_security/api_key');
    expect(text).toContain('/elastic/%5Fsecurity/role');
    expect(text).toContain('::ffff:10.20.0.15');
  });
});

describe('the Kibana CSV rendering', () => {
  it('writes Kibana: quoted dotted headers, its date layout in UTC, thousands separators, `-` for missing', () => {
    const [header, first, ...rest] = renderKibanaCsv(demoRecords()).split('\n');
    expect(header).toBe(
      '"@timestamp","source.ip","http.request.method","url.original","url.path","http.response.status_code","event.duration","user.name","user.id","user_agent.original","service.name","organization.id","event.category"',
    );
    expect(first).toBe(
      '"Nov 19, 2026 @ 00:02:02.620","10.10.5.2",POST,"/elastic/.alerts-security/_search","/elastic/.alerts-security/_search",200,"36,000,000","soar-playbooks",ak7q2soarpb,"soar-worker/4.2",Elastic,5e9d9544a1dcd60001d0ed20,web',
    );
    // the first request without a key: no user.name, no user.id; a multi-valued event.category
    expect(rest.find((l) => l.includes(',401,'))).toBe(
      '"Nov 20, 2026 @ 02:10:07.318","203.0.113.50",GET,"/elastic/","/elastic/",401,0,"-","-","Mozilla/5.0 zgrab/0.x",Elastic,5e9d9544a1dcd60001d0ed20,"authentication, web"',
    );
  });
});
