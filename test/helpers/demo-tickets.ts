import { join } from 'node:path';
import { scan } from '../../src/pipeline/scan.js';
import { loadPolicy } from '../../src/policy/load.js';
import { expandInputs } from '../../src/read/sources.js';
import { Redactor } from '../../src/report/sanitize.js';
import { DEFAULT_QUEUE, ticketFor, type TicketBody } from '../../src/tickets/ticket.js';
import { ROOT } from './run-cli.js';

/**
 * The tickets for the demo's open incidents, built the way `scan --tickets` builds them
 * (the scan pipeline, then ticketFor with the policy's secrets masked).
 */
export async function demoTickets(queue = DEFAULT_QUEUE): Promise<TicketBody[]> {
  const policy = loadPolicy(join(ROOT, 'rules/demo-policy.yaml'));
  const result = await scan({ sources: expandInputs([join(ROOT, 'fixtures/demo/tyk-analytics.ndjson')]), policy, reorderWindowMs: 300_000 });
  const redact = new Redactor(policy.secrets);
  return result.aggregator
    .incidents()
    .filter((i) => i.suppressed === null)
    .map((i) => ticketFor(i, { queue, redact, version: '0.0.0-test', origin: 'apiguard scan' }));
}
