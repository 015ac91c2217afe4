/**
 * Benchmark row (a), the bare baseline: what reading NDJSON costs any Node program before it does
 * any work. One thread, nothing but split lines and JSON.parse each: the file is read in 1 MiB
 * blocks with readSync, decoded with a StringDecoder (a UTF-8 character split across two blocks
 * stays whole) and split with indexOf('\n'). No streams, no line objects, no per-record work.
 *
 *   node dist/bench/baseline.js FILE     → prints {"records": N, "bytes": B, "ms": T} on stdout
 *
 * `records` counts the lines JSON.parse accepted (blank lines are not records), so the harness can
 * check that it parsed the same records apiguard judges; a line that is not JSON is counted in
 * `bad`, never thrown on.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { pathToFileURL } from 'node:url';

export interface BaselineResult {
  records: number;
  bad: number;
  bytes: number;
  ms: number;
}

const BLOCK = 1 << 20;

export function parseNdjsonFile(file: string): BaselineResult {
  const started = performance.now();
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(BLOCK);
  const decoder = new StringDecoder('utf8');
  let records = 0;
  let bad = 0;
  let bytes = 0;
  let carry = '';
  const parse = (line: string): void => {
    if (line.length === 0 || (line.length === 1 && line.charCodeAt(0) === 13)) return;
    try {
      JSON.parse(line);
      records++;
    } catch {
      bad++;
    }
  };
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, BLOCK, null);
      if (n === 0) break;
      bytes += n;
      const text = carry + decoder.write(n === BLOCK ? buf : buf.subarray(0, n));
      let start = 0;
      let nl = text.indexOf('\n');
      while (nl >= 0) {
        parse(text.slice(start, nl));
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      carry = text.slice(start);
    }
    parse(carry + decoder.end());
  } finally {
    closeSync(fd);
  }
  return { records, bad, bytes, ms: performance.now() - started };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/baseline.js FILE.ndjson\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(parseNdjsonFile(file)) + '\n');
}
