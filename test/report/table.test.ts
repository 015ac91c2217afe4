import { it } from 'vitest';
import { Counters } from '../../src/aggregate/counters.js';
import { IncidentAggregator } from '../../src/aggregate/incidents.js';
import { makeChalk } from '../../src/report/colour.js';
import { Redactor } from '../../src/report/sanitize.js';
import { buildSummary } from '../../src/report/summary.js';
import table from '../../src/report/table.js';
import { request } from '../helpers/requests.js';
import { skip } from '../../src/model/skip.js';

it('explore', () => {
  const counters = new Counters();
  const f = counters.startFile('logs/gw.ndjson');
  f.format = 'tyk-analytics'; f.records = 5; f.parsed = 4;
  counters.skip(f, 3, skip('bad-json', 'x'));
  const agg = new IncidentAggregator();
  agg.add({ request: request({ at: '2026-11-20T03:00:41Z', ip: '203.0.113.9', file: 'logs/gw.ndjson', line: 2, method: 'DELETE', path: '/elastic/SECRETKEY123/x' }), row: 'key-compromised', severity: 'critical', outcome: 'let-through', keyLabel: 'analyst-1', keyGroup: 'k:a', reasons: ['DELETE /x not allowed for analyst'], groups: ['DELETE not allowed for analyst'] });
  agg.add({ request: request({ at: '2026-11-20T03:05:00Z', ip: '203.0.113.9', file: 'logs/gw.ndjson', line: 4, method: 'DELETE', path: '/elastic/logs' }), row: 'key-compromised', severity: 'critical', outcome: 'blocked', keyLabel: 'analyst-1', keyGroup: 'k:a', reasons: ['DELETE /x not allowed for analyst'], groups: ['DELETE not allowed for analyst'] });
  agg.add({ request: request({ at: '2026-11-20T03:05:00Z', ip: '10.0.0.1', file: 'logs/gw.ndjson', line: 5, path: '/a\u001bb' }), row: 'when-violation', severity: 'medium', outcome: 'unknown', keyLabel: 'analyst-2', keyGroup: 'k:b', reasons: ['31st in 1m'], groups: ['over rate 30/1m'] });
  const incidents = agg.incidents();
  const summary = buildSummary({ version: '0.1.0', policy: 'rules/p.yaml', timezone: 'Europe/Amsterdam', counters, aggregator: agg, incidents: incidents.length, first: Date.parse('2026-11-20T03:00:41Z'), last: Date.parse('2026-11-20T03:05:00Z') });
  const out = table.render({ summary, incidents }, { chalk: makeChalk(0), redact: new Redactor(['SECRETKEY123']), width: 120 });
  console.log(out);
  console.log(JSON.stringify(out));
});
