import type { FileStats, SkipExample } from '../../aggregate/counters.js';
import { EXIT, InputError, UsageError } from '../../model/errors.js';
import type { ApiRequest } from '../../model/request.js';
import { SKIP_REASONS } from '../../model/skip.js';
import { isNoKey, maskSecret, redactSecret } from '../../normalise/identity.js';
import { isoUtc } from '../../normalise/time.js';
import { readRequests } from '../../pipeline/requests.js';
import { expandInputs } from '../../read/sources.js';
import { neutraliseControls } from '../../report/sanitize.js';
import { applyInputOptions, type InputFlags } from '../input-options.js';
import type { Io } from './scan.js';

export interface DetectFlags extends InputFlags {
  records: string;
  output: string;
}

/** The identity as a reader may see it: secrets masked, aliases as logged. */
function who(req: ApiRequest): string {
  const id = req.identity;
  const parts: string[] = [];
  if (!isNoKey(id.key)) parts.push(`key=${maskSecret(id.key)}`);
  if (!isNoKey(id.hash)) parts.push(`hash=${maskSecret(id.hash)}`);
  if (!isNoKey(id.id)) parts.push(`id=${maskSecret(id.id)}`);
  if (!isNoKey(id.alias)) parts.push(`alias=${id.alias}`);
  return parts.length ? parts.join(' ') : '(no key)';
}

interface FileReport {
  file: string;
  framing: string;
  format: string;
  error: string;
  records: { line: number; when: string; who: string; where: string; what: string; status: number; authFailure: boolean; exposed: string }[];
  skipped: { line: number; reason: string; detail: string }[];
}

/**
 * `apiguard detect FILE...`: the format detected per file, and how its first records map to
 * Who / Where / What / When — the way to debug a mapping. A file no format fits is an input error.
 */
export async function runDetect(inputs: string[], flags: DetectFlags, io: Io): Promise<number> {
  const limit = Number(flags.records);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--records '${flags.records}' is not a positive number`);
  if (flags.output !== 'table' && flags.output !== 'json') throw new UsageError(`--output '${flags.output}' is not one of table, json`);
  if (inputs.length === 0) throw new UsageError('give the log files to look at');
  const { format, noHeader } = applyInputOptions(flags);
  const reports: FileReport[] = [];
  for (const source of expandInputs(inputs, () => io.stdin as unknown as import('node:stream').Readable)) {
    const requests: ApiRequest[] = [];
    const skipped: SkipExample[] = [];
    let stats: FileStats | undefined;
    const read = await readRequests(
      { sources: [source], format, noHeader, limitPerFile: limit, maxSkipExamples: limit, onSkip: (e) => skipped.push(e) },
      (req) => requests.push(req),
    );
    stats = read.counters.files[0]!;
    reports.push({
      file: source.name,
      framing: stats.framing,
      format: stats.format,
      error: stats.error,
      records: requests.map((r) => ({
        line: r.line,
        when: isoUtc(r.time),
        who: who(r),
        where: r.ip || '(no client IP)',
        // A raw key logged in the clear may also sit in the path.
        what: r.method || r.path ? `${r.method || '?'} ${redactSecret(redactSecret(r.path, r.identity.key), r.exposedKey ?? '') || '?'}` : '(no method or path)',
        status: r.status,
        authFailure: r.authFailure,
        exposed: r.exposedIn ?? '',
      })),
      skipped: skipped.map((s) => ({ line: s.line, reason: s.reason, detail: s.detail })),
    });
  }
  const safe = (s: string): string => neutraliseControls(s);
  if (flags.output === 'json') io.stdout.write(JSON.stringify(reports, null, 2) + '\n');
  else {
    const out: string[] = [];
    for (const r of reports) {
      out.push(`${safe(r.file)}`);
      out.push(`  framing: ${r.framing || '(empty)'}   format: ${r.format || 'none fits'}${r.error ? `   problem: ${safe(r.error)}` : ''}`);
      const rows = [
        ...r.records.map((x) => ({ line: x.line, text: `When ${x.when}  Who ${safe(x.who)}  Where ${x.where}  What ${safe(x.what)}  status ${x.status || '?'}${x.authFailure ? '  (auth failure)' : ''}${x.exposed ? `  RAW KEY EXPOSED in ${safe(x.exposed)}` : ''}` })),
        ...r.skipped.map((x) => ({ line: x.line, text: `skipped: ${SKIP_REASONS[x.reason as keyof typeof SKIP_REASONS]}${x.detail ? ` (${safe(x.detail)})` : ''}` })),
      ].sort((a, b) => a.line - b.line);
      for (const row of rows) out.push(`  line ${row.line}: ${row.text}`);
      out.push('');
    }
    io.stdout.write(out.join('\n'));
  }
  const failed = reports.filter((r) => r.error && r.records.length === 0);
  if (failed.length > 0) throw new InputError(`no known format fits ${failed.map((r) => safe(r.file)).join(', ')}`);
  return EXIT.clean;
}
