import { Command, CommanderError, Option } from 'commander';
import { ApiguardError, EXIT, PolicyError } from '../model/errors.js';
import { SEVERITIES } from '../model/finding.js';
import { REPORTERS } from '../report/index.js';
import { neutraliseControls } from '../report/sanitize.js';
import { runDetect, type DetectFlags } from './commands/detect.js';
import { runFormats } from './commands/formats.js';
import { runInit, type InitFlags } from './commands/init.js';
import { runLearn, type LearnFlags } from './commands/learn.js';
import { addInputOptions } from './input-options.js';
import { addJobsOption } from './jobs.js';
import { limitHeapGrowth } from './memory.js';
import { runScan, type Io, type ScanFlags } from './commands/scan.js';
import { registerTriage } from './commands/triage.js';
import { runTicketsPush, type TicketsPushFlags } from './commands/tickets.js';
import { VERSION } from './version.js';
import { DEFAULT_QUEUE } from '../tickets/ticket.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  clean, or no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage or policy error
  3  input error: no record readable, a file unreadable or truncated, or (--strict) any record skipped`;

function program(io: Io, setExit: (code: number) => void, writesElsewhere: () => void): Command {
  const root = new Command('apiguard')
    .description('Audit API gateway and SIEM access logs: who used which key, from where, for what, and when.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .addHelpText('after', EXIT_CODES_HELP);

  addJobsOption(addInputOptions(root
    .command('scan')))
    .description('judge every request in the logs against the policy and report incidents')
    .argument('[inputs...]', 'log files, directories (recursive), .gz files, or - for stdin (default: stdin when piped)')
    .option('-p, --policy <file>', 'policy YAML; default: $APIGUARD_POLICY, else apiguard.yaml or .apiguard.yaml here or in a parent directory')
    .option('--no-policy', 'do not look for a policy: judge only what the logs alone can tell')
    .addOption(new Option('-o, --output <name>', 'output format').choices(REPORTERS.map((r) => r.meta.name)).default('table'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...SEVERITIES, 'none']).default('low'))
    .option('--strict', 'exit 3 when any record is skipped')
    .option('--output-file <format=path>', 'also write an output to a file, e.g. sarif=out.sarif; repeatable', collectValues)
    .option('--since <time>', 'judge only requests at or after this date (UTC midnight) or ISO time')
    .option('--until <time>', 'judge only requests before this date (UTC midnight) or ISO time')
    .option('--suppress <file>', 'accepted findings (YAML): key, row, optional network and action, reason, owner, expiry')
    .option('--split-by <field>', 'also write one report per tenant (the format\'s tenant field, e.g. Tyk org_id)')
    .option('--split-dir <dir>', 'where --split-by writes its reports', 'apiguard-reports')
    .option('--state <file>', 'a learned baseline (apiguard learn): flag new networks, actions, hours and volume as row 5')
    .option('--update-state', 'fold this scan\'s clean requests into the --state file')
    .option('--tickets <dir>', 'write one Request Tracker (RT REST2) ticket body per open incident into this directory, named by finding id')
    .option('--rt-queue <name>', 'the RT queue the tickets go to', DEFAULT_QUEUE)
    .option('--reorder-window <duration>', 'how far out of time order records may arrive and still be judged in order', '5m')
    .option('--color', 'force colour')
    .option('--no-color', 'no colour (also NO_COLOR=1; FORCE_COLOR=1 forces it)')
    .addHelpText(
      'after',
      `
Examples:
  apiguard scan --policy rules/demo-policy.yaml fixtures/demo/tyk-analytics.ndjson
  apiguard scan -p policy.yaml logs/ --output ndjson | jq 'select(.severity == "critical")'
  zcat export.ndjson.gz | apiguard scan -p policy.yaml - --output json --fail-on high
  apiguard scan -p policy.yaml logs/ --tickets tickets/   # then: apiguard tickets push tickets/ --rt-url URL
${EXIT_CODES_HELP}`,
    )
    .action(async (inputs: string[], flags: ScanFlags) => {
      setExit(await runScan(inputs, flags, io, { settled: setExit, writesElsewhere }));
    });
  addInputOptions(root
    .command('detect'))
    .description('show the format detected for each file and how its first records map to Who / Where / What / When')
    .argument('<inputs...>', 'log files or directories')
    .option('-n, --records <n>', 'records to show per file', '5')
    .option('-o, --output <name>', 'table or json', 'table')
    .action(async (inputs: string[], flags: DetectFlags) => {
      setExit(await runDetect(inputs, flags, io));
    });

  addJobsOption(addInputOptions(root
    .command('learn')))
    .description('learn per key its networks, actions, active hours and hourly volume into a baseline state file')
    .argument('<inputs...>', 'log files, directories, .gz files, or - for stdin')
    .requiredOption('--state <file>', 'the state file: folded into when it exists, then replaced atomically')
    .action(async (inputs: string[], flags: LearnFlags) => {
      setExit(await runLearn(inputs, flags, io));
    });

  root
    .command('formats')
    .description('list the log formats apiguard reads, in detection order')
    .option('-o, --output <name>', 'table or json', 'table')
    .action((flags: { output: string }) => {
      setExit(runFormats(flags, io));
    });

  addJobsOption(addInputOptions(root
    .command('init')))
    .description('draft a policy from observed traffic, every line commented with what it was learned from')
    .argument('[inputs...]', 'log files, directories, .gz files, or - for stdin')
    .option('--timezone <zone>', 'IANA zone for the drafted hours and days', 'UTC')
    .option('--prefix <bits>', 'IPv4 prefix length the networks are generalised to', '24')
    .option('--prefix6 <bits>', 'IPv6 prefix length the networks are generalised to', '64')
    .option('--margin <factor>', 'rate limit = observed peak per minute × this', '2')
    .addHelpText(
      'after',
      `
Examples:
  apiguard init fixtures/demo/tyk-analytics.ndjson --timezone Europe/Amsterdam > apiguard.yaml
  apiguard scan fixtures/demo/tyk-analytics.ndjson     # finds ./apiguard.yaml by itself

The draft allows what the logs show, misuse included: review every line. Networks a key used for
under 5% of its requests are left out and listed at the end; the scan reports them.`,
    )
    .action(async (inputs: string[], flags: InitFlags) => {
      setExit(await runInit(inputs, flags, io));
    });

  registerTriage(root, io, setExit);
  const tickets = root.command('tickets').description('send the ticket files apiguard wrote to Request Tracker (RT 5, REST2)');
  tickets
    .command('push')
    .description('create one RT ticket per ticket file, or comment on the active ticket that has its finding id')
    .argument('<dir>', 'a directory of AG-<finding id>.json ticket files (apiguard scan --tickets DIR)')
    .option('--rt-url <url>', "RT's web address, e.g. https://rt.example.com/rt (or .../rt/REST/2.0); default: $RT_URL")
    .option('--dry-run', 'print the requests instead of sending them (needs neither RT nor RT_TOKEN)')
    .option('--timeout <duration>', 'how long to wait for each answer from RT', '30s')
    .addHelpText(
      'after',
      `
The token comes from the RT_TOKEN environment variable (sent as "Authorization: token ...", never printed).
Tickets are pushed one at a time, in file-name order. A bad ticket file is reported and skipped; the others are pushed.

Examples:
  apiguard tickets push tickets/ --rt-url https://rt.example.com/rt --dry-run
  RT_TOKEN=1-14-0123456789abcdef0123456789abcdef apiguard tickets push tickets/ --rt-url https://rt.example.com/rt

Exit codes:
  0  every ticket created or commented on, and RT kept what was sent
  2  usage: bad flags, no --rt-url or RT_TOKEN, RT refused the token (401) or redirected to its login page
  3  not all pushed as written: an invalid ticket file, RT refused a ticket, RT silently dropped a field, or RT unreachable`,
    )
    .action(async (dir: string, flags: TicketsPushFlags) => {
      setExit(await runTicketsPush(dir, flags, io));
    });
  return root;
}

function collectValues(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Runs the CLI and returns the exit code. The only place errors become exit codes. */
export async function run(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: process.cwd() }): Promise<number> {
  let code: number = EXIT.clean;
  limitHeapGrowth();
  const stderr = (s: string): void => void io.stderr.write(s);
  // Whether the run writes more than stdout (a scan's tickets, state file, output files).
  let finishWithoutStdout = false;
  let stdoutGone = false;
  io.stdout.on?.('error', (e: NodeJS.ErrnoException) => {
    // A closed pipe (| head) is the reader's choice: nobody reads the rest. Stop now, with the
    // code the whole run would have had (scan settles it before it writes its report), unless
    // the run has other things to write: then it finishes them, writing nothing more to stdout
    // (later writes fail as the stream's own, after the first).
    if (e.code === 'EPIPE' || (stdoutGone && e.code === 'ERR_STREAM_DESTROYED')) {
      if (!finishWithoutStdout) process.exit(code);
      stdoutGone = true;
      return;
    }
    throw e;
  });
  try {
    await program(
      io,
      (c) => (code = c),
      () => (finishWithoutStdout = true),
    ).parseAsync(argv);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.clean;
      return e.exitCode === 0 ? EXIT.clean : EXIT.usage;
    }
    if (e instanceof PolicyError) {
      const n = e.problems.length;
      stderr(`apiguard: ${n} problem${n === 1 ? '' : 's'} in ${neutraliseControls(e.file)}:\n`);
      for (const line of e.message.split('\n')) stderr(`${neutraliseControls(line)}\n`);
      return e.exitCode;
    }
    if (e instanceof ApiguardError) {
      stderr(`apiguard: ${e.message.split('\n').map(neutraliseControls).join('\n')}\n`);
      return e.exitCode;
    }
    stderr(`apiguard: internal error — please report it with the command you ran:\n${(e as Error).stack ?? String(e)}\n`);
    return EXIT.usage;
  }
}
