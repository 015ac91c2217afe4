import { EXIT, InputError, UsageError } from '../../model/errors.js';
import { neutraliseControls } from '../../report/sanitize.js';
import { readTicketDir } from '../../tickets/files.js';
import { plannedRequests, pushTickets, type PushResult } from '../../tickets/push.js';
import { RtClient, restBaseUrl } from '../../tickets/rt-client.js';
import { parseDuration } from '../duration.js';
import { VERSION } from '../version.js';
import type { Io } from './scan.js';

export interface TicketsPushFlags {
  rtUrl?: string;
  dryRun?: boolean;
  timeout: string;
}

/** Never "Mozilla...": RT answers a browser-looking client with a login redirect instead of 401. */
export const USER_AGENT = `apiguard/${VERSION}`;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function resultLine(r: PushResult): string {
  const text = ((): string => {
    switch (r.outcome) {
      case 'created':
        return `created #${r.ticketId}`;
      case 'commented':
        return `commented on #${r.ticketId} (already open: observed again)${r.detail ? `; ${r.detail}` : ''}`;
      case 'unverified':
        return `created #${r.ticketId}, but ${r.detail}`;
      case 'failed':
        return `failed: ${r.detail}`;
      case 'invalid':
        return `invalid, skipped: ${r.detail}`;
      case 'not-attempted':
        return 'not attempted';
    }
  })();
  return neutraliseControls(`${r.name}  ${text}`);
}

function summaryLine(results: readonly PushResult[], dryRun: boolean): string {
  const count = (o: PushResult['outcome']): number => results.filter((r) => r.outcome === o).length;
  const parts = dryRun
    ? [`${count('created')} would be pushed (dry run: nothing sent)`]
    : [`${count('created')} created`, `${count('commented')} commented on`];
  if (count('unverified') > 0) parts.push(`${count('unverified')} created with fields RT did not keep`);
  if (count('failed') > 0) parts.push(`${count('failed')} failed`);
  if (count('invalid') > 0) parts.push(`${count('invalid')} invalid (skipped)`);
  if (count('not-attempted') > 0) parts.push(`${count('not-attempted')} not attempted`);
  return `${plural(results.length, 'ticket file')}: ${parts.join(', ')}`;
}

/** RT_TOKEN, checked without ever printing it. */
function tokenFrom(env: NodeJS.ProcessEnv): string {
  const token = (env.RT_TOKEN ?? '').trim();
  if (token === '') {
    throw new UsageError('RT_TOKEN is not set: create a token in RT (Logged in as → Settings → Auth Tokens) and export RT_TOKEN=<token>; --dry-run needs none');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\uffff]/.test(token)) throw new UsageError('RT_TOKEN holds characters an HTTP header cannot carry');
  return token;
}

/** `apiguard tickets push DIR`: see src/tickets/push.ts. */
export async function runTicketsPush(dir: string, flags: TicketsPushFlags, io: Io): Promise<number> {
  const url = flags.rtUrl ?? io.env.RT_URL;
  if (url === undefined || url.trim() === '') throw new UsageError("--rt-url is required (or RT_URL): RT's web address, e.g. https://rt.example.com/rt");
  let base: string;
  try {
    base = restBaseUrl(url);
  } catch (e) {
    throw new UsageError(`--rt-url: ${(e as Error).message}`);
  }
  const timeoutMs = parseDuration(flags.timeout, '--timeout');
  if (timeoutMs <= 0) throw new UsageError('--timeout must be more than 0');
  // Usage first: a missing token is reported before the directory is read.
  const token = flags.dryRun ? '' : tokenFrom(io.env);
  const { entries, ignored } = readTicketDir(dir);
  const out = (line: string): void => void io.stdout.write(`${line}\n`);
  if (ignored.length > 0) {
    io.stderr.write(neutraliseControls(`apiguard: ignored ${plural(ignored.length, 'file')} in ${dir} not named AG-<16 hex digits>.json: ${ignored.slice(0, 5).join(', ')}${ignored.length > 5 ? ', ...' : ''}`) + '\n');
  }

  if (flags.dryRun) {
    out(`Dry run: nothing is sent. Requests go to ${base} with the headers`);
    out('  Authorization: token ***');
    out(`  User-Agent: ${USER_AGENT}`);
    out('  Accept: application/json');
    out('  Content-Type: application/json (POST)');
    const results: PushResult[] = [];
    for (const e of entries) {
      out('');
      if (e.ticket === undefined) {
        results.push({ name: e.name, outcome: 'invalid', detail: e.problem });
        out(resultLine(results[results.length - 1]!));
        continue;
      }
      results.push({ name: e.name, outcome: 'created' });
      out(neutraliseControls(e.name));
      // The JSON lines escape their own unsafe characters; the others come from the queue name.
      for (const line of plannedRequests(e.ticket, base, VERSION)) out(line.startsWith('    ') ? line : neutraliseControls(line));
    }
    out('');
    out(summaryLine(results, true));
    return results.some((r) => r.outcome === 'invalid') ? EXIT.input : EXIT.clean;
  }

  const client = new RtClient({ url: base, token, userAgent: USER_AGENT, timeoutMs });
  const { results, stoppedBy } = await pushTickets(entries, client, VERSION, (r) => out(resultLine(r)));
  out(summaryLine(results, false));
  if (stoppedBy) {
    const why = 'stopped at the first error that every request would meet; fix it and push again (tickets already pushed are found and commented on, not duplicated)';
    if (stoppedBy.kind === 'config') throw new UsageError(`${stoppedBy.message}\n${why}`);
    throw new InputError(`${stoppedBy.message}\n${why}`);
  }
  const incomplete = results.filter((r) => r.outcome !== 'created' && r.outcome !== 'commented').length;
  if (incomplete > 0) {
    io.stderr.write(`apiguard: ${plural(incomplete, 'ticket')} not pushed as written (see above)\n`);
    return EXIT.input;
  }
  return EXIT.clean;
}
