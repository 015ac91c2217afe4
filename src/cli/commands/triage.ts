import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import { EXIT, InputError, UsageError } from '../../model/errors.js';
import { SEVERITIES, severityRank, type Severity } from '../../model/finding.js';
import { isNoKey } from '../../normalise/identity.js';
import { discoverPolicy, policyLabel } from '../../policy/discover.js';
import { loadPolicy } from '../../policy/load.js';
import type { Policy } from '../../policy/policy.js';
import { STDIN_NAME, type Source } from '../../read/sources.js';
import { addJobsOption, chunkBytes, decodePool, parseJobs, type JobsFlags } from '../jobs.js';
import { colourLevel, makeChalk } from '../../report/colour.js';
import { Redactor } from '../../report/sanitize.js';
import { buildSummary, renderSummaryText } from '../../report/summary.js';
import { DEFAULT_QUEUE, ticketFor } from '../../tickets/ticket.js';
import { writeTicketDir } from '../../tickets/files.js';
import { collect, type CollectResult, type KeyTrack, type Target } from '../../triage/collect.js';
import { DEFAULT_CONTEXT_VIOLATIONS, MAX_CONTEXT_LINES, pullContext } from '../../triage/context.js';
import { buildLadder } from '../../triage/ladder.js';
import { buildReport } from '../../triage/report.js';
import { renderTriageJson } from '../../triage/render-json.js';
import { renderTriageTable } from '../../triage/render-table.js';
import { closestNames, resolvePolicyKey, shownInput, type KeyIdentities, type Match } from '../../triage/resolve.js';
import { buildTimeline, utf8Locale } from '../../triage/timeline.js';
import { parseDuration } from '../duration.js';
import { addInputOptions, applyInputOptions, type InputFlags } from '../input-options.js';
import { inputSources, readWarnings, requireCompleteFiles, requireSomethingRead, stderrWarner } from '../read-feedback.js';
import { VERSION } from '../version.js';
import { emptyPolicy, parseInstantFlag, terminalWidth, type Io } from './scan.js';

export interface TriageFlags extends InputFlags, JobsFlags {
  policy?: string | false;
  output: string;
  failOn: string;
  since?: string;
  until?: string;
  context: string;
  contextMax: string;
  tickets?: string;
  rtQueue: string;
  strict?: boolean;
  reorderWindow: string;
  ascii?: boolean;
  color?: boolean;
}

const OUTPUTS = ['table', 'json'];
/** Buckets in the json activity strip: fixed, so the document does not depend on the terminal. */
const JSON_STRIP_WIDTH = 120;

const TRIAGE_HELP = `
KEY is matched against the policy: a key's name, alias, id, hash or raw key, or the start of one
(an exact match wins; a prefix two keys share is ambiguous). A key the policy does not know, or
any key without a policy, is matched against the identities the logs show (raw key, hash, id,
alias). What you type is echoed only when it is a policy name, alias or id, or shorter than 8
characters: it may be a key.

Examples:
  apiguard triage -p rules/demo-policy.yaml soar-playbooks fixtures/demo/tyk-analytics.ndjson
  apiguard triage -p rules/demo-policy.yaml 3f9a fixtures/demo/ --context 2
  apiguard triage -p rules/demo-policy.yaml alice fixtures/demo/ -o json | jq .onset
  apiguard triage -p rules/demo-policy.yaml soar-playbooks fixtures/demo/ --tickets tickets/

Exit codes:
  0  the key shows no violation (or none at or above --fail-on)
  1  the key has findings at or above --fail-on
  2  usage or policy error; KEY matches no key, or more than one
  3  input error: no record readable, a file unreadable or truncated, or (--strict) any record skipped`;

export function registerTriage(root: Command, io: Io, setExit: (code: number) => void): void {
  addJobsOption(addInputOptions(root.command('triage')))
    .description('everything the logs say about one key: use, sources, actions, activity, onset, blast radius, and the response')
    .argument('<key>', 'the key: a policy name, alias, id, hash or raw key, or the start of one')
    .argument('[inputs...]', 'log files, directories (recursive), .gz files, or - for stdin (default: stdin when piped)')
    .option('-p, --policy <file>', 'policy YAML; default: $APIGUARD_POLICY, else apiguard.yaml or .apiguard.yaml here or in a parent directory')
    .option('--no-policy', 'do not look for a policy: match KEY against the identities in the logs, judge what the logs alone tell')
    .addOption(new Option('-o, --output <name>', 'output format').choices(OUTPUTS).default('table'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding of the key is at or above this severity').choices([...SEVERITIES, 'none']).default('low'))
    .option('--since <time>', 'triage only requests at or after this date (UTC midnight) or ISO time')
    .option('--until <time>', 'triage only requests before this date (UTC midnight) or ISO time')
    .option('--context <n>', `print the N raw lines before and after each violation, masked (0–${MAX_CONTEXT_LINES})`, '0')
    .option('--context-max <m>', 'give --context for the first M violations', String(DEFAULT_CONTEXT_VIOLATIONS))
    .option('--tickets <dir>', 'write one RT ticket (REST2 JSON body) per incident of the key into DIR')
    .option('--rt-queue <name>', 'RT queue of the tickets', DEFAULT_QUEUE)
    .option('--strict', 'exit 3 when any record is skipped')
    .option('--reorder-window <duration>', 'how far out of time order records may arrive and still be judged in order', '5m')
    .option('--ascii', 'draw the activity strip in plain ASCII (default: Unicode blocks on a UTF-8 locale)')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour (also NO_COLOR=1; FORCE_COLOR=1 forces it)')
    .addHelpText('after', TRIAGE_HELP)
    .action(async (key: string, inputs: string[], flags: TriageFlags) => {
      setExit(await runTriage(key, inputs, flags, io));
    });
}

function intFlag(text: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${flag} '${text}' is not a whole number from ${min} to ${max}`);
  return Number(text);
}

/** Standard input can be read only once; --context reads the inputs again, so stdin is kept in a private temporary file. */
async function spoolStdin(sources: Source[]): Promise<{ sources: Source[]; cleanup: () => void }> {
  const at = sources.findIndex((s) => s.name === STDIN_NAME);
  if (at < 0) return { sources, cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'apiguard-triage-'));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const file = join(dir, 'stdin');
    await pipeline(sources[at]!.open(), createWriteStream(file, { mode: 0o600 }));
    const copy = [...sources];
    copy[at] = { name: STDIN_NAME, open: () => createReadStream(file, { highWaterMark: 256 * 1024 }) };
    return { sources: copy, cleanup };
  } catch (e) {
    cleanup();
    throw new InputError(`${STDIN_NAME}: cannot be kept for --context: ${(e as Error).message}`);
  }
}

/** The key the logs mean, among the logged identities that fitted: one exact fit, else one prefix fit. */
function chooseLogged(result: CollectResult, typed: string, policy: Policy): KeyTrack {
  const exact = result.tracks.filter((t) => t.match?.exact);
  const fits = exact.length > 0 ? exact : result.tracks;
  const shown = shownInput(typed, policy.hasInventory ? policy : null);
  if (fits.length === 1 && (exact.length > 0 || result.untrackedCandidates === 0)) return fits[0]!;
  if (fits.length === 0) {
    const near = policy.hasInventory ? closestNames(policy, typed) : [];
    throw new UsageError(
      `no key matches '${shown}': ${policy.hasInventory ? `no name, alias, id, hash or key in ${policy.file} is or starts with it, and ` : ''}no key, hash, id or alias in the logs is or starts with it` +
        (near.length > 0 ? `\nclosest policy keys: ${near.join(', ')}` : ''),
    );
  }
  const others = exact.length > 0 ? 0 : result.untrackedCandidates;
  throw new UsageError(
    `'${shown}' matches ${fits.length + others}${others >= 10_000 ? '+' : ''} identities in the logs; type more of it:\n` +
      fits.map((t) => `  ${t.label}`).join('\n') +
      (others > 0 ? `\n  and ${others}${others >= 10_000 ? '+' : ''} more` : ''),
  );
}

export async function runTriage(typed: string, inputs: string[], flags: TriageFlags, io: Io): Promise<number> {
  if (!OUTPUTS.includes(flags.output)) throw new UsageError(`--output '${flags.output}' is not one of ${OUTPUTS.join(', ')}`);
  const failOn = flags.failOn as Severity | 'none';
  if (failOn !== 'none' && !SEVERITIES.includes(failOn)) throw new UsageError(`--fail-on '${flags.failOn}' is not one of ${SEVERITIES.join(', ')}, none`);
  const since = parseInstantFlag(flags.since, '--since');
  const until = parseInstantFlag(flags.until, '--until');
  if (since !== undefined && until !== undefined && since >= until) throw new UsageError('--since must be before --until');
  const contextLines = intFlag(flags.context, '--context', 0, MAX_CONTEXT_LINES);
  const contextMax = intFlag(flags.contextMax, '--context-max', 1, 10_000);
  if (flags.rtQueue.trim() === '') throw new UsageError('--rt-queue needs a queue name');
  if (typed.trim() === '') throw new UsageError('KEY is empty: give a policy name, alias, id, hash or key');
  if (isNoKey(typed)) throw new UsageError(`'${typed}' is what gateways log when a request carried no key: there is no key to triage (apiguard scan reports those requests as row 1 unauthenticated)`);
  const reorderWindowMs = parseDuration(flags.reorderWindow, '--reorder-window');
  const { format, noHeader } = applyInputOptions(flags);

  const found = discoverPolicy(flags.policy, io.env, io.cwd);
  const policy = found === null ? emptyPolicy() : loadPolicy(found.file);

  // The policy first: exact, then prefix. Only a key it does not know is looked for in the logs.
  let target: Target = { kind: 'logs', typed };
  let policyKey: KeyIdentities | null = null;
  let policyMatch: Match | null = null;
  if (policy.hasInventory) {
    const res = resolvePolicyKey(policy, typed);
    if (res.kind === 'ambiguous') {
      throw new UsageError(
        `'${shownInput(typed, policy)}' matches ${res.candidates.length} keys in ${policy.file}; type more of it, or the whole name:\n` +
          res.candidates.map((c) => `  ${c.name} (${c.match.exact ? '' : 'start of '}${c.match.field} ${c.match.shown})`).join('\n'),
      );
    }
    if (res.kind === 'key') {
      target = { kind: 'policy', key: res.key };
      policyKey = res.key;
      policyMatch = res.match;
    }
  }

  const ignoredFiles: string[] = [];
  let sources = inputSources(inputs, io, (path) => ignoredFiles.push(path));
  let cleanup = (): void => {};
  if (contextLines > 0) ({ sources, cleanup } = await spoolStdin(sources));
  try {
    return await triage();
  } finally {
    cleanup();
  }

  async function triage(): Promise<number> {
    const warn = stderrWarner(io, flags.color);
    const pool = decodePool(parseJobs(flags.jobs), flags, inputs, io.env, warn);
    const result = await collect({
      pool,
      chunkBytes: chunkBytes(io.env),
      sources,
      format,
      noHeader,
      policy,
      target,
      reorderWindowMs,
      since,
      until,
      ...readWarnings(warn, new Redactor(policy.secrets)),
    }).finally(() => pool?.close());
    const { counters } = result;
    requireSomethingRead(counters);
    const track = target.kind === 'policy' ? result.tracks[0]! : chooseLogged(result, typed, policy);
    const match = policyMatch ?? track.match!;

    // One masker for everything printed: the policy's raw keys and every raw key the logs showed.
    const redact = new Redactor([...policy.secrets, ...result.rawKeys]);
    const incidents = track.aggregator.incidents();
    const tyk = counters.files.some((f) => f.format.startsWith('tyk'));
    const logged = track.identity;
    const ladder = buildLadder(
      incidents,
      {
        label: track.label,
        inPolicy: track.entry !== null,
        owner: track.entry?.owner ?? '',
        role: track.entry?.roleName ?? '',
        hash: policyKey ? (policyKey.hashes[0] ?? '') : (logged?.hash ?? ''),
        rawOnly: policyKey ? policyKey.hashes.length === 0 && policyKey.keys.length > 0 : !logged?.hash && Boolean(logged?.key),
        alias: policyKey ? (policyKey.aliases[0] ?? '') : (logged?.alias ?? ''),
        policyFile: policy.file,
      },
      tyk,
      redact,
    );

    let tickets = null;
    if (flags.tickets !== undefined) {
      const origin = `apiguard triage ${track.label}`;
      const bodies = incidents.map((i) => ticketFor(i, { queue: flags.rtQueue, redact, version: VERSION, origin }));
      tickets = { dir: flags.tickets, ...writeTicketDir(flags.tickets, bodies) };
    }

    let context = null;
    if (contextLines > 0) {
      // Past the raw-key memory bound, a neighbouring line might hold a key apiguard cannot mask: show only the key's own records.
      context = await pullContext(sources, track.violations, result.rawKeysOverflow ? 0 : contextLines, contextMax, redact);
      if (result.rawKeysOverflow) context.note = 'the logs hold more distinct raw keys than apiguard can remember to mask: only the violating records themselves are shown';
    }

    const summary = buildSummary({
      version: VERSION,
      inventory: policy.hasInventory,
      policy: policyLabel(found, io.cwd),
      timezone: policy.timezone,
      counters,
      aggregator: track.aggregator,
      ignoredFiles,
      incidents: incidents.length,
      first: result.first,
      last: result.last,
      outsidePeriod: result.outsidePeriod,
      period: { since, until },
    });
    const json = flags.output === 'json';
    const width = json ? JSON_STRIP_WIDTH : Math.min(168, Math.max(24, terminalWidth(io) - 6));
    const report = buildReport({
      track,
      identities: policyKey,
      match,
      timeline: buildTimeline(track.hourly, result.first, result.last, width),
      ladder,
      period: {
        first: Number.isFinite(result.first) ? result.first : null,
        last: Number.isFinite(result.last) ? result.last : null,
        since: since ?? null,
        until: until ?? null,
        timezone: policy.timezone,
      },
      tickets,
      context,
      summary,
      redact,
    });

    const out = { chalk: makeChalk(colourLevel(flags.color, Boolean(io.stdout.isTTY), io.env)), redact, width: terminalWidth(io) };
    if (json) {
      io.stdout.write(renderTriageJson(report, redact, VERSION));
      // Counts of what was read are always shown: on stderr, so stdout stays one document.
      io.stderr.write(renderSummaryText(summary, { ...out, chalk: makeChalk(colourLevel(flags.color, Boolean(io.stderr.isTTY), io.env)) }));
    } else {
      io.stdout.write(renderTriageTable(report, { ...out, unicode: !flags.ascii && utf8Locale(io.env) }));
    }
    if (tickets) io.stderr.write(`apiguard: wrote ${tickets.written} ticket${tickets.written === 1 ? '' : 's'} to ${redact.text(tickets.dir)}\n`);

    // Errors outrank findings: an incomplete read must not pass for a clean one.
    requireCompleteFiles(counters, redact);
    if (flags.strict && counters.skipped > 0) {
      throw new InputError(`--strict: ${counters.skipped} record${counters.skipped === 1 ? ' was' : 's were'} skipped`);
    }
    if (failOn !== 'none') {
      const threshold = severityRank(failOn);
      const hits = SEVERITIES.filter((s) => severityRank(s) >= threshold).reduce((n, s) => n + (track.aggregator.bySeverity.get(s) ?? 0), 0);
      if (hits > 0) {
        io.stderr.write(`apiguard: ${redact.text(track.label)}: ${hits} finding${hits === 1 ? '' : 's'} at or above ${failOn} (exit 1)\n`);
        return EXIT.findings;
      }
    }
    return EXIT.clean;
  }
}
