import { mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../model/errors.js';
import { FINDING_ID_FIELD, type TicketBody } from './ticket.js';

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
